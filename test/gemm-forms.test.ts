// The GPU-shaped GEMM forms (src/ops/gemm/forms.ts), each forced in turn on both software adapters
// against the float64 reference: odd shapes (no multiple of any tile, size-1 dimensions, K not a
// multiple of 4 or of BK), all four layouts, the bias and relu epilogue, and the 2-D dispatch path.
import { expect } from 'chai';
import { evaluateCpu, Graph, openDevice, Program, type Device, type SymbolicTensor as Tensor } from '../src/node';
import { emitGemm } from '../src/ops/gemm/emit';
import { REGISTER_TILE_FORMS, registerTilePrelude, registerTileStores } from '../src/ops/gemm/register-tile';
import { checkForm, formName, formNeeds, KSPLIT_FORMS, TILED_FORMS, type GemmForm } from '../src/ops/gemm/forms';
import { matmulOperands } from '../src/ops/gemm/operands';
import { conv2dWeightGrad } from '../src/ops/conv2d-weight-grad';
import { conv2dInputGrad } from '../src/ops/conv2d-input-grad';
import { LAYOUTS, layoutName } from './helpers/gemm-layouts';
import { expectClose, randomArray } from './helpers/numeric';

const FORMS: readonly GemmForm[] = [...TILED_FORMS, ...KSPLIT_FORMS];

/** [m, k, n]: no multiple of any tile, size-1 dimensions, K not a multiple of 4 or of BK, a K split's long K. */
const SHAPES: readonly [number, number, number][] = [
  [37, 53, 29],
  [1, 7, 1],
  [130, 1, 67],
  [5, 600, 3],
];

/** Runs op(a) · op(b) (+ bias, relu) with `force` as the device's forced variant; returns the kernel's variant and the check. */
async function run(device: Device, form: string, [m, k, n]: [number, number, number], layout: (typeof LAYOUTS)[number], epilogue: boolean) {
  const g = new Graph();
  const a = g.input('a', layout.transposeA ? [k, m] : [m, k]);
  const b = g.input('b', layout.transposeB ? [n, k] : [k, n]);
  const bias = g.input('bias', [n]);
  let out: Tensor = g.matmul(a, b, layout);
  if (epilogue) out = g.relu(g.add(out, bias));
  const feeds = { a: randomArray(m * k, 1), b: randomArray(k * n, 2), bias: randomArray(n, 3) };
  const saved = device.tuning;
  device.tuning = { ...saved, force: form };
  try {
    const program = await Program.compile(device, g, { outputs: [out], fusion: true });
    program.run(feeds);
    const gpu = await program.read(out);
    const cpu = evaluateCpu(
      [out],
      new Map([
        [a, feeds.a],
        [b, feeds.b],
        [bias, feeds.bias],
      ] as [Tensor, Float32Array][]),
    ).get(out)!;
    const label = `${form} ${layoutName(layout)} [${m},${k},${n}]${epilogue ? ' +bias relu' : ''} on ${device.adapter.backend}`;
    expectClose(gpu, cpu.data, label, 1e-4, 1e-5);
    return program.kernels.find((kernel) => kernel.label.startsWith('matmul'))?.variant;
  } finally {
    device.tuning = saved;
  }
}

describe('register-tile forms (generated)', () => {
  it("every form's prelude declares the whole interface the kernels use, and the stores what the conv kernels use", () => {
    const names = (code: string) => new Set([...code.matchAll(/^(?:fn|alias|struct|const)\s+(\w+)/gm)].map((m) => m[1]));
    for (const [name, form] of Object.entries(REGISTER_TILE_FORMS)) {
      const declared = names(registerTilePrelude(form));
      for (const used of [
        'Acc',
        'AElement',
        'K_BLOCK',
        'aAt',
        'aQuad',
        'TileRows',
        'tileRows',
        'sharesRows',
        'accumulateOwn',
        'accumulateShared',
        'accumulateQuads',
        'accumulateQuadsShared',
      ])
        expect(declared.has(used), `${name} declares ${used}`).to.equal(true);
      expect(registerTilePrelude(form).startsWith('enable subgroups;'), name).to.equal(form.rowLoads === 'subgroup');
    }
    const stores = names(registerTileStores());
    for (const used of ['TILE_M', 'TILE_N', 'TileColumns', 'storeTile', 'addRowValues', 'reluTile', 'flatIndex']) expect(stores.has(used), used).to.equal(true);
    // Every row of the tile written out: 16 accumulate lines, 16 stores, no loop over rows.
    expect(registerTilePrelude(REGISTER_TILE_FORMS.plain).match(/^ {2}let x\d+ = aAt\(ra\[\d+\] \+ o\);/gm)).to.have.length(16);
    expect(registerTileStores().match(/^ {2}if \(row0 \+ \d+u < rows\) \{ storeRow/gm)).to.have.length(16);
  });
});

describe('GPU-shaped GEMM forms', () => {
  it('every form is valid and its generated code names its own shape', () => {
    for (const form of FORMS) {
      checkForm(form);
      const code = emitGemm(form, matmulOperands(LAYOUTS[0]));
      expect(code, formName(form)).to.include(`@workgroup_size(${formNeeds(form).invocations})`);
      expect(formNeeds(form).workgroupBytes, formName(form)).to.be.at.most(16384);
    }
    expect(() => checkForm({ kind: 'tiled', bm: 64, bn: 64, bk: 3, tm: 4, tn: 4, stages: 1, pad: 1, reads: 'scalar' })).to.throw(
      /split evenly over 256 invocations/,
    );
    // Its one-word pad is what the generated code lays workgroup memory out with, and the bytes it asks for.
    const padded = emitGemm({ kind: 'tiled', bm: 64, bn: 64, bk: 16, tm: 4, tn: 4, stages: 2, pad: 1, reads: 'scalar' }, matmulOperands(LAYOUTS[0]));
    expect(padded).to.include('var<workgroup> As: array<f32, 2080>;').and.include('var<workgroup> Bs: array<f32, 2048>;');
    // Read as vec4s, the pad is a whole vec4: (64 + 4) x 16 floats, as 272 vec4s.
    const quads = emitGemm({ kind: 'tiled', bm: 64, bn: 64, bk: 16, tm: 4, tn: 4, stages: 1, pad: 1, reads: 'vec4' }, matmulOperands(LAYOUTS[0]));
    expect(quads).to.include('var<workgroup> As: array<vec4<f32>, 272>;').and.include('var<workgroup> Bs: array<vec4<f32>, 256>;');
    expect(() => checkForm({ kind: 'tiled', bm: 32, bn: 32, bk: 16, tm: 4, tn: 2, stages: 1, pad: 1, reads: 'vec4' })).to.throw(/multiples of 4/);
    expect(() => checkForm({ kind: 'ksplit', rm: 4, rn: 4, threads: 96 })).to.throw(/power of two/);
  });

  for (const adapter of ['swiftshader', 'llvmpipe'] as const) {
    describe(`on ${adapter}`, () => {
      let device: Device;
      before(async () => {
        device = await openDevice({ adapter });
      });

      it('each form, forced, matches the reference on odd shapes, all four layouts, with and without the epilogue', async () => {
        const limit = device.limits['maxComputeInvocationsPerWorkgroup'] ?? 256;
        // SwiftShader compiles and runs these slowly: there only the forms that llvmpipe (faster, but
        // 128 invocations at most) cannot run, each on the first shape with both operands transposed
        // (each operand then staged the other way: the staging code is one for all forms) and on the
        // long-K shape untransposed; llvmpipe checks every other form at every shape and layout.
        type Case = [(typeof SHAPES)[number], (typeof LAYOUTS)[number]];
        const cases = (form: GemmForm): Case[] => {
          if (adapter === 'llvmpipe') return SHAPES.flatMap((shape) => LAYOUTS.map((layout): Case => [shape, layout]));
          if (formNeeds(form).invocations <= 128) return [];
          return [
            [SHAPES[0]!, LAYOUTS[3]],
            [SHAPES[3]!, LAYOUTS[0]],
          ];
        };
        let ran = 0;
        for (const form of FORMS) {
          const name = formName(form);
          const fits = formNeeds(form).invocations <= limit;
          // A form the adapter cannot run is never forced on it: the default runs instead.
          if (!fits) {
            expect(await run(device, name, SHAPES[0]!, LAYOUTS[0], false), `${name} on ${adapter}`).to.not.equal(name);
            continue;
          }
          if (cases(form).length === 0) continue;
          for (const [shape, layout] of cases(form)) {
            expect(await run(device, name, shape, layout, false), `${name} ran on ${adapter}`).to.equal(name);
            ran++;
          }
          expect(await run(device, name, SHAPES[0]!, LAYOUTS[2], true)).to.equal(name);
        }
        expect(ran).to.be.greaterThan(0);
      });

      it('conv2d forward and input gradient (tiled forms) and its weight gradient (K splits), forced, match the reference with stride, padding and odd sizes', async () => {
        const limit = device.limits['maxComputeInvocationsPerWorkgroup'] ?? 256;
        const fits = (form: GemmForm) => formNeeds(form).invocations <= limit;
        // 3 images of 5 channels, 13x11, 7 output channels: no tile is full.
        type Build = (g: Graph) => { out: Tensor; inputs: Tensor[] };
        const forward: Build = (g) => {
          const x = g.input('x', [3, 5, 13, 11]);
          const w = g.input('w', [7, 5, 3, 3]);
          const b = g.input('b', [7]);
          return { out: g.relu(g.conv2d(x, w, b, { stride: [2, 1], padding: 1 })), inputs: [x, w, b] };
        };
        const weightGrad: Build = (g) => {
          const x = g.input('x', [3, 5, 13, 11]);
          const dy = g.input('dy', [3, 7, 7, 11]);
          return { out: conv2dWeightGrad(x, dy, { stride: [2, 1], padding: [1, 1], dilation: [1, 1] }, [3, 3], 5), inputs: [x, dy] };
        };
        const inputGrad: Build = (g) => {
          const dy = g.input('dy', [3, 7, 7, 11]);
          const w = g.input('w', [7, 5, 3, 3]);
          return { out: conv2dInputGrad(dy, w, { stride: [2, 1], padding: [1, 1], dilation: [1, 1] }, [13, 11]), inputs: [dy, w] };
        };
        // The operands (an im2col, a dy gather) are what these cases check; the forms' own code is
        // checked by the matmul cases. llvmpipe runs every form it can (128 invocations at most),
        // SwiftShader (slow to compile) the largest scalar and vec4 forms besides.
        const tiled = adapter === 'llvmpipe' ? TILED_FORMS.filter(fits) : TILED_FORMS.filter((f) => f.bm === 128 && fits(f));
        const cases: [GemmForm[], Build, string][] = [
          [tiled, forward, 'conv2d'],
          [tiled, inputGrad, 'conv2d_input_grad'],
          [KSPLIT_FORMS.filter(fits), weightGrad, 'conv2d_weight_grad'],
        ];
        for (const [forms, build, label] of cases) {
          for (const form of forms) {
            const name = formName(form);
            const g = new Graph();
            const { out, inputs } = build(g);
            const data = inputs.map((t, i) => randomArray(t.size, 31 + i));
            const saved = device.tuning;
            device.tuning = { ...saved, force: name };
            try {
              const program = await Program.compile(device, g, { outputs: [out] });
              expect(
                program.kernels.find((k) => k.label.startsWith(label) && k.variant === name),
                `${label} runs ${name}`,
              ).to.not.equal(undefined);
              program.run(Object.fromEntries(inputs.map((t, i) => [t.name, data[i]!])));
              const gpu = await program.read(out);
              const cpu = evaluateCpu([out], new Map(inputs.map((t, i) => [t, data[i]!]))).get(out)!;
              expectClose(gpu, cpu.data, `${label} ${name} on ${adapter}`, 1e-4, 1e-5);
            } finally {
              device.tuning = saved;
            }
          }
        }
      });

      it('tuning on a software adapter does not try the hardware forms', async () => {
        const g = new Graph();
        const c = g.matmul(g.input('a', [40, 30]), g.input('b', [30, 20]));
        const program = await Program.compile(device, g, { outputs: [c] });
        const variant = program.kernels[0]?.variant ?? '';
        expect(FORMS.map(formName)).to.not.include(variant);
      });
    });
  }

  it('a dispatch over two dimensions: more than 65,535 output tiles', async () => {
    const device = await openDevice({ adapter: 'llvmpipe' });
    // 514 x 1028 outputs in 2 x 4 tiles: 66,049 workgroups, spread over x and y.
    const form = KSPLIT_FORMS.find((f) => f.rm === 2 && f.rn === 4 && f.threads === 128)!;
    expect(await run(device, formName(form), [514, 3, 1028], LAYOUTS[0], false)).to.equal(formName(form));
  });
});
