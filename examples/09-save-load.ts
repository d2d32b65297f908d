// Saving and loading: train a small classifier, save its weights (safetensors, PyTorch names: the
// file opens with torch's safetensors.torch.load_file), load them into a fresh model of the same
// shape and check that it predicts the same.
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { compile, Dataset, loadCheckpointFile, loss, manualSeed, nn, openDevice, optim, predict, saveCheckpointFile } from 'kiln-webgpu';

const net = () => nn.sequential({ fc1: nn.linear(2, 8), relu: nn.relu(), fc2: nn.linear(8, 2) });
manualSeed(0);
const device = await openDevice();
const points = Array.from({ length: 64 }, (_, i) => [Math.sin(i), Math.cos(3 * i)]);
const train = new Dataset({ name: 'points', features: points, targets: points.map(([a, b]) => (a! * b! > 0 ? 1 : 0)), classes: 2 });
const model = net();
const trainer = compile(device, { model, loss: loss.crossEntropy, optimizer: optim.sgd({ lr: 0.5, momentum: 0.9 }), batchSize: 16 });
await trainer.fit(train, { epochs: 50 });

const file = join(process.argv[2] ?? mkdtempSync(join(tmpdir(), 'kiln-example-')), 'points.safetensors');
await saveCheckpointFile(model, file);
const restored = net(); // fresh weights
await loadCheckpointFile(restored, file);
const [before, after] = await Promise.all([predict(device, model, points), predict(device, restored, points)]);
const same = before.data.every((v, i) => v === after.data[i]);
console.log(
  `saved ${file} (${model
    .namedParameters()
    .map(([name]) => name)
    .join(', ')}); the loaded model predicts ${same ? 'the same' : 'differently'}`,
);
