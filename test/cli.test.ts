// The kiln command line as a user meets it: bad input ends with a clear message and an exit code,
// never a crash or a stack trace.
import { expect } from 'chai';
import { spawn, spawnSync } from 'node:child_process';
import { copyFileSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { formatDuration, progressLine } from '../src/cli/progress';
import { MNIST_NETS, mnistNet, saveCheckpoint } from '../src/node';
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

  it('an unknown adapter name is a usage error (exit code 2), from the flag or from KILN_ADAPTER', () => {
    const r = kiln('info', '--adapter', 'quantum');
    expect(r.code).to.equal(2);
    expect(r.err).to.match(/--adapter must be one of auto, gpu, swiftshader, llvmpipe, got 'quantum'/);
    expect(r.err).to.not.match(/\n\s+at /); // no stack trace
    const env = spawnSync(process.execPath, ['bin/kiln.js', 'info'], { encoding: 'utf8', env: { ...process.env, KILN_ADAPTER: 'quantum' } });
    expect(env.status).to.equal(1);
    expect(env.stderr).to.match(/unknown adapter 'quantum': expected one of auto, gpu, swiftshader, llvmpipe \(from --adapter or KILN_ADAPTER\)/);
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

describe('kiln train charlm and kiln sample', function () {
  this.timeout(600_000);

  it('trains a small character GPT on a text, saves it with its vocabulary, and kiln sample continues a prompt', () => {
    const dir = mkdtempSync(join(tmpdir(), 'kiln-charlm-'));
    const text = join(dir, 'text.txt');
    writeFileSync(text, 'first citizen: before we proceed any further, hear me speak.\n'.repeat(60));
    const model = join(dir, 'model.safetensors');
    const small = [
      '--lr',
      '0.01',
      '--warmup',
      '0',
      '--layers',
      '1',
      '--heads',
      '2',
      '--embd',
      '16',
      '--block',
      '16',
      '--batch-size',
      '4',
      '--eval-iters',
      '2',
      '--deterministic',
    ];
    const r = kiln(
      'train',
      'charlm',
      '--data',
      text,
      '--iters',
      '30',
      '--eval-every',
      '15',
      '--report-every',
      '15',
      '--sample-tokens',
      '20',
      '--save',
      model,
      ...small,
    );
    expect(r.code, r.err).to.equal(0);
    expect(r.out).to.match(/charlm: 3660 characters \(25 distinct\)/);
    const losses = [...r.out.matchAll(/val loss ([\d.]+)/g)].map((m) => Number(m[1]));
    expect(losses.length, r.out).to.be.at.least(2);
    // Uniform over 25 characters is ln 25 = 3.22: it has learned something within 30 iterations.
    expect(losses[losses.length - 1]).to.be.below(3.0);
    expect(r.out).to.match(/sample \(temperature 0\.8, top-k 200\):\n/);
    const s = kiln('sample', '--load', model, '--prompt', 'first', '--tokens', '25', '--seed', '3');
    expect(s.code, s.err).to.equal(0);
    expect(s.out).to.match(/^first/);
    expect(s.out.trimEnd().length).to.equal(30);
    expect(kiln('sample', '--load', model, '--prompt', 'first', '--tokens', '25', '--seed', '3').out).to.equal(s.out);
    const bad = kiln('sample', '--load', model, '--prompt', 'Zebra');
    expect(bad.code).to.equal(1);
    expect(bad.err).to.match(/"Z" \(at character 0\) is not in the vocabulary of 25 characters/);
    const foreign = kiln('sample', '--load', text);
    expect(foreign.code).to.equal(1);
    expect(foreign.err).to.match(/text\.txt/);
  });
});

describe('kiln command line conventions', function () {
  this.timeout(300_000);

  it('--version, -h, help COMMAND and GROUP --help', () => {
    const version = JSON.parse(readFileSync('package.json', 'utf8')).version as string;
    for (const flag of ['--version', '-V']) expect(kiln(flag).out.trim()).to.equal(version);
    for (const args of [['-h'], ['--help'], ['help']]) {
      const r = kiln(...args);
      expect(r.code, args.join(' ')).to.equal(0);
      expect(r.out).to.match(/usage: kiln <command> \[options\][\s\S]*kiln train mnist/);
    }
    const group = kiln('train', '--help');
    expect(group.code).to.equal(0);
    expect(group.out)
      .to.match(/kiln train linreg[\s\S]*kiln train softmax[\s\S]*kiln train mnist/)
      .and.not.match(/kiln eval mnist/);
    expect(kiln('help', 'train').out).to.equal(group.out);
    const command = kiln('help', 'train', 'mnist');
    expect(command.code).to.equal(0);
    expect(command.out).to.match(/^kiln train mnist: [\s\S]*--epochs[\s\S]*--save/);
    expect(kiln('train', 'mnist', '-h').out).to.equal(command.out);
    const bare = kiln('train');
    expect(bare.code).to.equal(2);
    expect(bare.err).to.match(/'kiln train' needs to know what to train[\s\S]*kiln train mnist/);
  });

  it('every bad flag value is a usage error naming the flag, before any device or data is touched', () => {
    const cases: [string[], RegExp][] = [
      [['train', 'mnist', '--lr', '-1'], /--lr must be a number above 0, got -1/],
      [['train', 'mnist', '--seed', '1.5'], /--seed must be an integer in \[0, 4294967295\], got 1\.5/],
      [['train', 'mnist', '--momentum', '1'], /--momentum must be a number in \[0, 1\), got 1/],
      [['train', 'mnist', '--limit', '0'], /--limit must be a positive integer, got 0/],
      [['train', 'mnist', '--dataset', 'cifar'], /--dataset must be one of mnist, fashion, got 'cifar'/],
      [['eval', 'mnist', '--load', 'x', '--batch-size', '0'], /--batch-size must be a positive integer, got 0/],
      [['eval', 'mnist'], /--load is required/],
      [['profile', 'mnist', '--warmup', '-1'], /--warmup must be a whole number \(0 or more\), got -1/],
      [['train', 'linreg', '--variant', 'd'], /--variant must be one of a, b, c, all, got 'd'/],
      [['train', 'softmax', '--epochs', '2.5'], /--epochs must be a positive integer, got 2\.5/],
    ];
    for (const [args, message] of cases) {
      const r = spawnSync(process.execPath, ['bin/kiln.js', ...args], { encoding: 'utf8', env: { ...process.env, KILN_DEBUG: '1' } });
      expect(r.status, args.join(' ')).to.equal(2);
      expect(r.stderr, args.join(' ')).to.match(message);
      // KILN_DEBUG shows Dawn's own output: none means no adapter was probed.
      expect(r.stderr, args.join(' ')).to.not.match(/Warning:/);
      expect(r.stdout, args.join(' ')).to.equal('');
    }
  });

  it('--save is checked before training: a missing folder, a read-only one, a device node or a folder', () => {
    const dir = mkdtempSync(join(tmpdir(), 'kiln-save-'));
    const cases: [string, RegExp][] = [
      [join(dir, 'no', 'such', 'net.safetensors'), /--save .*net\.safetensors: folder .*no\/such does not exist/],
      ['/dev/null', /--save \/dev\/null: exists and is not a regular file; refusing to replace it/],
      [dir, /exists and is not a regular file/],
    ];
    if (process.getuid?.() !== 0) {
      mkdirSync(join(dir, 'ro'), { mode: 0o555 });
      cases.push([join(dir, 'ro', 'net.safetensors'), /folder .*ro is not writable/]);
    }
    for (const [path, message] of cases) {
      const r = kiln('train', 'mnist', '--save', path);
      expect(r.code, path).to.equal(2);
      expect(r.err, path).to.match(message);
      expect(r.out, path).to.equal('');
    }
  });

  it('a reader that goes away (kiln ... | head -1) ends it quietly', () => {
    const r = spawnSync('bash', ['-c', 'node bin/kiln.js help train mnist | head -1; node bin/kiln.js train linreg --variant a | head -1'], {
      encoding: 'utf8',
      timeout: 120_000,
    });
    expect(r.status).to.equal(0);
    expect(r.stderr).to.not.match(/EPIPE|Error|at /);
    expect(r.stdout.split('\n').filter(Boolean)).to.have.length(2);
  });

  it("Dawn's harmless native warnings reach the user only with KILN_DEBUG", function () {
    const quiet = kiln('info', '--adapter', 'llvmpipe');
    if (quiet.code !== 0) this.skip(); // no llvmpipe here
    expect(quiet.err).to.not.match(/artificially reduced/);
    const debug = spawnSync(process.execPath, ['bin/kiln.js', 'info', '--adapter', 'llvmpipe'], { encoding: 'utf8', env: { ...process.env, KILN_DEBUG: '1' } });
    expect(debug.stderr).to.match(/Warning: maxDynamic\w+ artificially reduced/);
    expect(debug.stdout).to.equal(quiet.out);
  });

  it('auto picks the faster software adapter for the work and says which and why in the first line', function () {
    const env = { ...process.env, KILN_ADAPTER: '' };
    const first = (args: string[]) =>
      spawnSync(process.execPath, ['bin/kiln.js', ...args], { encoding: 'utf8', env, timeout: 120_000 }).stdout.split('\n')[0] ?? '';
    const linreg = first(['train', 'linreg', '--variant', 'a']);
    if (/a GPU was found/.test(linreg)) this.skip();
    expect(linreg).to.match(/^adapter: swiftshader \(.*\), chosen by --adapter auto: no GPU was found, and its dispatches cost less/);
    expect(first(['train', 'mnist', '--net', 'narrow', '--limit', '64', '--test-limit', '100', '--epochs', '1'])).to.match(
      /^adapter: llvmpipe \(.*\), chosen by --adapter auto: no GPU was found, and it trains conv nets several times faster/,
    );
  });

  it('on llvmpipe, a training batch too large for its bindings falls back to SwiftShader', async function () {
    // Seeing the training step compile on SwiftShader is enough: the run is stopped there.
    const child = spawn(
      process.execPath,
      ['dist/cli.js', 'train', 'mnist', '--batch-size', '1000', '--limit', '1000', '--test-limit', '100', '--epochs', '1'],
      {
        env: { ...process.env, KILN_ADAPTER: '' },
        stdio: ['ignore', 'pipe', 'pipe'],
      },
    );
    let out = '';
    const compiledOnSwiftShader = /\nadapter: swiftshader [^\n]*\n[\s\S]*compiled the training step/;
    const ended = new Promise<void>((done) => child.on('close', () => done()));
    await new Promise<void>((done) => {
      child.stdout.on('data', (d: Buffer) => {
        out += d.toString();
        if (compiledOnSwiftShader.test(out) || /a GPU was found/.test(out)) done();
      });
      child.on('close', () => done());
    });
    child.kill('SIGKILL');
    await ended;
    if (/a GPU was found/.test(out)) this.skip();
    expect(out.split('\n')[0]).to.match(/^adapter: llvmpipe/);
    expect(out).to.match(/\nadapter: swiftshader .*a training step at batch 1000 has a tensor larger than llvmpipe's 134217728-byte binding limit/);
    expect(out).to.match(compiledOnSwiftShader);
  });

  it('kiln eval mnist reads only the test files', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'kiln-eval-only-'));
    for (const name of ['t10k-images-idx3-ubyte.gz', 't10k-labels-idx1-ubyte.gz']) copyFileSync(join('data', 'mnist', name), join(dir, name));
    const file = join(dir, 'narrow.safetensors');
    writeFileSync(file, await saveCheckpoint(mnistNet(MNIST_NETS.narrow)));
    const r = kiln('eval', 'mnist', '--load', file, '--data', dir, '--test-limit', '200');
    expect(r.code, r.err).to.equal(0);
    expect(r.out).to.match(/Test set: Average loss: [\d.]+, Accuracy: \d+\/200/);
  });
});

describe('the progress line', () => {
  const p = { epoch: 1, epochs: 2, seen: 6400, total: 22699, loss: 0.3125, examplesPerSecond: 250 };

  it('shows elapsed time and the time left, and fits the terminal', () => {
    const line = progressLine('train', 'images', p, 25.6, 120);
    expect(line).to.match(/^train epoch 1\/2 \[#+\.+\] {2}6400\/22699 loss 0\.3125 250 images\/s 0:26<1:05$/);
    expect(line.length).to.be.below(120);
    for (const width of [100, 80, 60, 40]) expect(progressLine('train', 'images', p, 25.6, width).length, `width ${width}`).to.be.below(width);
    expect(progressLine('train', 'images', p, 25.6, 60)).to.contain('0:26<1:05');
    expect(progressLine('train', 'images', { ...p, seen: p.total }, 90.8, null)).to.match(/ 1:31$/);
    expect(formatDuration(3725)).to.equal('1:02:05');
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
