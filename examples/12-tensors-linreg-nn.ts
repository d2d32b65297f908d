// The same fit with nn.linear and optim.sgd over the model's parameters, as the seed's
// `nn.Linear(1, 1)` + `optim.SGD(model.parameters(), lr=0.01)` loop: zeroGrad, forward, loss,
// backward, step (which ends the step: one submit per epoch).
import { asTensor, functional as F, manualSeed, nn, openDevice, optim, tensor } from 'kiln-webgpu';

manualSeed(0);
await openDevice();
const xs = Array.from({ length: 11 }, (_, i) => [i + 1]);
const x = tensor(xs); // [11, 1]
const y = tensor(xs.map(([v]) => [2 * v! + 3]));
const model = nn.linear(1, 1);
const optimizer = optim.sgd(model.parameters(), { lr: 0.01 });

for (let epoch = 1; epoch <= 1000; epoch++) {
  optimizer.zeroGrad();
  const loss = F.mseLoss(model.call(x), y);
  loss.backward();
  optimizer.step();
  if (epoch % 200 === 0) console.log(`epoch ${epoch}: loss ${(await loss.item()).toFixed(5)}`);
}
const [w, b] = [await asTensor(model.weight).item(), await asTensor(model.bias!).item()];
console.log(`w = ${w.toFixed(4)}, b = ${b.toFixed(4)}`);
