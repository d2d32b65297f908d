import { expect } from 'chai';
import { AdapterError, DeviceError, Graph, openDevice, parseAdapterChoice, Program, ShaderCompileError } from '../src/node';
import { testDevice } from './helpers/device';

describe('device manager', () => {
  it('opens a software adapter here and reports what it is', async () => {
    const device = await testDevice();
    expect(device.adapter.description.length + device.adapter.device.length).to.be.greaterThan(0);
    expect(['gpu', 'swiftshader', 'llvmpipe']).to.include(device.adapter.backend);
    expect(device.adapter.limits['maxStorageBufferBindingSize']).to.be.greaterThan(0);
    // The object create() returned is held by the device: dropping it crashes Dawn.
    expect(device.owner).to.not.equal(undefined);
  });

  it('an unknown adapter name is a clear error, not a crash', async () => {
    expect(() => parseAdapterChoice('quantum')).to.throw(AdapterError, /unknown adapter 'quantum'.*gpu, swiftshader, llvmpipe/);
    let caught: unknown = null;
    await openDevice({ adapter: 'metal' }).catch((e: unknown) => (caught = e));
    expect(caught).to.be.instanceOf(AdapterError);
  });

  it('opens llvmpipe through OpenGL ES in compatibility mode when asked', async function () {
    const device = await openDevice({ adapter: 'llvmpipe' }).catch(() => null);
    if (!device) return this.skip(); // Mesa's EGL packages absent
    expect(device.adapter.backend).to.equal('llvmpipe');
    expect(device.adapter.compatibility).to.equal(true);
    const g = new Graph();
    const x = g.input('x', [3]);
    const y = g.mul(g.add(x, 1), 2);
    const program = await Program.compile(device, g, { outputs: [y] });
    program.run({ x: Float32Array.of(1, 2, 3) });
    expect([...(await program.read(y))]).to.deep.equal([4, 6, 8]);
    device.destroy();
  });

  it('a WGSL error names the kernel and shows the line', async () => {
    const device = await testDevice();
    let caught: unknown = null;
    await device
      .pipeline({ label: 'broken_op', code: '@compute @workgroup_size(1) fn main() { let x: f32 = undefined_thing; }' })
      .catch((e: unknown) => (caught = e));
    expect(caught).to.be.instanceOf(ShaderCompileError);
    expect(String((caught as Error).message)).to.match(/broken_op: WGSL compile error[\s\S]*line 1/);
    device.check(); // nothing left behind as an uncaptured error
  });

  it('caches pipelines by shader and constants', async () => {
    const device = await testDevice();
    const code = 'override K: u32 = 1u; @group(0) @binding(0) var<storage, read_write> a: array<u32>; @compute @workgroup_size(1) fn main() { a[0] = K; }';
    const p1 = await device.pipeline({ label: 'k', code, constants: { K: 1 } });
    const p2 = await device.pipeline({ label: 'k', code, constants: { K: 1 } });
    const p3 = await device.pipeline({ label: 'k', code, constants: { K: 2 } });
    expect(p1).to.equal(p2);
    expect(p1).to.not.equal(p3);
  });

  it('an uncaptured WebGPU error becomes a DeviceError at the next check', async () => {
    const device = await testDevice();
    // A copy between buffers that lack COPY_SRC / COPY_DST usage is a validation error.
    const a = device.gpu.createBuffer({ size: 16, usage: GPUBufferUsage.STORAGE });
    const encoder = device.gpu.createCommandEncoder();
    encoder.copyBufferToBuffer(a, 0, a, 0, 16);
    device.gpu.queue.submit([encoder.finish()]);
    await device.gpu.queue.onSubmittedWorkDone();
    let caught: unknown = null;
    for (let i = 0; i < 50 && caught === null; i++) {
      await new Promise((r) => setTimeout(r, 10));
      try {
        device.check();
      } catch (e) {
        caught = e;
      }
    }
    expect(caught).to.be.instanceOf(DeviceError);
    expect(String((caught as Error).message)).to.match(/WebGPU reported \d+ error\(s\):[\s\S]*same buffer/);
    device.check(); // reported once, then cleared
  });

  it('a lost device is a clear error for every later call', async () => {
    const device = await openDevice({ adapter: process.env['KILN_ADAPTER'] ?? 'auto' });
    device.destroy();
    await device.gpu.lost;
    await new Promise((r) => setTimeout(r, 0));
    expect(() => device.createStorage('x', 16)).to.throw(DeviceError, /GPU device lost/);
    const g = new Graph();
    g.exp(g.input('x', [2]));
    let caught: unknown = null;
    await Program.compile(device, g).catch((e: unknown) => (caught = e));
    expect(caught).to.be.instanceOf(DeviceError);
  });
});
