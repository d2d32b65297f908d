// `kiln train mnist --checkpoint-dir DIR` and `--resume DIR`: a run killed with SIGKILL at random
// moments always resumes from the last complete checkpoint and ends exactly as the uninterrupted
// run; Ctrl-C writes a checkpoint and exits 130; a resume with other settings is refused. The same
// for `kiln train charlm`, whose resumed run prints the uninterrupted run's loss estimates.
import { expect } from 'chai';
import { spawn, spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { RandomStream } from '../src/node';

const RUN = ['train', 'mnist', '--net', 'narrow', '--limit', '320', '--test-limit', '100', '--epochs', '2', '--batch-size', '32'];
const env = { ...process.env, KILN_ADAPTER: process.env['KILN_ADAPTER'] ?? 'llvmpipe' };

/** The lines that must come out the same: each epoch's train loss and test line. */
const results = (out: string) =>
  out
    .split('\n')
    .filter((l) => /^epoch \d+: train loss|^Test set:/.test(l))
    .map((l) => l.replace(/, [\d.]+ s, .*$/, ''));

function sleep(ms: number): Promise<void> {
  return new Promise((done) => setTimeout(done, ms));
}

/** Starts dist/cli.js (no wrapper, so a signal reaches the process that trains). */
function start(args: string[]) {
  const child = spawn(process.execPath, ['dist/cli.js', ...args], { env, stdio: ['ignore', 'pipe', 'pipe'] });
  let out = '';
  let err = '';
  child.stdout.on('data', (d: Buffer) => (out += d.toString()));
  child.stderr.on('data', (d: Buffer) => (err += d.toString()));
  const exit = new Promise<number | null>((done) => child.on('close', (code, signal) => done(code ?? (signal ? -1 : null))));
  return { child, exit, output: () => ({ out, err }) };
}

async function waitFor(condition: () => boolean, what: string, timeoutMs = 300_000): Promise<void> {
  const until = Date.now() + timeoutMs;
  while (!condition()) {
    if (Date.now() > until) throw new Error(`timed out waiting for ${what}`);
    await sleep(50);
  }
}

const latest = (dir: string) => (existsSync(join(dir, 'latest')) ? readFileSync(join(dir, 'latest'), 'utf8').trim() : null);

describe('kiln train mnist: checkpoints and resume', function () {
  this.timeout(900_000);
  let dir = '';
  let uninterrupted: string[];
  let finalWeights: Buffer;
  const reference = mkdtempSync(join(tmpdir(), 'kiln-resume-reference-'));

  before(() => {
    const r = spawnSync(process.execPath, ['dist/cli.js', ...RUN, '--checkpoint-dir', reference], { env, encoding: 'utf8', timeout: 600_000 });
    expect(r.status, r.stderr).to.equal(0);
    uninterrupted = results(r.stdout);
    expect(uninterrupted).to.have.length(4);
    finalWeights = readFileSync(join(reference, latest(reference)!, 'model.safetensors'));
  });
  after(() => rmSync(reference, { recursive: true, force: true }));

  /** The epoch lines a segment printed are the uninterrupted run's lines for those epochs. */
  const sameEpochs = (lines: string[]) => {
    for (let i = 0; i < lines.length; i += 2) {
      const epoch = Number(/^epoch (\d+):/.exec(lines[i]!)![1]);
      expect(lines.slice(i, i + 2), `epoch ${epoch}`).to.deep.equal(uninterrupted.slice(2 * (epoch - 1), 2 * epoch));
    }
  };
  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'kiln-resume-'));
  });
  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  it('killed with SIGKILL at random moments, it resumes from the last complete checkpoint and ends as the uninterrupted run', async () => {
    const rand = new RandomStream(11);
    const seen: string[] = [];
    let args = [...RUN, '--checkpoint-dir', dir, '--checkpoint-every', '2'];
    for (let kill = 0; kill < 3; kill++) {
      const run = start(args);
      let exited = false;
      void run.exit.then(() => (exited = true));
      // Once a checkpoint is complete, kill at a random moment of the next 0-150 ms: a few steps, at
      // most a fifth of this run on an idle machine (a 0.8 s window once let it finish first).
      await waitFor(() => exited || (latest(dir) !== null && latest(dir) !== seen.at(-1)), 'a new checkpoint or the end of the run');
      // The run ended before a new checkpoint could be killed: the checks after the loop still hold.
      if (exited) break;
      await sleep(rand.below(150));
      run.child.kill('SIGKILL');
      await run.exit;
      const complete = latest(dir);
      expect(complete, 'latest names a checkpoint').to.match(/^epoch-\d+-step-\d+-[0-9a-f]{8}$/);
      for (const file of ['model.safetensors', 'training.safetensors']) expect(existsSync(join(dir, complete!, file)), file).to.equal(true);
      seen.push(complete!);
      args = ['train', 'mnist', '--resume', dir];
      const resumed = start(args);
      await waitFor(() => /resuming from /.test(resumed.output().out), 'the resume line');
      expect(resumed.output().out).to.contain(`resuming from ${join(dir, complete!)}:`);
      resumed.child.kill('SIGKILL');
      await resumed.exit;
    }
    const last = spawnSync(process.execPath, ['dist/cli.js', 'train', 'mnist', '--resume', dir], { env, encoding: 'utf8', timeout: 600_000 });
    expect(last.status, last.stderr).to.equal(0);
    // The last segment's epochs match the uninterrupted run's, and so do the final weights, to the bit.
    sameEpochs(results(last.stdout));
    expect(readFileSync(join(dir, latest(dir)!, 'model.safetensors')).equals(finalWeights)).to.equal(true);
    expect(seen.length, 'kills that landed before the run ended').to.be.at.least(2);
    console.log(`      killed ${seen.length} times, resumed from ${seen.join(', ')}; the final weights equal the uninterrupted run's`);
  });

  it('Ctrl-C writes a checkpoint at the next step boundary and exits 130; --resume finishes the run', async () => {
    const run = start([...RUN, '--checkpoint-dir', dir, '--checkpoint-every', '2']);
    await waitFor(() => latest(dir) !== null, 'the first checkpoint');
    run.child.kill('SIGINT');
    expect(await run.exit).to.equal(130);
    expect(run.output().out).to.match(/stopped after \d+ epoch\(s\)( and step \d+ of epoch \d+)?; checkpoint in .*\(continue with --resume /);
    const resumed = spawnSync(process.execPath, ['dist/cli.js', 'train', 'mnist', '--resume', dir], { env, encoding: 'utf8', timeout: 600_000 });
    expect(resumed.status, resumed.stderr).to.equal(0);
    sameEpochs(results(resumed.stdout));
    expect(readFileSync(join(dir, latest(dir)!, 'model.safetensors')).equals(finalWeights)).to.equal(true);
  });

  it('a resume with other settings, or from a folder without a checkpoint, is refused with the reason', async () => {
    const r = spawnSync(process.execPath, ['dist/cli.js', ...RUN, '--epochs', '1', '--checkpoint-dir', dir], { env, encoding: 'utf8', timeout: 600_000 });
    expect(r.status, r.stderr).to.equal(0);
    const other = spawnSync(process.execPath, ['dist/cli.js', 'train', 'mnist', '--resume', dir, '--lr', '0.05'], { env, encoding: 'utf8' });
    expect(other.status).to.equal(1);
    expect(other.stderr).to.match(/--lr 0\.05 differs from the checkpoint's 0\.025/);
    const empty = mkdtempSync(join(tmpdir(), 'kiln-resume-empty-'));
    const none = spawnSync(process.execPath, ['dist/cli.js', 'train', 'mnist', '--resume', empty], { env, encoding: 'utf8' });
    rmSync(empty, { recursive: true, force: true });
    expect(none.status).to.equal(1);
    expect(none.stderr).to.match(/no complete checkpoint here \(no latest file\)/);
    const file = spawnSync(process.execPath, ['dist/cli.js', ...RUN, '--checkpoint-dir', '/dev/null'], { env, encoding: 'utf8' });
    expect(file.status).to.equal(2);
    expect(file.stderr).to.match(/--checkpoint-dir \/dev\/null: exists and is not a folder/);
  });
});

describe('kiln train charlm: checkpoints and resume', function () {
  this.timeout(900_000);
  const dir = mkdtempSync(join(tmpdir(), 'kiln-charlm-resume-'));
  after(() => rmSync(dir, { recursive: true, force: true }));
  const text = join(dir, 'text.txt');
  writeFileSync(text, 'first citizen: before we proceed any further, hear me speak.\n'.repeat(40));
  const SMALL = ['train', 'charlm', '--data', text, '--iters', '40', '--eval-every', '10', '--eval-iters', '2', '--report-every', '5'];
  const SHAPE = [
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
    '--lr',
    '0.01',
    '--warmup',
    '0',
    '--sample-tokens',
    '0',
  ];
  const estimates = (out: string) => out.split('\n').filter((l) => /^iter \d+: estimated/.test(l));

  it("Ctrl-C writes a checkpoint and exits 130; --resume prints the uninterrupted run's estimates; other settings are refused", async () => {
    const straight = spawnSync(process.execPath, ['dist/cli.js', ...SMALL, ...SHAPE, '--deterministic'], { env, encoding: 'utf8', timeout: 600_000 });
    expect(straight.status, straight.stderr).to.equal(0);
    const expected = estimates(straight.stdout);
    expect(expected).to.have.length(4);

    const checkpoints = join(dir, 'run');
    const run = start([...SMALL, ...SHAPE, '--deterministic', '--checkpoint-dir', checkpoints]);
    await waitFor(() => latest(checkpoints) !== null, 'the first checkpoint');
    run.child.kill('SIGINT');
    expect(await run.exit, run.output().err).to.equal(130);
    const first = run.output().out;
    expect(first).to.match(/stopped after iteration \d+; checkpoint in .*\(continue with --resume /);
    const refused = spawnSync(process.execPath, ['dist/cli.js', 'train', 'charlm', '--resume', checkpoints, '--embd', '32'], { env, encoding: 'utf8' });
    expect(refused.status).to.equal(1);
    expect(refused.stderr).to.match(/--embd 32 differs from the checkpoint's 16 \(.*iter-\d+-[0-9a-f]{8}\); leave it out/);
    const resumed = spawnSync(process.execPath, ['dist/cli.js', 'train', 'charlm', '--resume', checkpoints, '--deterministic', '--sample-tokens', '0'], {
      env,
      encoding: 'utf8',
      timeout: 600_000,
    });
    expect(resumed.status, resumed.stderr).to.equal(0);
    expect(resumed.stdout).to.match(/resuming from .*: \d+ iteration\(s\) done/);
    const done = [...estimates(first), ...estimates(resumed.stdout)];
    // Each estimate appears once in one of the two runs, with the uninterrupted run's figures.
    expect([...new Set(done)]).to.deep.equal(expected);
  });
});
