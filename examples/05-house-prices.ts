// The house-price line: 100 months of prices y = month + N(0, 5²); the last 10 months are held out.
// The months are standardised with the training months' mean and std (so one learning rate suits
// w and b), the line is fitted, then mapped back to months and tested on the held-out tail.
import { compile, data, Dataset, loss, manualSeed, nn, openDevice, optim, RandomStream } from 'kiln-webgpu';

manualSeed(0);
const device = await openDevice();
const rand = new RandomStream(1);
const months = Float32Array.from({ length: 100 }, (_, i) => i + 1);
const prices = months.map((m) => m + 5 * rand.normal());
const [trainX, tailX] = [months.subarray(0, 90), months.subarray(90)];
const [trainY, tailY] = [prices.subarray(0, 90), prices.subarray(90)];

const scaled = data.standardize(trainX, 1);
const tailScaled = data.standardize(tailX, 1, scaled); // the training statistics, not the tail's
const train = new Dataset({ name: 'houses', features: scaled.x, featureShape: [1], targets: trainY });
const heldOut = new Dataset({ name: 'houses-tail', features: tailScaled.x, featureShape: [1], targets: tailY });

const model = nn.linear(1, 1);
const trainer = compile(device, { model, loss: loss.mse, optimizer: optim.sgd({ lr: 0.1 }), batchSize: 90 });
await trainer.fit(train, { epochs: 200, shuffle: false });
const [w, b] = await Promise.all([model.weight.read(), model.bias!.read()]);
// price = w (month - mean) / std + b
const perMonth = w[0]! / scaled.std[0]!;
console.log(`price = ${perMonth.toFixed(3)} * month + ${(b[0]! - perMonth * scaled.mean[0]!).toFixed(3)}`);
console.log(`training loss ${(await trainer.evaluate(train)).loss.toFixed(3)}, held-out loss ${(await trainer.evaluate(heldOut)).loss.toFixed(3)}`);
