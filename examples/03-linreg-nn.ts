// Linear regression with nn.linear and optim.sgd: the model, the loss and the optimizer compiled into
// one training step; fit() runs the 1000 full-batch epochs on the GPU.
import { compile, Dataset, loss, manualSeed, nn, openDevice, optim } from 'kiln-webgpu';

manualSeed(0);
const device = await openDevice();
const xs = Float32Array.from({ length: 11 }, (_, i) => i + 1);
const data = new Dataset({ name: 'line', features: xs, featureShape: [1], targets: xs.map((x) => 2 * x + 3) });
const model = nn.linear(1, 1);
const trainer = compile(device, { model, loss: loss.mse, optimizer: optim.sgd({ lr: 0.01 }), batchSize: 11 });
const history = await trainer.fit(data, { epochs: 1000, shuffle: false });
const [w, b] = await Promise.all([model.weight.read(), model.bias!.read()]);
console.log(`final loss ${history.at(-1)!.loss.toFixed(5)}`);
console.log(`w = ${w[0]!.toFixed(4)}, b = ${b[0]!.toFixed(4)}`);
