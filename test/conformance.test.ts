// The conformance test: every registered op (src/ops/registry.ts), on every case of its declared
// domain, forward on the GPU against the float64 CPU reference and its gradient (autodiff, on the GPU)
// against float64 central differences of the CPU reference. The errors are relative to the largest
// reference element, so a gradient off by a few percent fails however small its elements are; the
// measured errors are printed as a table.
import { expect } from 'chai';
import { evaluateCpu, functional, Graph, Program, Tensor as EagerTensor, type SymbolicTensor as Tensor } from '../src/node';
import { definedOps } from '../src/ops/op';
import type { OpCase, OperandDomain } from '../src/ops/op-method';
import { OP_METHODS, type OpName } from '../src/ops/registry';
import { testDevice } from './helpers/device';
import { centralDifferences, rng } from './helpers/numeric';

const FORWARD_TOLERANCE = 1e-5;
const GRADIENT_TOLERANCE = 1e-4;
/** Central-difference step: its truncation error (eps² f''') stays below 1e-6 on these domains. */
const EPS = 1e-3;

function operandData(domain: OperandDomain, seed: number): Float32Array | Int32Array {
  const n = domain.shape.reduce((a, b) => a * b, 1);
  const lo = domain.lo ?? (domain.dtype === 'i32' ? 0 : -1);
  const hi = domain.hi ?? 1;
  if (domain.data) {
    if (domain.data.length !== n) throw new Error(`a case's data has ${domain.data.length} values for shape [${domain.shape.join(', ')}]`);
    return domain.dtype === 'i32' ? Int32Array.from(domain.data) : Float32Array.from(domain.data);
  }
  const next = rng(seed);
  if (domain.dtype === 'i32') return Int32Array.from({ length: n }, () => Math.floor(lo + (hi - lo) * next()));
  if (!domain.distinct) return Float32Array.from({ length: n }, () => lo + (hi - lo) * next());
  // An even grid offset by a quarter step (0 is not on it), shuffled (Fisher-Yates).
  const step = (hi - lo) / n;
  const grid = Float32Array.from({ length: n }, (_, i) => lo + (i + 0.25) * step);
  for (let i = n - 1; i > 0; i--) {
    const j = Math.floor(next() * (i + 1));
    [grid[i], grid[j]] = [grid[j]!, grid[i]!];
  }
  return grid;
}

/** max |a - e| / max |e| over the elements, with equal non-finite values (inf, nan) counted as equal. */
function relativeError(actual: ArrayLike<number>, expected: ArrayLike<number>): number {
  expect(actual.length).to.equal(expected.length);
  let scale = 0;
  let worst = 0;
  for (let i = 0; i < expected.length; i++) {
    const [a, e] = [actual[i]!, expected[i]!];
    if (Object.is(a, e) || (Number.isNaN(a) && Number.isNaN(e)) || a === e) continue;
    if (!Number.isFinite(e) || !Number.isFinite(a)) return Infinity;
    worst = Math.max(worst, Math.abs(a - e));
  }
  for (let i = 0; i < expected.length; i++) if (Number.isFinite(expected[i]!)) scale = Math.max(scale, Math.abs(expected[i]!));
  return worst === 0 ? 0 : worst / (scale || 1);
}

interface Built {
  g: Graph;
  inputs: Tensor[];
  data: (Float32Array | Int32Array)[];
  out: Tensor;
}

function build(name: OpName, c: OpCase<readonly unknown[]>, seed: number): Built {
  const g = new Graph();
  const data = c.operands.map((d, i) => operandData(d, seed + 17 * i));
  const inputs = c.operands.map((d, i) => g.input(`x${i}`, d.shape, d.dtype ?? 'f32'));
  const builder = OP_METHODS[name].build as (...args: readonly unknown[]) => Tensor;
  return { g, inputs, data, out: builder(...c.args(...inputs)) };
}

const feeds = (b: Built) => Object.fromEntries(b.inputs.map((x, i) => [x.name, b.data[i]!]));
const seen = new Set<string>();
const table: string[] = [];

async function checkForward(name: OpName, c: OpCase<readonly unknown[]>): Promise<void> {
  const device = await testDevice();
  const b = build(name, c, 1);
  b.g.nodes.forEach((n) => n.op && seen.add(n.op.name));
  const program = await Program.compile(device, b.g, { outputs: [b.out] });
  program.run(feeds(b));
  const gpu = await program.read(b.out);
  const cpu = evaluateCpu([b.out], new Map(b.inputs.map((x, i) => [x, b.data[i]!]))).get(b.out);
  if (!cpu) throw new Error('no CPU value');
  const error = relativeError(gpu, cpu.data);
  const tolerance = c.tolerance ?? FORWARD_TOLERANCE;
  table.push(`${name.padEnd(14)} ${c.label.padEnd(58)} forward ${error.toExponential(1)} (≤ ${tolerance})`);
  expect(error, `${name}, ${c.label}: forward error relative to the largest element`).to.be.at.most(tolerance);
}

async function checkGradient(name: OpName, c: OpCase<readonly unknown[]>): Promise<void> {
  if (c.gradient === false) return;
  const device = await testDevice();
  const b = build(name, c, 2);
  const { g, out } = b;
  const weights = g.constant(operandData({ shape: out.shape }, 99), out.shape, 'w');
  const loss = g.sum(g.mul(out, weights));
  const constant = c.gradient?.constant ?? [];
  const wrt = b.inputs.filter((x, i) => x.dtype === 'f32' && !constant.includes(i));
  const grads = g.grad(loss, wrt);
  g.nodes.forEach((n) => n.op && seen.add(n.op.name));
  const program = await Program.compile(device, g, { outputs: grads });
  program.run(feeds(b));
  const values = new Map<Tensor, Float64Array>(b.inputs.map((x, i) => [x, Float64Array.from(b.data[i]!)]));
  const lossAt = (): number => evaluateCpu([loss], values).get(loss)?.data[0] ?? NaN;
  const tolerance = c.gradient?.tolerance ?? GRADIENT_TOLERANCE;
  for (let k = 0; k < wrt.length; k++) {
    const x = values.get(wrt[k]!);
    if (!x) throw new Error('no operand');
    const numeric = centralDifferences(x, lossAt, EPS);
    const error = relativeError(await program.read(grads[k]!), numeric);
    table.push(`${name.padEnd(14)} ${c.label.padEnd(58)} d/d${wrt[k]!.name}  ${error.toExponential(1)} (≤ ${tolerance})`);
    expect(error, `${name}, ${c.label}: gradient of ${wrt[k]!.name} relative to its largest element`).to.be.at.most(tolerance);
  }
}

describe('conformance: every registered op against its float64 reference', function () {
  after(() => console.log(`      measured errors (relative to the largest reference element):\n${table.map((l) => `        ${l}`).join('\n')}`));

  for (const name of Object.keys(OP_METHODS) as OpName[]) {
    const method = OP_METHODS[name];
    it(`${name}: ${method.cases.length} case(s), forward and gradient`, async () => {
      expect(method.cases.length, `${name} declares no test domain`).to.be.above(0);
      for (const c of method.cases as readonly OpCase<readonly unknown[]>[]) {
        await checkForward(name, c);
        await checkGradient(name, c);
      }
    });
  }

  it('the error measure refuses a [2, 100] softmax gradient 9.6% off (an absolute 2e-3 let it pass)', () => {
    // Gradients of a softmax over 100 classes are all small: an absolute tolerance hides any error in them.
    const exact = Float64Array.from({ length: 200 }, (_, i) => 0.004 * Math.sin(i));
    const off = exact.map((g) => g * 1.096);
    expect(Math.max(...exact.map((g, i) => Math.abs(off[i]! - g)))).to.be.below(2e-3);
    expect(relativeError(off, exact)).to.be.above(GRADIENT_TOLERANCE * 100);
  });

  it('every op reaches eager code as the registry says (a Tensor method or a functional function)', () => {
    const methods = EagerTensor.prototype as unknown as Record<string, unknown>;
    const functions = functional as unknown as Record<string, unknown>;
    for (const [name, { eager }] of Object.entries(OP_METHODS)) {
      if (eager === 'derived') {
        expect(typeof methods[name], `Tensor.${name}`).to.equal('function');
        expect(typeof functions[name], `functional.${name}`).to.equal('function');
      } else if (eager === 'derived-functional') expect(typeof functions[name], `functional.${name}`).to.equal('function');
      else if ('method' in eager) expect(typeof methods[eager.method], `Tensor.${eager.method} (for ${name})`).to.equal('function');
      else if ('functional' in eager) expect(typeof functions[eager.functional], `functional.${eager.functional} (for ${name})`).to.equal('function');
      else expect(eager.graphOnly).to.be.a('string').that.is.not.empty;
    }
  });

  it('every op defined is run by some case (directly or through a gradient), or is an update or a fusion', () => {
    const unseen = definedOps()
      .filter((op) => !op.effect && !op.madeBy && !seen.has(op.name))
      .map((op) => op.name);
    expect(unseen, 'ops no case runs: register their builder with a domain').to.deep.equal([]);
  });
});
