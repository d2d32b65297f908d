// The kiln command line as a user meets it: bad input ends with a clear message and an exit code,
// never a crash or a stack trace.
import { expect } from 'chai';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

function kiln(...args: string[]): { code: number | null; out: string; err: string } {
  const r = spawnSync(process.execPath, ['bin/kiln.js', ...args], { encoding: 'utf8', timeout: 120_000 });
  return { code: r.status, out: r.stdout, err: r.stderr };
}

describe('kiln command line', function () {
  this.timeout(300_000);

  it('kiln info prints the adapter, backend and limits', () => {
    const r = kiln('info');
    expect(r.code, r.err).to.equal(0);
    expect(r.out).to.match(/adapter: .+\nvendor: [\s\S]*backend: +(swiftshader|llvmpipe|gpu)[\s\S]*maxStorageBufferBindingSize/);
  });

  it('an unknown adapter name is a clear error with exit code 1', () => {
    const r = kiln('info', '--adapter', 'quantum');
    expect(r.code).to.equal(1);
    expect(r.err).to.match(/unknown adapter 'quantum': expected one of auto, gpu, swiftshader, llvmpipe/);
    expect(r.err).to.not.match(/\n\s+at /); // no stack trace
  });

  it('unknown commands and options, and bad values, are usage errors (exit code 2)', () => {
    expect(kiln('train', 'resnet').code).to.equal(2);
    const option = kiln('train', 'softmax', '--epoch', '3');
    expect(option.code).to.equal(2);
    expect(option.err).to.match(/unknown option --epoch \(options: --epochs/);
    const value = kiln('train', 'softmax', '--epochs', 'many');
    expect(value.code).to.equal(2);
    expect(value.err).to.match(/--epochs must be a number, got 'many'/);
  });

  it('a truncated or foreign data file names the file and the problem', () => {
    const dir = mkdtempSync(join(tmpdir(), 'kiln-bad-idx-'));
    const header = Uint8Array.of(0, 0, 8, 3, 0, 0, 0, 100, 0, 0, 0, 28, 0, 0, 0, 28);
    writeFileSync(join(dir, 'train-images-idx3-ubyte.gz'), header); // promises 100 images, holds none
    writeFileSync(join(dir, 'train-labels-idx1-ubyte.gz'), Uint8Array.of(0x12, 0x34, 0x56, 0x78));
    writeFileSync(join(dir, 't10k-images-idx3-ubyte.gz'), header);
    writeFileSync(join(dir, 't10k-labels-idx1-ubyte.gz'), header);
    const r = kiln('train', 'softmax', '--data', dir);
    expect(r.code).to.equal(1);
    expect(r.err).to.match(/fashion-train (images|labels): /);
    expect(r.err).to.match(/truncated|not an IDX file/);
    const missing = kiln('train', 'softmax', '--data', join(dir, 'nowhere'));
    expect(missing.err).to.match(/no such file[\s\S]*dataset-fashion-mnist/);
  });

  it('kiln train linreg fits y = 2x + 3', () => {
    const r = kiln('train', 'linreg', '--variant', 'a');
    expect(r.code, r.err).to.equal(0);
    const w = Number(/w = \[([-\d.]+)\]/.exec(r.out)![1]);
    const b = Number(/b = ([-\d.]+)/.exec(r.out)![1]);
    expect(Math.abs(w - 2)).to.be.below(0.02);
    expect(Math.abs(b - 3)).to.be.below(0.08);
  });
});

describe('the browser bundle', () => {
  it('imports no Node module (nothing Node-only reaches src/ outside the Node entry points)', () => {
    const bundle = readFileSync('dist/browser.js', 'utf8');
    expect(bundle).to.not.match(/from\s*["'](node:|fs|path|os|zlib|child_process|webgpu)["']/);
    expect(bundle).to.not.match(/require\(["'](node:|fs|webgpu)/);
    expect(bundle).to.match(/navigator\.gpu/);
  });

  it('nor does any demo page (each page bundles src/ for the browser)', () => {
    const pages = readdirSync('dist/demos').filter((f) => f.endsWith('.js'));
    expect(pages).to.include.members(['linreg.js', 'descent.js', 'softmax.js', 'mnist.js']);
    for (const page of pages) {
      const bundle = readFileSync(`dist/demos/${page}`, 'utf8');
      expect(bundle, page).to.not.match(/from\s*["'](node:|fs|path|os|zlib|child_process|webgpu)["']/);
      expect(bundle, page).to.not.match(/require\(["'](node:|fs|webgpu)/);
    }
  });
});
