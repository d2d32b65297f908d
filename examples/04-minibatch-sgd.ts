// Minibatch SGD on synthetic data (d2l): X ~ N(0, 1) of 1000 x 2, y = X [2, -3.4] + 4.2 + N(0, 0.01²),
// shuffled minibatches of 10, lr 0.03, 3 epochs; w starts at N(0, 0.01²) and b at 0.
import { compile, Dataset, loss, nn, openDevice, optim, RandomStream } from 'kiln-webgpu';

const device = await openDevice();
const rand = new RandomStream(0);
const X = rand.fillNormal(new Float32Array(1000 * 2), 0, 1);
const y = Float32Array.from({ length: 1000 }, (_, i) => 2 * X[2 * i]! - 3.4 * X[2 * i + 1]! + 4.2 + 0.01 * rand.normal());
const data = new Dataset({ name: 'synthetic', features: X, featureShape: [2], targets: y });

const model = nn.linear(2, 1);
model.weight.assign(rand.fillNormal(new Float32Array(2), 0, 0.01));
model.bias!.assign(new Float32Array(1));
const trainer = compile(device, { model, loss: loss.mse, optimizer: optim.sgd({ lr: 0.03 }), batchSize: 10, seed: 0 });
await trainer.fit(data, { epochs: 3, onEpochEnd: (epoch, l) => console.log(`epoch ${epoch}, loss ${l.toFixed(6)}`) });
const [w, b] = await Promise.all([model.weight.read(), model.bias!.read()]);
console.log(`w = [${Array.from(w, (v) => v.toFixed(4)).join(', ')}], b = ${b[0]!.toFixed(4)} (true [2, -3.4], 4.2)`);
