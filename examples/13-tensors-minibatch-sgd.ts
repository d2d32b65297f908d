// d2l's linear regression from scratch with tensors: X ~ N(0, 1) of 1000 x 2, y = X [2, -3.4] + 4.2 +
// N(0, 0.01²); shuffled minibatches of 10 (gathered on the host, as a data loader does), the squared
// loss / 2 summed, `param -= lr * param.grad / batch_size`, 3 epochs, lr 0.03.
import { markStep, noGrad, openDevice, RandomStream, tensor, type Tensor } from 'kiln-webgpu';

await openDevice();
const rand = new RandomStream(0);
const n = 1000;
const X = rand.fillNormal(new Float32Array(n * 2), 0, 1);
const Y = Float32Array.from({ length: n }, (_, i) => 2 * X[2 * i]! - 3.4 * X[2 * i + 1]! + 4.2 + 0.01 * rand.normal());
const features = tensor(X, { shape: [n, 2] });
const labels = tensor(Y, { shape: [n, 1] });

const w = tensor(rand.fillNormal(new Float32Array(2), 0, 0.01), { shape: [2, 1], requiresGrad: true });
const b = tensor([0], { requiresGrad: true });
const net = (x: Tensor) => x.matmul(w).add(b);
const squaredLoss = (yHat: Tensor, y: Tensor) => yHat.sub(y).square().div(2);
const [lr, batchSize] = [0.03, 10];

for (let epoch = 1; epoch <= 3; epoch++) {
  const order = rand.permutation(n);
  for (let start = 0; start < n; start += batchSize) {
    const rows = order.subarray(start, start + batchSize);
    const x = tensor(
      Float32Array.from({ length: rows.length * 2 }, (_, k) => X[2 * rows[k >> 1]! + (k & 1)]!),
      { shape: [rows.length, 2] },
    );
    const y = tensor(
      Float32Array.from(rows, (r) => Y[r]!),
      { shape: [rows.length, 1] },
    );
    squaredLoss(net(x), y).sum().backward();
    noGrad(() => {
      for (const param of [w, b]) param.sub_(param.grad!.mul(lr / batchSize));
    });
    w.grad!.zero_();
    b.grad!.zero_();
    markStep();
  }
  const trainLoss = noGrad(() => squaredLoss(net(features), labels).mean());
  console.log(`epoch ${epoch}, loss ${(await trainLoss.item()).toFixed(6)}`);
}
const [w0, w1] = (await w.data()) as Float32Array;
console.log(`w = [${w0!.toFixed(4)}, ${w1!.toFixed(4)}], b = ${(await b.item()).toFixed(4)} (true [2, -3.4], 4.2)`);
