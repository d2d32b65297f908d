// The character model's checkpoint opens in PyTorch: a model trained by `kiln train charlm --save`
// loads into nanoGPT's GPT (bench/torch_charlm.py, load_state_dict(strict=True)), and both give the
// same mean loss on the same validation windows, to 1e-4. Where Debian's python3-torch is not
// installed the test is skipped, and says so.
import { expect } from 'chai';
import { execFileSync, spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Graph, Program } from '../src/node';
import { loadCharLm } from '../src/train/charlm-checkpoint';
import { testDevice } from './helpers/device';

const PYTHON = '/usr/bin/python3';
const torchMissing = (): string | null => {
  const r = spawnSync(PYTHON, ['-c', 'import torch'], { encoding: 'utf8' });
  return r.status === 0 ? null : (r.stderr.trim().split('\n').at(-1) ?? 'python3 cannot import torch');
};

describe('a character model in PyTorch (nanoGPT GPT, strict load)', function () {
  this.timeout(600_000);

  it('loads with strict=True and gives the same validation loss on the same windows to 1e-4', async function () {
    const missing = torchMissing();
    if (missing) {
      console.log(`      skipped: ${PYTHON} has no torch (${missing}); install Debian's python3-torch to run it`);
      return this.skip();
    }
    const dir = mkdtempSync(join(tmpdir(), 'kiln-torch-charlm-'));
    try {
      const file = join(dir, 'charlm.safetensors');
      const small = ['--layers', '2', '--heads', '2', '--embd', '32', '--block', '16', '--batch-size', '8', '--iters', '30', '--eval-every', '0'];
      execFileSync('node', ['bin/kiln.js', 'train', 'charlm', ...small, '--eval-iters', '2', '--sample-tokens', '0', '--save', file], { encoding: 'utf8' });
      const { model, vocab } = loadCharLm(readFileSync(file), file);
      // Eight windows of the validation split (the last 10% of the text), at fixed places.
      const ids = vocab.encode(readFileSync('data/tinyshakespeare/input.txt', 'utf8'));
      const val = ids.subarray(Math.floor(ids.length * 0.9));
      const [b, t] = [8, 16];
      const starts = Array.from({ length: b }, (_, i) => i * 1013);
      const x = starts.map((s) => [...val.subarray(s, s + t)]);
      const y = starts.map((s) => [...val.subarray(s + 1, s + t + 1)]);
      const windows = join(dir, 'windows.json');
      writeFileSync(windows, JSON.stringify({ x, y }));

      const device = await testDevice();
      const g = new Graph();
      const idx = g.input('idx', [b, t], 'i32');
      const targets = g.input('targets', [b, t], 'i32');
      const loss = g.crossEntropy(model.forward(idx, { training: false }), targets);
      const program = await Program.compile(device, g, { outputs: [loss] });
      program.run({ idx: Int32Array.from(x.flat()), targets: Int32Array.from(y.flat()) });
      const kiln = (await program.read(loss))[0]!;

      const torch = JSON.parse(execFileSync(PYTHON, ['bench/torch_charlm.py', file, windows], { encoding: 'utf8' })) as { loss: number; torch: string };
      console.log(`      validation loss on ${b} windows of ${t}: Kiln ${kiln.toFixed(6)}, PyTorch ${torch.torch} (float64) ${torch.loss.toFixed(6)}`);
      expect(Math.abs(kiln - torch.loss)).to.be.below(1e-4);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
