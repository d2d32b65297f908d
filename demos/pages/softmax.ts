// Softmax regression on Fashion-MNIST (d2l's recipe, the same setupSoftmax that `kiln train softmax`
// runs in Node). Per epoch: train on the GPU, measure train and test accuracy with the trainer's eval
// programs, and classify a fixed batch of test images with a compiled forward + argmax program.
// Settings come from the controls, which the query string fills (?epochs=3&limit=20000&autostart=1).
import { manualSeed, parseImagesAndLabels, type Dataset, type Device } from '../../src/browser';
import { FASHION_CLASSES, IDX_FILES, imageDataset, setupSoftmax } from '../../src/train/recipes/softmax';
import { BatchClassifier } from '../common/batch-classifier';
import { Plot } from '../common/charts';
import { renderImageGrid } from '../common/image-grid';
import { readInteger, readPositive, setNumber } from '../common/number-controls';
import { $, fail, fetchBytes, openPageDevice, param, runPage, setPhase, status } from '../common/page';

const DATA_URL = '/data/fashion-mnist/';
/** Test images shown with their predictions: three rows of the 8-column grid. */
const SHOWN = 24;

interface Settings {
  epochs: number;
  lr: number;
  batch: number;
  limit: number;
}

interface EpochRecord {
  epoch: number;
  trainAccuracy: number;
  testAccuracy: number;
  /** Mean training loss of the epoch. */
  loss: number;
  imagesPerSecond: number;
}

interface PageData {
  train: Dataset;
  test: Dataset;
  /** The first SHOWN test images as bytes (for drawing) and as the model's inputs (pixel / 255). */
  shownPixels: Uint8Array;
  shownInputs: Float32Array;
  shownLabels: Uint8Array;
}

function readSettings(trainCount: number): Settings {
  const s = {
    epochs: readInteger('epochs', 'epochs'),
    lr: readPositive('lr', 'the learning rate'),
    batch: readInteger('batch', 'the batch size'),
    limit: readInteger('limit', 'the number of training images'),
  };
  if (s.limit > trainCount) throw new RangeError(`the number of training images is at most ${trainCount}, got ${s.limit}`);
  return s;
}

async function loadData(): Promise<PageData> {
  status('Downloading Fashion-MNIST (about 30 MB)…');
  const [trainImages, trainLabels, testImages, testLabels] = await Promise.all(
    [IDX_FILES.trainImages, IDX_FILES.trainLabels, IDX_FILES.testImages, IDX_FILES.testLabels].map((f) => fetchBytes(DATA_URL + f)),
  );
  status('Unpacking and uploading the images to the GPU…');
  const train = await imageDataset('fashion-train', trainImages!, trainLabels!);
  const test = await imageDataset('fashion-test', testImages!, testLabels!);
  // The test bytes once more, for the grid: the Dataset keeps its copy on the GPU only.
  const parsed = await parseImagesAndLabels(testImages!, testLabels!, { images: 'fashion test images', labels: 'fashion test labels' });
  const shownPixels = parsed.images.slice(0, SHOWN * 784);
  return { train, test, shownPixels, shownInputs: Float32Array.from(shownPixels, (p) => p / 255), shownLabels: parsed.labels.slice(0, SHOWN) };
}

/** The two charts: accuracy per epoch, and the running training loss within each epoch. */
function makeCharts(epochs: number) {
  // Epoch 0 is the initial weights (about 10%, chance), so even a one-epoch run draws a line.
  const accuracy = new Plot($('accuracy-chart') as HTMLCanvasElement, 'Accuracy after each epoch (0: initial weights)', 'epoch', 'accuracy');
  accuracy.range = { x0: 0, x1: epochs };
  const trainAcc = accuracy.add({ name: 'train', color: '#2563eb', points: [] });
  const testAcc = accuracy.add({ name: 'test', color: '#ea580c', points: [] });
  const loss = new Plot($('loss-chart') as HTMLCanvasElement, 'Training loss (running mean within each epoch)', 'epoch', 'cross-entropy');
  loss.range = { x0: 0, x1: epochs };
  const lossLine = loss.add({ name: 'train loss', color: '#7c3aed', points: [] });
  accuracy.draw();
  loss.draw();
  return { accuracy, loss, trainAcc, testAcc, lossLine };
}

async function showPredictions(classifier: BatchClassifier, data: PageData): Promise<{ label: number; predicted: number }[]> {
  const predicted = await classifier.classify(data.shownInputs);
  const shown = Array.from(predicted, (p, i) => ({ label: data.shownLabels[i]!, predicted: p }));
  renderImageGrid(
    $('grid'),
    shown.map((s, i) => ({
      pixels: data.shownPixels.subarray(i * 784, (i + 1) * 784),
      predicted: FASHION_CLASSES[s.predicted]!,
      truth: FASHION_CLASSES[s.label]!,
    })),
  );
  return shown;
}

async function train(device: Device, data: PageData, s: Settings): Promise<void> {
  const button = $('train') as HTMLButtonElement;
  button.disabled = true;
  const subset = data.train.take(s.limit);
  const records: EpochRecord[] = [];
  setPhase('running', { settings: s, epochs: records, shown: [] });
  try {
    manualSeed(0);
    const { model, trainer } = setupSoftmax(device, { lr: s.lr, batchSize: s.batch });
    const classifier = await BatchClassifier.compile(device, model, SHOWN, [1, 28, 28]);
    const charts = makeCharts(s.epochs);
    const measure = async (): Promise<[number, number]> => [
      (await trainer.evaluate(subset, { batchSize: 1000 })).accuracy!,
      (await trainer.evaluate(data.test, { batchSize: 1000 })).accuracy!,
    ];
    const [trainAtStart, testAtStart] = await measure();
    charts.trainAcc.points.push([0, trainAtStart]);
    charts.testAcc.points.push([0, testAtStart]);
    charts.accuracy.draw();
    for (let epoch = 1; epoch <= s.epochs; epoch++) {
      const [result] = await trainer.fit(subset, {
        epochs: 1,
        onProgress: (p) => {
          charts.lossLine.points.push([epoch - 1 + p.seen / p.total, p.loss]);
          charts.loss.draw();
          $('loss').textContent = p.loss.toFixed(4);
          $('speed').textContent = p.examplesPerSecond.toFixed(0);
          status(`Epoch ${epoch} of ${s.epochs}: ${p.seen.toLocaleString()} of ${p.total.toLocaleString()} images`);
        },
      });
      status(`Epoch ${epoch}: measuring accuracy on ${subset.count.toLocaleString()} training and ${data.test.count.toLocaleString()} test images…`);
      const [trainAccuracy, testAccuracy] = await measure();
      const record: EpochRecord = {
        epoch,
        trainAccuracy,
        testAccuracy,
        loss: result!.loss,
        imagesPerSecond: subset.count / result!.seconds,
      };
      records.push(record);
      charts.trainAcc.points.push([epoch, record.trainAccuracy]);
      charts.testAcc.points.push([epoch, record.testAccuracy]);
      charts.accuracy.draw();
      $('epoch').textContent = `${epoch} / ${s.epochs}`;
      $('loss').textContent = record.loss.toFixed(4);
      $('train-accuracy').textContent = record.trainAccuracy.toFixed(4);
      $('test-accuracy').textContent = record.testAccuracy.toFixed(4);
      $('speed').textContent = record.imagesPerSecond.toFixed(0);
      const shown = await showPredictions(classifier, data);
      const right = shown.filter((x) => x.label === x.predicted).length;
      $('grid-caption').textContent =
        `The first ${SHOWN} test images after epoch ${epoch}: predicted class above, the true one below when the prediction is wrong (${right} of ${SHOWN} right).`;
      setPhase('running', { epochs: records, shown });
    }
    const last = records.at(-1)!;
    status(`Done: ${s.epochs} epochs on ${subset.count.toLocaleString()} images, test accuracy ${last.testAccuracy.toFixed(4)}.`);
    setPhase('done', { epochs: records });
  } finally {
    if (subset !== data.train) await subset.release();
    button.disabled = false;
  }
}

runPage(async () => {
  const device = await openPageDevice();
  if (!device) return;
  setNumber('epochs', param('epochs', 10));
  setNumber('lr', param('lr', 0.1));
  setNumber('batch', param('batch', 256));
  const data = await loadData();
  setNumber('limit', param('limit', data.train.count));
  const start = (): void => {
    let settings: Settings;
    try {
      settings = readSettings(data.train.count);
    } catch (e) {
      status((e as Error).message);
      return;
    }
    train(device, data, settings).catch((e: unknown) => fail(e instanceof Error ? e.message : String(e)));
  };
  ($('train') as HTMLButtonElement).disabled = false;
  $('train').addEventListener('click', start);
  status(`Ready: ${data.train.count.toLocaleString()} training and ${data.test.count.toLocaleString()} test images.`);
  setPhase('ready');
  if (param('autostart', 0) === 1) start();
});
