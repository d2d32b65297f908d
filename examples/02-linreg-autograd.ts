// Linear regression with autograd: the same fit, with the gradients from g.grad (reverse-mode
// autodiff adds the backward pass to the graph) instead of written out.
import { Graph, openDevice, Program, Variable } from 'kiln-webgpu';

const device = await openDevice();
const xs = Float32Array.from({ length: 11 }, (_, i) => i + 1);
const ys = xs.map((x) => 2 * x + 3);
const lr = 0.01;
const w = new Variable('w', [1], 'f32', { trainable: true });
const b = new Variable('b', [1], 'f32', { trainable: true });

const g = new Graph();
const x = g.input('x', [11]);
const y = g.input('y', [11]);
const loss = g.mean(g.square(g.sub(g.add(g.mul(x, g.variable(w)), g.variable(b)), y)));
const [dw, db] = g.grad(loss, [g.variable(w), g.variable(b)]);
const step = await Program.compile(device, g, { outputs: [loss, dw!, db!] });

let [wv, bv] = [0, 0];
for (let epoch = 1; epoch <= 1000; epoch++) {
  step.run(epoch === 1 ? { x: xs, y: ys } : {});
  const [l, gw, gb] = await Promise.all([step.read(loss), step.read(dw!), step.read(db!)]);
  wv -= lr * gw[0]!;
  bv -= lr * gb[0]!;
  w.assign(Float32Array.of(wv));
  b.assign(Float32Array.of(bv));
  if (epoch % 200 === 0) console.log(`epoch ${epoch}: loss ${l[0]!.toFixed(5)}`);
}
console.log(`w = ${wv.toFixed(4)}, b = ${bv.toFixed(4)}`);
