// Compile-time kernel tuning (src/graph/tuning.ts): every variant of the matmul and conv2d kernels
// against the float64 reference on shapes that do not fill their tiles, the cache (a JSON file here,
// at a temporary path) round-tripping and keyed per adapter, a corrupt cache, and tuning turned off.
import { expect } from 'chai';
import { mkdtempSync, readFileSync, rmSync, writeFileSync, existsSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { evaluateCpu, Graph, Program, type Device, type SymbolicTensor as Tensor } from '../src/node';
import { nodeTuningStore, openDevice, tuningCachePath } from '../src/device/node';
import { MemoryTuningStore, type TrialTimer, type TuningOptions } from '../src/device/tuning-store';
import { HARDWARE_TUNING } from '../src/device/device';
import { adapterKey, kernelKey } from '../src/graph/tuning';
import { conv2dInputGrad } from '../src/ops/conv2d-input-grad';
import { conv2dWeightGrad } from '../src/ops/conv2d-weight-grad';
import type { Conv2dAttrs } from '../src/ops/conv2d-geometry';
import { testDevice } from './helpers/device';
import { expectClose, randomArray } from './helpers/numeric';

type Build = (g: Graph) => { out: Tensor; inputs: Tensor[] };

const plain: Conv2dAttrs = { stride: [1, 1], padding: [0, 0], dilation: [1, 1] };
const padded: Conv2dAttrs = { stride: [2, 1], padding: [1, 1], dilation: [1, 1] };

/** The graphs under test, on odd shapes: batch 3, 5 channels, 13x11 images, 7 or 17 output channels. */
const cases: Record<string, Build> = {
  'matmul [37,29]x[29,23]': (g) => {
    const a = g.input('a', [37, 29]);
    const b = g.input('b', [29, 23]);
    return { out: g.matmul(a, b), inputs: [a, b] };
  },
  'matmul [29,37]T x [23,29]T + bias + relu': (g) => {
    const a = g.input('a', [29, 37]);
    const b = g.input('b', [23, 29]);
    const bias = g.input('bias', [23]);
    return { out: g.relu(g.add(g.matmul(a, b, { transposeA: true, transposeB: true }), bias)), inputs: [a, b, bias] };
  },
  'conv2d 3x5x13x11 * 7x5x3x3 + bias + relu': (g) => {
    const x = g.input('x', [3, 5, 13, 11]);
    const w = g.input('w', [7, 5, 3, 3]);
    const b = g.input('b', [7]);
    return { out: g.relu(g.conv2d(x, w, b)), inputs: [x, w, b] };
  },
  'conv2d 3x5x13x11 * 17x5x3x3, stride 2x1, padding 1': (g) => {
    const x = g.input('x', [3, 5, 13, 11]);
    const w = g.input('w', [17, 5, 3, 3]);
    return { out: g.conv2d(x, w, null, { stride: [2, 1], padding: 1 }), inputs: [x, w] };
  },
  'conv2d_input_grad to 3x5x13x11 from 17 channels, stride 2x1, padding 1': (g) => {
    const dy = g.input('dy', [3, 17, 7, 11]);
    const w = g.input('w', [17, 5, 3, 3]);
    return { out: conv2dInputGrad(dy, w, padded, [13, 11]), inputs: [dy, w] };
  },
  'conv2d_weight_grad 7x5x3x3 over 3x13x11 in 5 splits': (g) => {
    const x = g.input('x', [3, 5, 13, 11]);
    const dy = g.input('dy', [3, 7, 11, 9]);
    return { out: conv2dWeightGrad(x, dy, plain, [3, 3], 5), inputs: [x, dy] };
  },
  'conv2d_weight_grad 17x5x3x3 over 3x13x11, stride 2x1, padding 1, in 9 splits': (g) => {
    const x = g.input('x', [3, 5, 13, 11]);
    const dy = g.input('dy', [3, 17, 7, 11]);
    return { out: conv2dWeightGrad(x, dy, padded, [3, 3], 9), inputs: [x, dy] };
  },
  // Shapes where the quads form (`a` read as vec4s) is offered: K % 4 == 0, C*KH*KW % 4 == 0,
  // CO % 4 == 0 and OH*OW % 4 == 0 respectively, still not filling their tiles.
  'matmul [37,28]x[28,23] + bias (quads)': (g) => {
    const a = g.input('a', [37, 28]);
    const b = g.input('b', [23, 28]);
    const bias = g.input('bias', [23]);
    return { out: g.add(g.matmul(a, b, { transposeB: true }), bias), inputs: [a, b, bias] };
  },
  'conv2d 3x4x13x11 * 7x4x3x3, padding 1 (quads)': (g) => {
    const x = g.input('x', [3, 4, 13, 11]);
    const w = g.input('w', [7, 4, 3, 3]);
    return { out: g.conv2d(x, w, null, { padding: 1 }), inputs: [x, w] };
  },
  'conv2d_input_grad to 3x5x13x11 from 8 channels, stride 2x1, padding 1 (quads)': (g) => {
    const dy = g.input('dy', [3, 8, 7, 11]);
    const w = g.input('w', [8, 5, 3, 3]);
    return { out: conv2dInputGrad(dy, w, padded, [13, 11]), inputs: [dy, w] };
  },
  'conv2d_weight_grad 7x5x3x3 over 3x6x11 in 5 splits (quads; rows of 9 pixels)': (g) => {
    const x = g.input('x', [3, 5, 6, 11]);
    const dy = g.input('dy', [3, 7, 4, 9]);
    return { out: conv2dWeightGrad(x, dy, plain, [3, 3], 5), inputs: [x, dy] };
  },
  'conv2d_weight_grad 7x5x3x3 over 3x13x8, stride 2x1, padding 1, in 5 splits (quads; rows of 8 pixels)': (g) => {
    const x = g.input('x', [3, 5, 13, 8]);
    const dy = g.input('dy', [3, 7, 7, 8]);
    return { out: conv2dWeightGrad(x, dy, padded, [3, 3], 5), inputs: [x, dy] };
  },
};

const hasSubgroups = (device: Device): boolean => device.gpu.features.has('subgroups');

/**
 * The default GEMM variant at a workgroup size: the subgroup rows where the device has subgroups,
 * else the quads form where the kernel offers it (`quads`), else the plain one.
 */
const defaultVariant = (device: Device, size: string, quads: boolean): string => (hasSubgroups(device) ? `${size}.subgroup` : quads ? `${size}.quads` : size);

/** The variants that the step's tunable kernels offer a software adapter, by kernel label (the hardware forms have test/gemm-forms.test.ts). */
function offered(schedule: Program): Map<string, string[]> {
  const names = new Map<string, string[]>();
  for (const k of schedule.kernels) {
    const calls = k.node.op!.lower!(k.node, k.node.attrs);
    for (const call of calls)
      if (call.variants)
        names.set(
          k.label,
          call.variants.filter((v) => !v.needs?.hardware).map((v) => v.name),
        );
  }
  return names;
}

/** Runs `options` on the shared test device for the duration of `body`, then restores its settings. */
async function withTuning<T>(device: Device, options: Partial<TuningOptions>, body: () => Promise<T>): Promise<T> {
  const saved = device.tuning;
  device.tuning = { ...saved, ...options };
  try {
    return await body();
  } finally {
    device.tuning = saved;
  }
}

async function compileCase(device: Device, build: Build) {
  const g = new Graph();
  const { out, inputs } = build(g);
  const program = await Program.compile(device, g, { outputs: [out] });
  const data = inputs.map((t, i) => randomArray(t.size, 11 + i));
  return { program, out, inputs, data };
}

/** A matmul big enough to time in a few milliseconds, its result read back. */
const timedGraph: Build = (g) => {
  const a = g.input('a', [96, 80]);
  const b = g.input('b', [80, 72]);
  return { out: g.matmul(a, b), inputs: [a, b] };
};

describe('compile-time kernel tuning', () => {
  let dir = '';
  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'kiln-tuning-'));
  });
  afterEach(() => {
    rmSync(dir, { recursive: true, force: true });
  });

  it('every variant of the matmul and conv2d kernels matches the float64 reference on odd shapes', async () => {
    const device = await testDevice();
    // SwiftShader (the tests' usual adapter) has subgroups, so the subgroup variants run here.
    if (device.adapter.backend === 'swiftshader') expect(hasSubgroups(device), 'SwiftShader offers subgroups').to.equal(true);
    for (const [name, build] of Object.entries(cases)) {
      const variants = await withTuning(device, { enabled: false }, async () => offered((await compileCase(device, build)).program));
      expect(variants.size, `${name}: tunable kernels`).to.be.greaterThan(0);
      // Subgroup variants only where the device has subgroups (SwiftShader); odd shapes put some
      // subgroups across two row tiles, which then load their own rows.
      const all = new Set([...variants.values()].flat().filter((v) => !v.includes('.subgroup') || hasSubgroups(device)));
      expect(
        [...all].some((v) => v.endsWith('.quads')),
        `${name}: quads offered`,
      ).to.equal(name.includes('(quads'));
      for (const variant of all) {
        await withTuning(device, { force: variant }, async () => {
          const { program, out, inputs, data } = await compileCase(device, build);
          const used = program.kernels.filter((k) => variants.get(k.label)?.includes(variant));
          expect(used.length, `${name}: a kernel runs ${variant}`).to.be.greaterThan(0);
          for (const k of used) expect(k.variant, `${name}: ${k.label}`).to.equal(variant);
          program.run(Object.fromEntries(inputs.map((t, i) => [t.name, data[i]!])));
          const gpu = await program.read(out);
          const cpu = evaluateCpu([out], new Map(inputs.map((t, i) => [t, data[i]!]))).get(out)!;
          expectClose(gpu, cpu.data, `${name} (${variant})`, 1e-4, 1e-5);
        });
      }
    }
  });

  it('the weight gradient offers fewer ranges than its splits, and workgroup sizes, its default first', async () => {
    const device = await testDevice();
    const build = cases['conv2d_weight_grad 17x5x3x3 over 3x13x11, stride 2x1, padding 1, in 9 splits']!;
    const { program } = await withTuning(device, { enabled: false }, () => compileCase(device, build));
    const names = offered(program).get('conv2d_weight_grad')!;
    // 2 x 6 tiles x 9 splits = 108 invocations: 32 per group by default (4 groups); 64 is the largest other size that fits.
    expect(names).to.deep.equal(['wg32.subgroup', 'wg32', 'wg32.ranges5', 'wg32.ranges3', 'wg64']);
  });

  it('times uncached kernels once, then takes the choice from the cache file, in this process and the next', async () => {
    const device = await testDevice();
    const path = join(dir, 'nested', 'tuning.json');
    const warnings: string[] = [];
    const options = { enabled: true, store: nodeTuningStore(path), budgetMs: 60_000, maxRunMs: 10_000, minRunMs: 0, warn: (m: string) => warnings.push(m) };
    await withTuning(device, options, async () => {
      const first = await compileCase(device, timedGraph);
      expect(first.program.stats.kernelsTuned).to.equal(1);
      expect(first.program.stats.tuneMs).to.be.greaterThan(0);
      const saved = JSON.parse(readFileSync(path, 'utf8')) as {
        version: number;
        adapters: Record<string, Record<string, { pick: string; us: Record<string, number> }>>;
      };
      const section = saved.adapters[adapterKey(device)]!;
      const [key, record] = Object.entries(section)[0]!;
      expect(key).to.match(/^matmul\|[0-9a-f]{8}\|.*M=96,N=72/);
      expect(record.pick).to.equal(first.program.kernels[0]!.variant);
      // Stage one times one variant per form (the plain one among them); stage two the plain form's
      // other workgroup sizes, only when the plain form won stage one (its pick is then plain).
      expect(Object.keys(record.us)).to.include.members([defaultVariant(device, 'wg16', true), 'wg16']);
      expect(Object.keys(record.us).includes('wg32'), `wg32 timed, pick ${record.pick}`).to.equal(/^wg\d+$/.test(record.pick));

      const again = await compileCase(device, timedGraph);
      expect(again.program.stats.kernelsTuned).to.equal(0);
      expect(again.program.stats.tuneMs).to.equal(0);
      expect(again.program.kernels[0]!.variant).to.equal(record.pick);
    });
    // A new store over the same file reads it afresh, as the next process would.
    await withTuning(device, { ...options, store: nodeTuningStore(path) }, async () => {
      const next = await compileCase(device, timedGraph);
      expect(next.program.stats.kernelsTuned).to.equal(0);
    });
    expect(warnings).to.deep.equal([]);
  });

  it('on a simulated fast adapter (a fake timer): picks the fastest form, and never stores a too-short verdict', async () => {
    const device = await testDevice();
    const calls: string[] = [];
    // Microseconds like a GPU's: the plain form beats the default, and its 32-invocation size beats both.
    const fast: TrialTimer = async (trial) => {
      calls.push(trial.variant ?? '');
      return trial.variant === 'wg32' ? 0.02 : /^wg\d+$/.test(trial.variant ?? '') ? 0.03 : 0.04;
    };
    const hardware = { enabled: true, budgetMs: 60_000, ...HARDWARE_TUNING, warn: () => undefined };
    const store = new MemoryTuningStore();
    await withTuning(device, { ...hardware, store, timer: fast }, async () => {
      const { program } = await compileCase(device, timedGraph);
      expect(program.kernels[0]!.variant).to.equal('wg32');
      expect(program.stats.kernelsTuned).to.equal(1);
    });
    expect(calls).to.include.members(['wg16', 'wg32']);
    const stored = JSON.parse(store.read() ?? '{}') as { adapters: Record<string, Record<string, { pick: string }>> };
    expect(Object.values(stored.adapters[adapterKey(device)]!).map((r) => r.pick)).to.deep.equal(['wg32']);

    // Every run reads 5 µs, under the 15 µs minimum: the default runs, and nothing is stored.
    const quick = new MemoryTuningStore();
    const tooShort: TrialTimer = async () => 0.005;
    await withTuning(device, { ...hardware, store: quick, timer: tooShort }, async () => {
      const { program } = await compileCase(device, timedGraph);
      expect(program.kernels[0]!.variant).to.equal(defaultVariant(device, 'wg16', true));
      expect(program.stats.kernelsTuned).to.equal(0);
    });
    expect(quick.read() ?? '').to.not.include('too short');
    // The next process (a new store over the same text) measures again, and this time tunes.
    calls.length = 0;
    const next = new MemoryTuningStore();
    const text = quick.read();
    if (text !== null) next.write(text);
    await withTuning(device, { ...hardware, store: next, timer: fast }, async () => {
      const { program } = await compileCase(device, timedGraph);
      expect(program.kernels[0]!.variant).to.equal('wg32');
    });
    expect(calls.length).to.be.greaterThan(0);
  });

  it('keys choices by adapter: a choice stored for another adapter is not used', async () => {
    const device = await testDevice();
    const other = { adapter: { ...device.adapter, description: `${device.adapter.description} (another one)` } };
    expect(adapterKey(other)).to.not.equal(adapterKey(device));
    expect(adapterKey({ adapter: { ...device.adapter, backend: device.adapter.backend === 'llvmpipe' ? 'swiftshader' : 'llvmpipe' } })).to.not.equal(
      adapterKey(device),
    );
    // Store a pick for this exact kernel under the other adapter's key only.
    const g = new Graph();
    const { out } = timedGraph(g);
    const call = out.op!.lower!(out, out.attrs)[0]!;
    const key = kernelKey(call.label!, call);
    const path = join(dir, 'tuning.json');
    writeFileSync(path, JSON.stringify({ version: 1, adapters: { [adapterKey(other)]: { [key]: { pick: 'wg32', us: {} } } } }));
    await withTuning(device, { enabled: true, store: nodeTuningStore(path), budgetMs: 60_000, maxRunMs: 10_000, minRunMs: 0 }, async () => {
      const { program } = await compileCase(device, timedGraph);
      expect(program.stats.kernelsTuned).to.equal(1);
    });
    const saved = JSON.parse(readFileSync(path, 'utf8')) as { adapters: Record<string, unknown> };
    expect(Object.keys(saved.adapters)).to.have.members([adapterKey(other), adapterKey(device)]);
  });

  it('warns about a corrupt cache file, ignores it, and rewrites it whole', async () => {
    const device = await testDevice();
    for (const bad of ['{"version": 1, "adapters": {', '{"version": 1, "adapters": {"x": {"k": {"pick": 3}}}}', '[]']) {
      const path = join(dir, 'tuning.json');
      writeFileSync(path, bad);
      const warnings: string[] = [];
      await withTuning(
        device,
        { enabled: true, store: nodeTuningStore(path), budgetMs: 60_000, maxRunMs: 10_000, minRunMs: 0, warn: (m) => warnings.push(m) },
        async () => {
          const { program } = await compileCase(device, timedGraph);
          expect(program.stats.kernelsTuned).to.equal(1);
        },
      );
      expect(warnings).to.have.length(1);
      expect(warnings[0]).to.contain(`ignoring the kernel tuning cache (${path})`);
      const saved = JSON.parse(readFileSync(path, 'utf8')) as { version: number; adapters: Record<string, unknown> };
      expect(saved.version).to.equal(1);
      expect(Object.keys(saved.adapters)).to.deep.equal([adapterKey(device)]);
    }
  });

  it('a compile past its budget runs the defaults, the same in every compile of the process, and stores nothing', async () => {
    const device = await testDevice();
    const path = join(dir, 'tuning.json');
    const store = nodeTuningStore(path);
    await withTuning(device, { enabled: true, store, budgetMs: 0, minRunMs: 0 }, async () => {
      for (let i = 0; i < 2; i++) {
        const { program } = await compileCase(device, timedGraph);
        expect(program.stats.kernelsTuned).to.equal(0);
        expect(program.kernels[0]!.variant).to.equal(defaultVariant(device, 'wg16', true));
      }
    });
    // Given a budget, the same store (this process) keeps the default; a new one (a later process) tunes.
    await withTuning(device, { enabled: true, store, budgetMs: 60_000, minRunMs: 0 }, async () => {
      expect((await compileCase(device, timedGraph)).program.stats.kernelsTuned).to.equal(0);
    });
    await withTuning(device, { enabled: true, store: nodeTuningStore(path), budgetMs: 60_000, minRunMs: 0 }, async () => {
      expect((await compileCase(device, timedGraph)).program.stats.kernelsTuned).to.equal(1);
    });
  });

  it('with tuning off, runs the default variants and neither times nor stores anything', async () => {
    const device = await testDevice();
    const path = join(dir, 'tuning.json');
    await withTuning(device, { enabled: false, store: nodeTuningStore(path) }, async () => {
      const { program } = await compileCase(device, timedGraph);
      expect(program.stats.kernelsTuned).to.equal(0);
      expect(program.stats.tuneMs).to.equal(0);
      // 9 x 6 tiles of 16 x 8 = 54 invocations: 16 per group (4 groups), today's default, with the
      // subgroup rows where the device has subgroups, else the quads form (K = 80).
      expect(program.kernels[0]!.variant).to.equal(defaultVariant(device, 'wg16', true));
      expect(program.kernels[0]!.workgroups).to.deep.equal([4, 1, 1]);
    });
    expect(existsSync(path)).to.equal(false);
  });

  it('KILN_TUNING=off turns tuning off in openDevice; KILN_TUNING_CACHE and XDG_CACHE_HOME place the file', async () => {
    expect(tuningCachePath({ KILN_TUNING_CACHE: '/x/t.json', XDG_CACHE_HOME: '/c' })).to.equal('/x/t.json');
    expect(tuningCachePath({ XDG_CACHE_HOME: '/c' })).to.equal('/c/kiln/tuning.json');
    expect(tuningCachePath({})).to.match(/\/\.cache\/kiln\/tuning\.json$/);
    const saved = { tuning: process.env['KILN_TUNING'], cache: process.env['KILN_TUNING_CACHE'] };
    process.env['KILN_TUNING'] = 'off';
    process.env['KILN_TUNING_CACHE'] = join(dir, 'env.json');
    try {
      const device = await openDevice({ adapter: process.env['KILN_ADAPTER'] ?? 'auto' });
      expect(device.tuning.enabled).to.equal(false);
      expect(device.tuning.store.where).to.equal(join(dir, 'env.json'));
      device.destroy();
    } finally {
      for (const [name, value] of [
        ['KILN_TUNING', saved.tuning],
        ['KILN_TUNING_CACHE', saved.cache],
      ] as const) {
        if (value === undefined) delete process.env[name];
        else process.env[name] = value;
      }
    }
  });
});
