// Every file in examples/ runs as a user runs it (bundled, importing the package by its name) and
// prints what its tutorial promises. The long ones run shortened through their EPOCHS / LIMIT knobs.
import { expect } from 'chai';
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

const plainRuns = new Map<string, string>();

/** The output of `name` run with no settings (run once: several tests read it). */
function runExample(name: string, env: Record<string, string> = {}, args: string[] = []): string {
  if (Object.keys(env).length === 0 && args.length === 0) {
    const known = plainRuns.get(name);
    if (known !== undefined) return known;
    const out = runExampleOnce(name, env, args);
    plainRuns.set(name, out);
    return out;
  }
  return runExampleOnce(name, env, args);
}

function runExampleOnce(name: string, env: Record<string, string>, args: string[]): string {
  const r = spawnSync(process.execPath, [join('build', 'examples', `${name}.js`), ...args], {
    encoding: 'utf8',
    timeout: 600_000,
    env: { ...process.env, ...env },
  });
  expect(r.status, `${name}:\n${r.stdout}\n${r.stderr}`).to.equal(0);
  return r.stdout;
}

function numbers(text: string, pattern: RegExp): number[] {
  const match = pattern.exec(text);
  if (!match) throw new Error(`no match for ${pattern} in:\n${text}`);
  return match.slice(1).map(Number);
}

describe('examples', function () {
  this.timeout(900_000);

  it('every example has a test here', () => {
    const names = readdirSync('examples')
      .filter((f) => f.endsWith('.ts'))
      .map((f) => f.replace(/\.ts$/, ''));
    expect(names).to.have.members([
      '01-linreg-by-hand',
      '02-linreg-autograd',
      '03-linreg-nn',
      '04-minibatch-sgd',
      '05-house-prices',
      '06-softmax-fashion',
      '07-mnist-cnn',
      '08-predict',
      '09-save-load',
      '10-tensors-linreg-by-hand',
      '11-tensors-linreg-autograd',
      '12-tensors-linreg-nn',
      '13-tensors-minibatch-sgd',
      '14-tensors-softmax-fashion',
    ]);
  });

  for (const name of [
    '01-linreg-by-hand',
    '02-linreg-autograd',
    '03-linreg-nn',
    '10-tensors-linreg-by-hand',
    '11-tensors-linreg-autograd',
    '12-tensors-linreg-nn',
  ]) {
    it(`${name}: fits y = 2x + 3`, () => {
      const [w, b] = numbers(runExample(name), /w = ([-\d.]+), b = ([-\d.]+)/);
      expect(w).to.be.closeTo(2, 0.05);
      expect(b).to.be.closeTo(3, 0.3);
    });
  }

  it('01 and 02 agree: hand-written gradients are autodiff gradients', () => {
    expect(numbers(runExample('01-linreg-by-hand'), /w = ([-\d.]+), b = ([-\d.]+)/)).to.deep.equal(
      numbers(runExample('02-linreg-autograd'), /w = ([-\d.]+), b = ([-\d.]+)/),
    );
  });

  it('the tensor examples give the compiled ones’ w and b (10 = 01, 11 = 02, 12 = 03)', () => {
    for (const [eager, compiled] of [
      ['10-tensors-linreg-by-hand', '01-linreg-by-hand'],
      ['11-tensors-linreg-autograd', '02-linreg-autograd'],
      ['12-tensors-linreg-nn', '03-linreg-nn'],
    ] as const) {
      const [we, be] = numbers(runExample(eager), /w = ([-\d.]+), b = ([-\d.]+)/);
      const [wc, bc] = numbers(runExample(compiled), /w = ([-\d.]+), b = ([-\d.]+)/);
      expect(we, eager).to.be.closeTo(wc!, 1e-3);
      expect(be, eager).to.be.closeTo(bc!, 1e-3);
    }
  });

  it('11-tensors-linreg-autograd prints w as PyTorch does', () => {
    expect(runExample('11-tensors-linreg-autograd')).to.match(/tensor\(\[2\.\d{4}\], requires_grad=True\)/);
  });

  it('13-tensors-minibatch-sgd: recovers w = [2, -3.4], b = 4.2', () => {
    const [w0, w1, b] = numbers(runExample('13-tensors-minibatch-sgd'), /w = \[([-\d.]+), ([-\d.]+)\], b = ([-\d.]+)/);
    expect(w0).to.be.closeTo(2, 0.01);
    expect(w1).to.be.closeTo(-3.4, 0.01);
    expect(b).to.be.closeTo(4.2, 0.01);
  });

  it('14-tensors-softmax-fashion: one epoch beats 70% test accuracy, as 06 does', function () {
    if (!existsSync('/usr/share/datasets/fashion-mnist/train-images-idx3-ubyte.gz')) this.skip();
    const [accuracy] = numbers(runExample('14-tensors-softmax-fashion', { EPOCHS: '1' }), /epoch 1: train loss [\d.]+, test accuracy ([\d.]+)/);
    expect(accuracy).to.be.above(0.7);
  });

  it('04-minibatch-sgd: recovers w = [2, -3.4], b = 4.2', () => {
    const [w0, w1, b] = numbers(runExample('04-minibatch-sgd'), /w = \[([-\d.]+), ([-\d.]+)\], b = ([-\d.]+)/);
    expect(w0).to.be.closeTo(2, 0.01);
    expect(w1).to.be.closeTo(-3.4, 0.01);
    expect(b).to.be.closeTo(4.2, 0.01);
  });

  it('05-house-prices: about a unit per month, and a held-out loss near the noise variance (25)', () => {
    const out = runExample('05-house-prices');
    const [slope] = numbers(out, /price = ([-\d.]+) \* month/);
    const [trainLoss, tailLoss] = numbers(out, /training loss ([\d.]+), held-out loss ([\d.]+)/);
    expect(slope).to.be.closeTo(1, 0.1);
    expect(trainLoss).to.be.within(10, 40);
    expect(tailLoss).to.be.within(5, 80);
  });

  it('06-softmax-fashion: one epoch beats 70% test accuracy', function () {
    if (!existsSync('/usr/share/datasets/fashion-mnist/train-images-idx3-ubyte.gz')) this.skip();
    const [accuracy] = numbers(runExample('06-softmax-fashion', { EPOCHS: '1' }), /epoch 1: train loss [\d.]+, test accuracy ([\d.]+)/);
    expect(accuracy).to.be.above(0.7);
  });

  it('07-mnist-cnn: learns on 640 images in one epoch', () => {
    const [accuracy] = numbers(
      runExample('07-mnist-cnn', { EPOCHS: '1', LIMIT: '640', KILN_ADAPTER: process.env['KILN_ADAPTER'] ?? 'llvmpipe' }),
      /epoch 1: .* accuracy ([\d.]+)%/,
    );
    expect(accuracy).to.be.above(40);
  });

  it('08-predict: predicts unseen x and classes', () => {
    const out = runExample('08-predict');
    const [at12] = numbers(out, /x = 12 -> ([-\d.]+)/);
    expect(at12).to.be.closeTo(27, 0.5);
    expect(out).to.match(/shape \[3, 1\]/);
    expect(out).to.match(/classes of \(0.9, -0.5\) and \(-0.7, 0.2\): 1, 0/);
  });

  it('09-save-load: the loaded model predicts exactly as the saved one', () => {
    const dir = mkdtempSync(join(tmpdir(), 'kiln-example-save-'));
    try {
      const out = runExample('09-save-load', {}, [dir]);
      expect(out).to.match(/\(fc1\.weight, fc1\.bias, fc2\.weight, fc2\.bias\); the loaded model predicts the same/);
      expect(existsSync(join(dir, 'points.safetensors'))).to.equal(true);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
