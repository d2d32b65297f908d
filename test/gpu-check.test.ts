// The GPU check (scripts/gpu-check/): packed as for the GPU machine, then its run script in short mode
// on SwiftShader with the packed node (not the installed one), so that it is known to work before it
// ever meets a GPU. The loader packages are left out (this machine has libvulkan1; fetching them would
// download at test time).
import { expect } from 'chai';
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { formName, KSPLIT_FORMS, TILED_FORMS } from '../src/ops/gemm/forms';

interface Check {
  mode: string;
  sections: {
    adapter: { summary: { backend: string } };
    train: { rows: { batch: number; imagesPerSecond: number; forms: unknown[]; profile?: { kernels?: { micros: number }[] } }[] };
    epoch: { images: number; seconds: number; test: { accuracy?: number } };
    infer: { imagesPerSecond: number };
    torch: { missing?: string; rows?: Record<string, { value: number }> };
    matmul: { rows: { id: string; forms: { variant: string; ok?: boolean; error?: string }[]; tuned: { variant?: string; gflops: number } }[] };
    tfjs: { error?: string; matmul: { gflops: number }[]; training: { imagesPerSecond: number }[] };
    charlm: {
      error?: string;
      iterations: number;
      kiln: { tokensPerSecond: number; valLoss: number };
      torch: { missing?: string; rows?: Record<string, { value: number }> };
    };
    f16: {
      error?: string;
      step: { batch: number; imagesPerSecond: number; forms: { label: string; variant?: string }[] };
      matmul: { variant?: string; gflops: number; ok: boolean; sampledError: number };
    };
  };
}

describe('GPU check (scripts/gpu-check)', () => {
  let dir = '';
  after(() => {
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  it('packs one folder within the device limit, and its run script completes in short mode on SwiftShader with the packed node', () => {
    dir = mkdtempSync(join(tmpdir(), 'kiln-gpu-check-'));
    const pack = join(dir, 'pack');
    const packed = spawnSync('bash', ['scripts/gpu-check/pack.sh', '--out', pack, '--fast', '--no-loaders'], { encoding: 'utf8' });
    expect(packed.status, packed.stderr + packed.stdout).to.equal(0);
    expect(packed.stdout).to.match(/of 64 MiB/);
    for (const file of [
      'run.sh',
      'dist/gpu-check.js',
      'dist/cli.js',
      'node.xz',
      'node_modules/webgpu/dist/linux-x64/dawn.node.xz',
      'data/mnist/train-images-idx3-ubyte.gz',
      'bench/torch_reference.py',
      'bench/nanogpt.py',
      'data/tinyshakespeare/input.txt',
    ])
      expect(existsSync(join(pack, file)), file).to.equal(true);
    // The bundle carries TensorFlow.js inside it: the folder has no other npm package.
    expect(statSync(join(pack, 'dist/gpu-check.js')).size).to.be.greaterThan(2 ** 20);

    const out = join(dir, 'out');
    const env: NodeJS.ProcessEnv = { ...process.env, KILN_TUNING: 'off', KILN_GPU_CHECK_NODE: 'carried' };
    delete env['OUT'];
    const run = spawnSync('bash', [join(pack, 'run.sh'), '--short', '--adapter', 'swiftshader', '--out', out], { encoding: 'utf8', env, timeout: 480_000 });
    const log = readFileSync(join(out, 'gpu-check.log'), 'utf8');
    expect(run.status, log.slice(-3000)).to.equal(0);
    expect(log).to.match(/^node: .*kiln-gpu-check\.[^/]+\/node v\d+/m); // the packed node ran
    expect(log).to.include('== kiln info --adapter swiftshader');
    expect(log).to.match(/GPU check finished: exit 0/);

    const check = JSON.parse(readFileSync(join(out, 'gpu-check.json'), 'utf8')) as Check;
    const s = check.sections;
    expect(check.mode).to.equal('short');
    expect(s.adapter.summary.backend).to.equal('swiftshader');
    expect(s.train.rows.map((r) => r.batch)).to.deep.equal([4, 8]);
    for (const row of s.train.rows) expect(row.imagesPerSecond).to.be.greaterThan(0);
    // SwiftShader has timestamp queries: the first batch's step is profiled kernel by kernel.
    expect(s.train.rows[0]!.profile?.kernels?.length ?? 0).to.be.greaterThan(10);
    expect(s.epoch.images).to.equal(32);
    expect(s.epoch.test.accuracy).to.be.within(0, 1);
    expect(s.infer.imagesPerSecond).to.be.greaterThan(0);
    expect(s.torch.missing !== undefined || Object.keys(s.torch.rows ?? {}).length > 0, JSON.stringify(s.torch)).to.equal(true);
    // The default and a form of each GPU-shaped kind were forced, ran and matched the float64 sums.
    const forms = s.matmul.rows[0]!.forms;
    const short = ['tile32x32k16.4x2', 'tile32x64k16.4x4.db.v4', 'ksplit2x4.t128'];
    expect([...TILED_FORMS, ...KSPLIT_FORMS].map(formName)).to.include.members(short);
    expect(forms.map((f) => f.variant)).to.include.members(short);
    expect(forms.length).to.equal(4);
    for (const f of forms) expect(f.ok, `${f.variant}: ${f.error ?? ''}`).to.equal(true);
    expect(s.matmul.rows[0]!.tuned.gflops).to.be.greaterThan(0);
    expect(s.tfjs.error, s.tfjs.error).to.equal(undefined);
    expect(s.tfjs.matmul[0]!.gflops).to.be.greaterThan(0);
    expect(s.tfjs.training[0]!.imagesPerSecond).to.be.greaterThan(0);
    // The character model trained (its loss below the uniform one over 65 characters, ln 65 = 4.17), and PyTorch's beside it where torch is installed.
    expect(s.charlm.error, s.charlm.error).to.equal(undefined);
    expect(s.charlm.iterations).to.equal(6);
    expect(s.charlm.kiln.tokensPerSecond).to.be.greaterThan(0);
    expect(s.charlm.kiln.valLoss).to.be.within(0, Math.log(65) + 0.1);
    expect(s.charlm.torch.missing !== undefined || (s.charlm.torch.rows?.['charlm']?.value ?? 0) > 0, JSON.stringify(s.charlm.torch)).to.equal(true);
    // f16-mixed: the step trained with f16 products, and a product on f16 operands matched its reference.
    expect(s.f16.error, s.f16.error).to.equal(undefined);
    expect(s.f16.step.batch).to.equal(4);
    expect(s.f16.step.imagesPerSecond).to.be.greaterThan(0);
    expect(
      s.f16.step.forms.some((f) => f.label.startsWith('matmul+f16')),
      JSON.stringify(s.f16.step.forms),
    ).to.equal(true);
    expect(s.f16.matmul.ok, `sampled error ${s.f16.matmul.sampledError}`).to.equal(true);
    expect(s.f16.matmul.gflops).to.be.greaterThan(0);
  });
});
