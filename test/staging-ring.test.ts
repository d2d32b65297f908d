// The readback staging ring: reads reuse their staging buffers, several reads in flight take
// different slots (the ring grows instead of waiting), and a larger read regrows a slot.
import { expect } from 'chai';
import { StagingRing } from '../src/device/staging-ring';
import { countGpuCalls } from '../bench/count-calls';
import { testDevice } from './helpers/device';

/** A ring over stand-in buffers (only `size` is read), recording what it creates and destroys. */
function fakeRing() {
  const created: number[] = [];
  const destroyed: number[] = [];
  const ring = new StagingRing(
    (_label, size) => {
      created.push(size);
      return { size } as GPUBuffer;
    },
    (buffer) => destroyed.push(buffer.size),
  );
  return { ring, created, destroyed };
}

describe('readback staging ring', function () {
  this.timeout(120_000);

  before(async () => {
    await testDevice(); // defines GPUBufferUsage and the other WebGPU globals in Node
  });

  it('reuses a free slot that fits, and regrows a slot (to a power of two) for a larger read', () => {
    const { ring, created, destroyed } = fakeRing();
    const a = ring.acquire(8);
    ring.release(a);
    expect(ring.acquire(200)).to.equal(a); // 256 bytes is the smallest slot
    ring.release(a);
    const b = ring.acquire(1000); // too large: the 256-byte slot is replaced, not kept beside it
    expect(created).to.deep.equal([256, 1024]);
    expect(destroyed).to.deep.equal([256]);
    ring.release(b);
    for (const size of [4, 300, 1024, 12]) ring.release(ring.acquire(size));
    expect(ring.stats).to.deep.equal({ slots: 1, inUse: 0, buffersCreated: 2 });
  });

  it('adds a slot when every slot is in flight, and prefers the smallest free slot that fits', () => {
    const { ring, created } = fakeRing();
    const held = [ring.acquire(16), ring.acquire(5000), ring.acquire(16)];
    expect(new Set(held).size).to.equal(3);
    expect(ring.stats).to.deep.equal({ slots: 3, inUse: 3, buffersCreated: 3 });
    for (const slot of held) ring.release(slot);
    expect(ring.acquire(100).size).to.equal(256);
    expect(created).to.deep.equal([256, 8192, 256]);
    expect(() => ring.release({ size: 4 } as GPUBuffer)).to.throw(/did not hand out/);
  });

  it('device reads: several in flight at once, growing sizes, then no buffer created once warm', async () => {
    const device = await testDevice();
    const values = Int32Array.from({ length: 4096 }, (_, i) => i * 7 - 3);
    const source = device.createStorage('staging-ring test', values.byteLength);
    device.write(source, 0, values);
    // Ranges of growing size, all read at once: each needs its own slot.
    const ranges = [
      [0, 1],
      [16, 10],
      [100, 300],
      [512, 2000],
      [0, 4096],
    ] as const;
    const readAll = () => Promise.all(ranges.map(([first, count]) => device.read(source, first * 4, count * 4)));
    const first = await readAll();
    ranges.forEach(([start, count], i) => expect(Array.from(new Int32Array(first[i]!))).to.deep.equal(Array.from(values.subarray(start, start + count))));
    const ring = device.staging.stats;
    expect(ring.inUse).to.equal(0);
    expect(ring.slots).to.be.at.least(ranges.length);

    const counter = countGpuCalls(device);
    const again = await readAll();
    const sequential: ArrayBuffer[] = [];
    for (const [start, count] of ranges) sequential.push(await device.read(source, start * 4, count * 4));
    const counts = counter.stop();
    ranges.forEach(([start, count], i) => {
      expect(Array.from(new Int32Array(again[i]!)), `range ${i} read concurrently`).to.deep.equal(Array.from(values.subarray(start, start + count)));
      expect(Array.from(new Int32Array(sequential[i]!)), `range ${i} read alone`).to.deep.equal(Array.from(values.subarray(start, start + count)));
    });
    // One submit per read (its copy), and no buffer: every slot was made by the first round.
    expect(counts.submits).to.equal(2 * ranges.length);
    expect(counts.createBuffer).to.equal(0);
    expect(device.staging.stats).to.deep.equal({ ...ring, inUse: 0 });
    device.destroyBuffer(source);
  });
});
