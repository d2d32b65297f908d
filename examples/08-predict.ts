// Predicting new inputs: fit y = 2x + 3, then ask the model about x it never saw, one at a time or as
// a batch; and a classifier's predicted classes (argmax on the GPU).
import { compile, Dataset, loss, manualSeed, nn, openDevice, optim } from 'kiln-webgpu';

manualSeed(0);
const device = await openDevice();
const xs = Float32Array.from({ length: 11 }, (_, i) => i + 1);
const line = compile(device, { model: nn.linear(1, 1), loss: loss.mse, optimizer: optim.sgd({ lr: 0.01 }), batchSize: 11 });
await line.fit(new Dataset({ name: 'line', features: xs, featureShape: [1], targets: xs.map((x) => 2 * x + 3) }), { epochs: 1000, shuffle: false });
const one = await line.predict([[12]]);
const many = await line.predict(Float32Array.of(20, 30, 40));
console.log(
  `x = 12 -> ${one.data[0]!.toFixed(3)}; x = 20, 30, 40 -> ${Array.from(many.data, (v) => v.toFixed(3)).join(', ')} (shape [${many.shape.join(', ')}])`,
);

// Which of two points is further right: class 1 when x0 > x1.
const points = Array.from({ length: 64 }, (_, i) => [Math.sin(i), Math.cos(3 * i)]);
const sides = points.map(([a, b]) => (a! > b! ? 1 : 0));
const classifier = compile(device, { model: nn.linear(2, 2), loss: loss.crossEntropy, optimizer: optim.sgd({ lr: 1 }), batchSize: 64 });
await classifier.fit(new Dataset({ name: 'points', features: points, targets: sides, classes: 2 }), { epochs: 100, shuffle: false });
const { data: classes } = await classifier.predictClasses([
  [0.9, -0.5],
  [-0.7, 0.2],
]);
console.log(`classes of (0.9, -0.5) and (-0.7, 0.2): ${Array.from(classes).join(', ')}`);
