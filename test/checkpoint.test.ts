// Safetensors checkpoints: the byte layout of the spec, bit-exact round trips through the GPU, and
// files that are broken or do not fit the model rejected with the file and tensor named, before any
// parameter changes.
import { expect } from 'chai';
import { execFileSync } from 'node:child_process';
import { chmodSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { loadCheckpointFile, saveCheckpointFile } from '../src/cli/checkpoint-files';
import type { Device } from '../src/device/device';
import type { HostArray } from '../src/graph/variable';
import { CheckpointError, decodeSafetensors, encodeSafetensors, loadCheckpoint, saveCheckpoint, type NamedTensor } from '../src/train/checkpoint';
import * as nn from '../src/train/nn/index';
import type { Module } from '../src/train/nn/module';
import { testDevice } from './helpers/device';
import { rejection, throwsError } from './helpers/errors';

/** The raw bytes of a typed array, for bit-level comparison (-0 vs 0, NaN payloads, subnormals). */
const bits = (a: HostArray): number[] => [...new Uint8Array(a.buffer, a.byteOffset, a.byteLength)];

/** Splits a file into its header length, its header JSON text and its data section. */
function parts(bytes: Uint8Array): { n: number; json: string; data: Uint8Array } {
  const n = Number(new DataView(bytes.buffer, bytes.byteOffset).getBigUint64(0, true));
  return { n, json: new TextDecoder().decode(bytes.subarray(8, 8 + n)), data: bytes.subarray(8 + n) };
}

/** A file built by hand from a header object and a data section, to feed decode exactly what we want. */
function rawFile(header: unknown, data: Uint8Array = new Uint8Array(0), n?: number): Uint8Array {
  const json = new TextEncoder().encode(JSON.stringify(header));
  const out = new Uint8Array(8 + json.length + data.length);
  new DataView(out.buffer).setBigUint64(0, BigInt(n ?? json.length), true);
  out.set(json, 8);
  out.set(data, 8 + json.length);
  return out;
}

const SPECIAL = Float32Array.of(-0, 0, 1.401298464324817e-45, -1.1754942106924411e-38, 1e38, -3.4028234663852886e38, 1 / 3, -2.5);

describe('safetensors encoding', () => {
  const tensors: NamedTensor[] = [
    { name: 'fc1.weight', dtype: 'f32', shape: [2, 4], data: SPECIAL },
    { name: 'mask', dtype: 'u8', shape: [3], data: Uint8Array.of(0, 255, 7) }, // 3 bytes: the next tensor starts unaligned
    { name: 'steps', dtype: 'i32', shape: [2], data: Int32Array.of(-2147483648, 2147483647) },
    { name: 'scale', dtype: 'f32', shape: [], data: Float32Array.of(1.5) },
  ];

  it('lays the file out as the spec says: u64 length, padded JSON header, contiguous little-endian data', () => {
    const bytes = encodeSafetensors(tensors);
    const { n, json, data } = parts(bytes);
    expect((8 + n) % 8, 'data starts 8-byte aligned').to.equal(0);
    expect(json.trimEnd().length).to.be.greaterThan(n - 8);
    expect(json.slice(json.trimEnd().length)).to.match(/^ *$/);
    expect(JSON.parse(json)).to.deep.equal({
      'fc1.weight': { dtype: 'F32', shape: [2, 4], data_offsets: [0, 32] },
      mask: { dtype: 'U8', shape: [3], data_offsets: [32, 35] },
      steps: { dtype: 'I32', shape: [2], data_offsets: [35, 43] },
      scale: { dtype: 'F32', shape: [], data_offsets: [43, 47] },
      __metadata__: { format: 'pt' },
    });
    expect(data.length).to.equal(47);
    const view = new DataView(data.buffer, data.byteOffset, data.byteLength);
    expect(view.getUint32(0, true), '-0 is 0x80000000, little-endian').to.equal(0x80000000);
    expect(view.getFloat32(16, true)).to.equal(Math.fround(1e38));
    expect([...data.subarray(32, 35)]).to.deep.equal([0, 255, 7]);
    expect(view.getInt32(35, true)).to.equal(-2147483648);
    expect(view.getFloat32(43, true)).to.equal(1.5);
  });

  it('round-trips bit-exactly (-0, subnormals, 1e38, extreme i32, u8)', () => {
    const decoded = decodeSafetensors(encodeSafetensors(tensors, { epoch: '3' }), 'roundtrip.safetensors');
    expect(decoded.metadata).to.deep.equal({ format: 'pt', epoch: '3' });
    expect(decoded.tensors.map((t) => [t.name, t.dtype, t.shape])).to.deep.equal(tensors.map((t) => [t.name, t.dtype, t.shape]));
    decoded.tensors.forEach((t, i) => {
      expect(t.data.constructor).to.equal(tensors[i]!.data.constructor);
      expect(bits(t.data), t.name).to.deep.equal(bits(tensors[i]!.data));
    });
    expect(Object.is(decoded.tensors[0]!.data[0], -0)).to.equal(true);
  });

  it('reads files written by others: metadata first, unpadded header, tensors listed out of data order', () => {
    const data = new Uint8Array(12);
    new DataView(data.buffer).setFloat32(0, 7, true);
    new DataView(data.buffer).setInt32(4, -5, true);
    new DataView(data.buffer).setInt32(8, 9, true);
    const file = rawFile(
      { __metadata__: { note: 'hand made' }, b: { dtype: 'I32', shape: [2], data_offsets: [4, 12] }, a: { dtype: 'F32', shape: [1], data_offsets: [0, 4] } },
      data,
    );
    const decoded = decodeSafetensors(file, 'hand.safetensors');
    expect(decoded.metadata).to.deep.equal({ note: 'hand made' });
    expect(decoded.tensors.map((t) => t.name)).to.deep.equal(['a', 'b']);
    expect([...decoded.tensors[0]!.data]).to.deep.equal([7]);
    expect([...decoded.tensors[1]!.data]).to.deep.equal([-5, 9]);
  });

  describe('rejects broken files, naming the file and the tensor', () => {
    const good = encodeSafetensors(tensors);
    const decode = (bytes: Uint8Array): Error => throwsError(() => decodeSafetensors(bytes, 'model.safetensors'));
    const f32 = (offsets: [number, number], shape = [1]): unknown => ({ dtype: 'F32', shape, data_offsets: offsets });

    it('a file shorter than the 8-byte header length', () => {
      expect(decode(good.slice(0, 5)).message).to.match(/^checkpoint model\.safetensors: truncated: 5 bytes/);
    });

    it('a file cut inside the header', () => {
      const e = decode(good.slice(0, 40));
      expect(e).to.be.instanceOf(CheckpointError);
      expect(e.message).to.match(/^checkpoint model\.safetensors: truncated: the header claims \d+ bytes but only 32 follow/);
    });

    it('a file cut inside the data', () => {
      expect(decode(good.slice(0, good.length - 2)).message).to.match(
        /checkpoint model\.safetensors: truncated: tensor scale ends at data byte 47, but the file holds only 45 bytes/,
      );
    });

    it('a header that is not a JSON object', () => {
      expect(decode(rawFile('not an object')).message).to.match(/model\.safetensors: header is not a JSON object/);
      const garbage = new Uint8Array(16);
      garbage[0] = 8;
      garbage.fill(0x7b, 8);
      expect(decode(garbage).message).to.match(/model\.safetensors: header is not valid UTF-8 JSON/);
    });

    it('an unknown dtype', () => {
      expect(decode(rawFile({ 'fc1.weight': { dtype: 'F16', shape: [1], data_offsets: [0, 2] } }, new Uint8Array(2))).message).to.match(
        /model\.safetensors: tensor fc1\.weight has dtype F16; Kiln reads F32, I32, U8/,
      );
    });

    it('data_offsets that do not match shape and dtype', () => {
      expect(decode(rawFile({ w: f32([0, 8], [3]) }, new Uint8Array(8))).message).to.match(
        /tensor w: data_offsets \[0,8\] span 8 bytes, but F32 \[3\] needs 12/,
      );
      expect(decode(rawFile({ w: f32([4, 0]) }, new Uint8Array(4))).message).to.match(/tensor w: data_offsets \[4,0\] is not a pair/);
    });

    it('overlapping tensors, holes and trailing bytes', () => {
      expect(decode(rawFile({ a: f32([0, 4]), b: f32([2, 6]) }, new Uint8Array(6))).message).to.match(
        /tensor b: data_offsets \[2,6\] overlap the previous tensor/,
      );
      expect(decode(rawFile({ a: f32([0, 4]), b: f32([8, 12]) }, new Uint8Array(12))).message).to.match(/tensor b: .* leave a hole of 4 bytes after offset 4/);
      expect(decode(rawFile({ a: f32([0, 4]) }, new Uint8Array(7))).message).to.match(/model\.safetensors: 3 trailing bytes after the last tensor/);
    });
  });
});

describe('checkpoints of a module', function () {
  this.timeout(120_000);
  let device: Device;
  before(async () => {
    device = await testDevice();
  });

  const model = (): Module => nn.sequential({ fc1: nn.linear(5, 4), relu: nn.relu(), fc2: nn.linear(4, 3) });

  /** Moves every parameter to the GPU, then gives it values unlike its initialisation (and special ones). */
  function onGpuWithValues(m: Module, seed: number): void {
    for (const [i, [, v]] of m.namedParameters().entries()) {
      v.bindingOn(device);
      const data = new Float32Array(v.size).map((_, j) => Math.fround(Math.sin(seed + 10 * i + j) * 3));
      data.set(SPECIAL.subarray(0, Math.min(SPECIAL.length, data.length)));
      v.assign(data);
    }
  }

  async function snapshot(m: Module): Promise<Record<string, number[]>> {
    const out: Record<string, number[]> = {};
    for (const [name, v] of m.namedParameters()) out[name] = bits(await v.read());
    return out;
  }

  it("saves PyTorch's parameter names and shapes", async () => {
    const m = model();
    onGpuWithValues(m, 1);
    const decoded = decodeSafetensors(await saveCheckpoint(m), 'm.safetensors');
    expect(decoded.tensors.map((t) => `${t.name} ${t.dtype} [${t.shape.join(',')}]`)).to.deep.equal([
      'fc1.weight f32 [4,5]',
      'fc1.bias f32 [4]',
      'fc2.weight f32 [3,4]',
      'fc2.bias f32 [3]',
    ]);
  });

  it('round-trips GPU-resident parameters bit-exactly into a fresh model', async () => {
    const source = model();
    onGpuWithValues(source, 2);
    const saved = await snapshot(source);
    const target = model();
    for (const v of target.parameters()) v.bindingOn(device);
    expect(await snapshot(target)).to.not.deep.equal(saved);
    loadCheckpoint(target, await saveCheckpoint(source), 'm.safetensors');
    expect(await snapshot(target)).to.deep.equal(saved); // read back from the GPU copies
    expect(Object.is((await target.parameters()[0]!.read())[0], -0)).to.equal(true);
  });

  describe('a checkpoint that does not fit leaves the model unchanged', () => {
    async function expectRejected(bytes: Uint8Array, pattern: RegExp): Promise<void> {
      const m = model();
      onGpuWithValues(m, 3);
      const before = await snapshot(m);
      const e = throwsError(() => loadCheckpoint(m, bytes, 'model.safetensors'));
      expect(e).to.be.instanceOf(CheckpointError);
      expect(e.message).to.match(pattern);
      expect(await snapshot(m)).to.deep.equal(before);
    }

    /** The tensors of a saved model, for editing before re-encoding. */
    async function savedTensors(): Promise<NamedTensor[]> {
      const m = model();
      onGpuWithValues(m, 4);
      return decodeSafetensors(await saveCheckpoint(m), 'x').tensors;
    }

    it('a missing tensor', async () => {
      const tensors = (await savedTensors()).filter((t) => t.name !== 'fc2.weight');
      await expectRejected(encodeSafetensors(tensors), /^checkpoint model\.safetensors: missing tensor fc2\.weight$/);
    });

    it('an unexpected tensor', async () => {
      const tensors = [...(await savedTensors()), { name: 'fc3.weight', dtype: 'f32' as const, shape: [1], data: Float32Array.of(1) }];
      await expectRejected(encodeSafetensors(tensors), /^checkpoint model\.safetensors: unexpected tensor fc3\.weight/);
    });

    it('a tensor of the wrong shape (checked after earlier tensors would already fit)', async () => {
      const tensors = (await savedTensors()).map((t) => (t.name === 'fc2.weight' ? { ...t, shape: [4, 3] } : t));
      await expectRejected(encodeSafetensors(tensors), /^checkpoint model\.safetensors: tensor fc2\.weight has shape \[4,3\], the model expects \[3,4\]$/);
    });

    it('a tensor of the wrong dtype', async () => {
      const tensors = (await savedTensors()).map((t) => (t.name === 'fc2.bias' ? { ...t, dtype: 'i32' as const, data: Int32Array.of(1, 2, 3) } : t));
      await expectRejected(encodeSafetensors(tensors), /tensor fc2\.bias has dtype I32, the model expects F32/);
    });

    it('a non-finite value in the last tensor', async () => {
      const tensors = (await savedTensors()).map((t) => (t.name === 'fc2.bias' ? { ...t, data: Float32Array.of(0, NaN, 1) } : t));
      await expectRejected(encodeSafetensors(tensors), /model\.safetensors: tensor fc2\.bias: value NaN at index 1 is not a finite number/);
    });

    it('a truncated file', async () => {
      const m = model();
      const bytes = await saveCheckpoint(m);
      await expectRejected(bytes.slice(0, 30), /model\.safetensors: truncated/);
      await expectRejected(bytes.slice(0, bytes.length - 1), /model\.safetensors: truncated: tensor fc2\.bias/);
    });
  });

  describe('checkpoint files', () => {
    let dir: string;
    beforeEach(() => {
      dir = mkdtempSync(join(tmpdir(), 'kiln-checkpoint-'));
    });
    afterEach(() => rmSync(dir, { recursive: true, force: true }));

    it('saves atomically and loads back, leaving no temporary file', async () => {
      const source = model();
      onGpuWithValues(source, 5);
      const path = join(dir, 'model.safetensors');
      writeFileSync(path, 'an older checkpoint');
      await saveCheckpointFile(source, path);
      expect(readdirSync(dir)).to.deep.equal(['model.safetensors']);
      expect(readFileSync(path).subarray(0, 8).readBigUInt64LE(0) > 0n).to.equal(true);
      const target = model();
      await loadCheckpointFile(target, path);
      expect(await snapshot(target)).to.deep.equal(await snapshot(source));
    });

    it('names the file when it is missing, broken, or its folder does not exist', async () => {
      const m = model();
      expect((await rejection(loadCheckpointFile(m, join(dir, 'none.safetensors')))).message).to.match(/none\.safetensors: no such file/);
      writeFileSync(join(dir, 'short.safetensors'), Uint8Array.of(1, 2, 3));
      expect((await rejection(loadCheckpointFile(m, join(dir, 'short.safetensors')))).message).to.match(/^checkpoint .*short\.safetensors: truncated/);
      const e = await rejection(saveCheckpointFile(m, join(dir, 'nowhere', 'model.safetensors')));
      expect(e.message).to.match(/cannot write .*model\.safetensors: folder .*nowhere does not exist/);
      expect(readdirSync(dir)).to.deep.equal(['short.safetensors']);
    });

    it('refuses to replace what is not a regular file, keeps the old mode, and clears stale temporary files', async () => {
      const fifo = join(dir, 'pipe.safetensors');
      execFileSync('mkfifo', [fifo]);
      const e = await rejection(saveCheckpointFile(model(), fifo));
      expect(e.message).to.match(/cannot write .*pipe\.safetensors: it exists and is not a regular file; refusing to replace it/);
      expect(statSync(fifo).isFIFO()).to.equal(true);
      const path = join(dir, 'private.safetensors');
      writeFileSync(path, 'old', { mode: 0o600 });
      chmodSync(path, 0o600);
      // Left by a writer killed mid-save (no process has this pid), and another file's.
      const stale = 'private.safetensors.tmp-999999-0123456789ab';
      const other = 'other.safetensors.tmp-999999-0123456789ab';
      writeFileSync(join(dir, stale), 'half a checkpoint');
      writeFileSync(join(dir, other), 'not ours');
      await saveCheckpointFile(model(), path);
      expect(statSync(path).mode & 0o777).to.equal(0o600);
      expect(readdirSync(dir).sort()).to.deep.equal([other, 'pipe.safetensors', 'private.safetensors']);
    });

    it('removes its temporary file when the final rename fails', async () => {
      mkdirSync(join(dir, 'taken.safetensors')); // a folder where the file should go: rename fails
      const e = await rejection(saveCheckpointFile(model(), join(dir, 'taken.safetensors')));
      expect(e.message).to.match(/cannot write .*taken\.safetensors: /);
      expect(readdirSync(dir)).to.deep.equal(['taken.safetensors']);
    });
  });
});

describe('checkpoint bytes as any view', () => {
  // A small Buffer is a view into Node's shared pool: a slice() of it is a view too, not a copy.
  const tensors: NamedTensor[] = [
    { name: 'a', dtype: 'f32', shape: [2], data: Float32Array.of(1.5, -2) },
    { name: 'b', dtype: 'i32', shape: [3], data: Int32Array.of(7, 8, 9) },
  ];
  const file = encodeSafetensors(tensors);

  it('a Node Buffer, a Uint8Array at an odd offset into a larger buffer and a DataView decode to the same tensors', () => {
    const buffer = Buffer.from(file);
    expect(buffer.byteOffset + buffer.byteLength).to.be.below(buffer.buffer.byteLength); // really a pool view
    const big = new Uint8Array(file.length + 11);
    big.set(file, 5);
    const odd = big.subarray(5, 5 + file.length);
    const dataView = new DataView(big.buffer, 5, file.length);
    for (const [what, bytes] of [
      ['Buffer', buffer],
      ['Uint8Array view', odd],
      ['DataView', dataView],
      ['ArrayBuffer', file.slice().buffer],
    ] as const) {
      const decoded = decodeSafetensors(bytes, what).tensors;
      expect(
        decoded.map((t) => [t.name, Array.from(t.data)]),
        what,
      ).to.deep.equal([
        ['a', [1.5, -2]],
        ['b', [7, 8, 9]],
      ]);
    }
  });

  it('loadCheckpoint takes a Buffer (what readFileSync returns)', async () => {
    const model = nn.linear(3, 2);
    const saved = await saveCheckpoint(model);
    const restored = nn.linear(3, 2);
    loadCheckpoint(restored, Buffer.from(saved), 'buffer.safetensors');
    expect(Array.from(await restored.weight.read())).to.deep.equal(Array.from(await model.weight.read()));
  });
});
