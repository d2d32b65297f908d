// The seed's first loop with tensors, as PyTorch writes it: y = 2x + 3 on x = 1..11, the gradients of
// the mean squared error written out, `w -= lr * dw` in place. Each epoch's ops record one step;
// markStep() ends it, and every epoch after the first runs the program the first compiled.
import { markStep, openDevice, tensor } from 'kiln-webgpu';

await openDevice();
const xs = Array.from({ length: 11 }, (_, i) => i + 1);
const x = tensor(xs);
const y = tensor(xs.map((v) => 2 * v + 3));
const w = tensor([0]);
const b = tensor([0]);
const lr = 0.01;

for (let epoch = 1; epoch <= 1000; epoch++) {
  const error = x.mul(w).add(b).sub(y); // pred - y
  const loss = error.square().mean();
  const dw = error.mul(x).mul(2).mean(); // d loss / dw = mean(2 (pred - y) x)
  const db = error.mul(2).mean(); //        d loss / db = mean(2 (pred - y))
  w.sub_(dw.mul(lr));
  b.sub_(db.mul(lr));
  markStep();
  if (epoch % 200 === 0) console.log(`epoch ${epoch}: loss ${(await loss.item()).toFixed(5)}`);
}
console.log(`w = ${(await w.item()).toFixed(4)}, b = ${(await b.item()).toFixed(4)}`);
