// The same fit with autograd: `requiresGrad: true`, `loss.backward()`, `w.grad`, the update under
// noGrad (as `with torch.no_grad():`), and `grad.zero_()` before the next epoch.
import { markStep, noGrad, openDevice, tensor } from 'kiln-webgpu';

await openDevice();
const xs = Array.from({ length: 11 }, (_, i) => i + 1);
const x = tensor(xs);
const y = tensor(xs.map((v) => 2 * v + 3));
const w = tensor([0], { requiresGrad: true });
const b = tensor([0], { requiresGrad: true });
const lr = 0.01;

for (let epoch = 1; epoch <= 1000; epoch++) {
  const loss = x.mul(w).add(b).sub(y).square().mean();
  loss.backward();
  noGrad(() => {
    w.sub_(w.grad!.mul(lr));
    b.sub_(b.grad!.mul(lr));
  });
  w.grad!.zero_();
  b.grad!.zero_();
  markStep();
  if (epoch % 200 === 0) console.log(`epoch ${epoch}: loss ${(await loss.item()).toFixed(5)}`);
}
console.log(`w = ${(await w.item()).toFixed(4)}, b = ${(await b.item()).toFixed(4)}`);
await w.print();
