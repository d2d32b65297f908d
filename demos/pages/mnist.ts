// The MNIST CNN page: train the PyTorch example's net (or its narrow variant) on the shipped MNIST
// files, with the loss live and the test accuracy after each epoch; save and load the weights as
// safetensors; then draw a digit and see the net's class probabilities, computed on the GPU.
// Settings come from the controls, which the query string fills
// (?net=narrow&epochs=1&limit=2000&testLimit=500&batch=32&autostart=1).
import { CheckpointError, loadCheckpoint, mnistDataset, mnistTrainFlops, MNIST_NETS, saveCheckpoint, type Dataset, type Device } from '../../src/browser';
import type { MnistNetName } from '../../src/train/recipes/mnist';
import { IDX_FILES } from '../../src/train/recipes/softmax';
import { Plot, type Series } from '../common/charts';
import { DigitDrawing } from '../common/digit-drawing';
import { netOfCheckpoint } from '../../src/train/recipes/mnist-checkpoint';
import { MnistSession, type TestResult } from '../common/mnist-session';
import { inputById, readInteger, setNumber } from '../common/number-controls';
import { forgetRun, saveRun, savedRun, type SavedRun } from '../common/run-store';
import { downloadBytes } from '../common/save-file';
import { $, fail, fetchBytes, openPageDevice, param, runPage, setPhase, status } from '../common/page';

const DATA_URL = '/data/mnist/';

interface Settings {
  net: MnistNetName;
  epochs: number;
  limit: number;
  testLimit: number;
  batch: number;
}

interface EpochRecord {
  epoch: number;
  loss: number;
  testAccuracy: number;
  testCorrect: number;
  imagesPerSecond: number;
}

interface PageData {
  train: Dataset;
  test: Dataset;
}

const isNet = (name: string): name is MnistNetName => name in MNIST_NETS;
const netSelect = (): HTMLSelectElement => $('net') as HTMLSelectElement;
const button = (id: string): HTMLButtonElement => $(id) as HTMLButtonElement;

/** The net being trained or used for drawing; null until the first training run or loaded file. */
let session: MnistSession | null = null;
/** The drawing panel, made once the page has its device. */
let drawing: DigitDrawing | null = null;
/** Test subsets by size: each is a GPU copy, made once. */
const testSubsets = new Map<number, Dataset>();

function testSubset(data: PageData, limit: number): Dataset {
  let subset = testSubsets.get(limit);
  if (!subset) {
    subset = data.test.take(limit);
    testSubsets.set(limit, subset);
  }
  return subset;
}

/**
 * A software adapter runs WGSL at about 1 GFLOP/s and the full net costs ~72 MFLOP per training
 * image, so there the page starts small: the narrow net, 2,000 images, batch 32 (twice the SGD steps
 * of batch 64 in the one short epoch). On a GPU: the seed's net and every image.
 */
function defaults(software: boolean, data: PageData): Settings {
  return software
    ? { net: 'narrow', epochs: 1, limit: Math.min(2000, data.train.count), testLimit: Math.min(1000, data.test.count), batch: 32 }
    : { net: 'full', epochs: 2, limit: data.train.count, testLimit: data.test.count, batch: 64 };
}

function softwareNote(s: Settings, data: PageData): string {
  const mflop = (net: MnistNetName): number => mnistTrainFlops(MNIST_NETS[net]) / 1e6;
  const fullPerSecond = 1e9 / (mflop('full') * 1e6);
  const epochMinutes = data.train.count / fullPerSecond / 60;
  return (
    `This is a software adapter: it runs the shaders on the CPU at about 1 GFLOP/s. The full net costs ${mflop('full').toFixed(0)} MFLOP per training image ` +
    `(about ${fullPerSecond.toFixed(0)} images/s here, ${epochMinutes.toFixed(0)} minutes for an epoch of ${data.train.count.toLocaleString()} images), ` +
    `so the page starts with the narrow net (${mflop('narrow').toFixed(1)} MFLOP per image), ${s.limit.toLocaleString()} training images and batch ${s.batch}. ` +
    `Choose the full net and more images if you can wait.`
  );
}

function fillControls(s: Settings): void {
  netSelect().value = s.net;
  setNumber('epochs', s.epochs);
  setNumber('limit', s.limit);
  setNumber('test-limit', s.testLimit);
  setNumber('batch', s.batch);
}

/** The defaults, overridden by the query string. */
function querySettings(d: Settings): Settings {
  const net = param('net', d.net);
  if (!isNet(net)) throw new RangeError(`?net= must be one of ${Object.keys(MNIST_NETS).join(', ')}, got '${net}'`);
  return { net, epochs: param('epochs', d.epochs), limit: param('limit', d.limit), testLimit: param('testLimit', d.testLimit), batch: param('batch', d.batch) };
}

function readSettings(data: PageData): Settings {
  const net = netSelect().value;
  if (!isNet(net)) throw new RangeError(`unknown net '${net}'`);
  const s = {
    net,
    epochs: readInteger('epochs', 'epochs'),
    limit: readInteger('limit', 'the number of training images'),
    testLimit: readInteger('test-limit', 'the number of test images'),
    batch: readInteger('batch', 'the batch size'),
  };
  if (s.limit > data.train.count) throw new RangeError(`the number of training images is at most ${data.train.count}, got ${s.limit}`);
  if (s.testLimit > data.test.count) throw new RangeError(`the number of test images is at most ${data.test.count}, got ${s.testLimit}`);
  return s;
}

async function loadData(): Promise<PageData> {
  status('Downloading MNIST (about 6 MB)…');
  const [trainImages, trainLabels, testImages, testLabels] = await Promise.all(
    [IDX_FILES.trainImages, IDX_FILES.trainLabels, IDX_FILES.testImages, IDX_FILES.testLabels].map((f) => fetchBytes(DATA_URL + f)),
  );
  status('Unpacking and uploading the images to the GPU…');
  return { train: await mnistDataset('mnist-train', trainImages!, trainLabels!), test: await mnistDataset('mnist-test', testImages!, testLabels!) };
}

/** Shows a test evaluation in #test-accuracy and publishes it for tests. */
function showTestResult(r: TestResult): void {
  $('test-accuracy').textContent = `${(100 * r.accuracy).toFixed(2)}% (${r.correct}/${r.count})`;
  Object.assign(window.kilnDemo, { testAccuracy: r.accuracy, testCorrect: r.correct, testCount: r.count, testLoss: r.loss });
}

function setBusy(busy: boolean): void {
  button('train').disabled = busy;
  inputById('load-weights').disabled = busy;
  button('save-weights').disabled = busy || !session;
}

/** Loss per progress report, and test accuracy per epoch (a dot until there are two epochs). */
function makeCharts(epochs: number): { loss: Plot; lossLine: Series; accuracy: Plot; accuracyLine: Series } {
  const loss = new Plot($('loss-chart') as HTMLCanvasElement, 'Training loss (running mean within each epoch)', 'epoch', 'nll loss');
  loss.range = { x0: 0, x1: epochs };
  const lossLine = loss.add({ name: 'train loss', color: '#7c3aed', points: [] });
  const accuracy = new Plot($('accuracy-chart') as HTMLCanvasElement, 'Test accuracy after each epoch', 'epoch', 'accuracy');
  accuracy.range = { x0: 0, x1: epochs + 1, y0: 0, y1: 1 };
  const accuracyLine = accuracy.add({ name: 'test accuracy', color: '#ea580c', points: [], dots: true });
  loss.draw();
  accuracy.draw();
  return { loss, lossLine, accuracy, accuracyLine };
}

/** Trains with settings `s`, or continues `resume` (a run a reload interrupted) from its checkpoint. */
async function train(device: Device, data: PageData, s: Settings, resume?: SavedRun<Settings, EpochRecord>): Promise<void> {
  setBusy(true);
  const records: EpochRecord[] = [...(resume?.records ?? [])];
  setPhase('running', { settings: s, net: s.net, epochs: records, lossPoints: 0, testAccuracy: undefined, testCorrect: undefined });
  const subset = data.train.take(s.limit);
  const test = testSubset(data, s.testLimit);
  try {
    status(`Compiling the ${s.net} net…`);
    session = await MnistSession.create(device, s.net, s.batch);
    const current = session;
    if (resume) {
      const at = current.trainer.loadState(resume.state, { ...s }, 'the saved run');
      window.kilnDemo.resumedFrom = at;
      status(`Resuming the saved run: ${at.epoch} epoch(s) done${at.step > 0 ? `, then step ${at.step} of epoch ${at.epoch + 1}` : ''}…`);
    }
    $('net-readout').textContent = s.net;
    const charts = makeCharts(s.epochs);
    // About 40 loss points per epoch: each report is one small readback.
    const steps = Math.floor(subset.count / Math.min(s.batch, subset.count));
    let speed = 0;
    const reportEvery = Math.max(1, Math.ceil(steps / 40));
    await current.trainer.fit(subset, {
      epochs: s.epochs - current.trainer.progress.epoch,
      reportEvery,
      // A checkpoint into IndexedDB every few reports and at each epoch's end: a reload resumes from it.
      settings: { ...s },
      checkpointEvery: 10 * reportEvery,
      onCheckpoint: async (state, at) => {
        await saveRun<Settings, EpochRecord>({ settings: s, records: [...records], state, at: { ...at } });
        window.kilnDemo.checkpoint = { ...at };
      },
      onProgress: (p) => {
        speed = p.examplesPerSecond;
        charts.lossLine.points.push([p.epoch - 1 + p.seen / p.total, p.loss]);
        charts.loss.draw();
        $('epoch').textContent = `${p.epoch} / ${p.epochs}`;
        $('seen').textContent = `${p.seen.toLocaleString()} / ${p.total.toLocaleString()}`;
        $('loss').textContent = p.loss.toFixed(4);
        $('speed').textContent = speed.toFixed(0);
        window.kilnDemo.lossPoints = charts.lossLine.points.length;
        status(`Training epoch ${p.epoch} of ${p.epochs}…`);
      },
      onEpochEnd: async (epoch, loss) => {
        status(`Epoch ${epoch}: evaluating on ${test.count.toLocaleString()} test images…`);
        const r = await current.evaluate(test);
        showTestResult(r);
        records.push({ epoch, loss, testAccuracy: r.accuracy, testCorrect: r.correct, imagesPerSecond: speed });
        charts.accuracyLine.points.push([epoch, r.accuracy]);
        charts.accuracyLine.dots = charts.accuracyLine.points.length < 2;
        // From a round tenth at least 0.05 below the lowest point up to 1, so no point sits on the edge.
        const lowest = Math.min(...charts.accuracyLine.points.map(([, a]) => a));
        charts.accuracy.range = { ...charts.accuracy.range, y0: Math.max(0, Math.min(0.9, Math.floor((lowest - 0.05) * 10) / 10)), y1: 1 };
        charts.accuracy.draw();
        window.kilnDemo.epochs = records;
      },
    });
    const last = records.at(-1)!;
    status(
      `Done: ${s.epochs} epoch(s) of the ${s.net} net on ${subset.count.toLocaleString()} images, test accuracy ${(100 * last.testAccuracy).toFixed(2)}%. Draw a digit below.`,
    );
    await forgetRun();
    setPhase('done', { epochs: records });
    if (drawing && !drawing.empty) await drawing.predict();
  } finally {
    if (subset !== data.train) await subset.release();
    setBusy(false);
  }
}

/** Loads a checkpoint file, switching to the net it holds, then evaluates the test set. */
async function loadWeights(device: Device, data: PageData, file: File): Promise<void> {
  const errorBox = $('weights-error');
  errorBox.hidden = true;
  const before = window.kilnDemo.phase;
  setBusy(true);
  setPhase('running', { loadError: undefined });
  try {
    const bytes = new Uint8Array(await file.arrayBuffer());
    const testLimit = readInteger('test-limit', 'the number of test images');
    const net = netOfCheckpoint(bytes, file.name);
    // Loading is all or nothing, so the current net is only replaced by one that loaded.
    const target = session?.net === net ? session : await MnistSession.create(device, net, readInteger('batch', 'the batch size'));
    loadCheckpoint(target.model, bytes, file.name);
    session = target;
    netSelect().value = net;
    $('net-readout').textContent = net;
    status(`Loaded ${file.name} (the ${net} net); evaluating on ${testLimit.toLocaleString()} test images…`);
    const r = await target.evaluate(testSubset(data, Math.min(testLimit, data.test.count)));
    showTestResult(r);
    status(`Loaded ${file.name} (the ${net} net): test accuracy ${(100 * r.accuracy).toFixed(2)}% on ${r.count.toLocaleString()} images. Draw a digit below.`);
    setPhase('done', { net, loaded: file.name });
    if (drawing && !drawing.empty) await drawing.predict();
  } catch (e) {
    if (!(e instanceof CheckpointError || e instanceof RangeError)) throw e;
    errorBox.textContent = `Could not load ${file.name}: ${e.message}`;
    errorBox.hidden = false;
    setPhase(before === 'running' ? 'ready' : before, { loadError: e.message });
  } finally {
    setBusy(false);
  }
}

async function saveWeights(): Promise<void> {
  if (!session) return;
  downloadBytes(await saveCheckpoint(session.model), 'mnist.safetensors');
  status(`Saved the ${session.net} net's weights as mnist.safetensors.`);
}

runPage(async () => {
  const device = await openPageDevice();
  if (!device) return;
  const panel = new DigitDrawing({
    classifier: () => session?.classifier ?? null,
    onPrediction: (prediction) => (window.kilnDemo.prediction = prediction),
    onMessage: status,
  });
  drawing = panel;
  const data = await loadData();
  const d = defaults(device.adapter.isSoftware, data);
  const initial = querySettings(d);
  fillControls(initial);
  // Empty axes until a run starts, rather than blank panels.
  makeCharts(initial.epochs);
  if (device.adapter.isSoftware) {
    $('software-note').textContent = softwareNote(d, data);
    $('software-note').hidden = false;
  }
  const report = (e: unknown): void => fail(e instanceof Error ? e.message : String(e));
  const start = (): void => {
    let s: Settings;
    try {
      s = readSettings(data);
    } catch (e) {
      status((e as Error).message);
      return;
    }
    train(device, data, s).catch(report);
  };
  button('train').addEventListener('click', start);
  button('save-weights').addEventListener('click', () => void saveWeights().catch(report));
  const fileInput = inputById('load-weights');
  fileInput.addEventListener('change', () => {
    const file = fileInput.files?.[0];
    if (!file) return;
    // Cleared so that choosing the same file again fires another change.
    loadWeights(device, data, file)
      .catch(report)
      .finally(() => (fileInput.value = ''));
  });
  Object.assign(window.kilnDemo, { drawDigit: (pixels: number[]) => panel.drawDigit(pixels), net: initial.net, software: device.adapter.isSoftware });
  setBusy(false);
  status(`Ready: ${data.train.count.toLocaleString()} training and ${data.test.count.toLocaleString()} test images. Train the net, or load weights.`);
  setPhase('ready');
  // A run that a reload (or a closed tab) interrupted continues from its last checkpoint.
  const unfinished = param('resume', 1) === 1 ? await savedRun<Settings, EpochRecord>() : undefined;
  if (unfinished) {
    fillControls(unfinished.settings);
    train(device, data, unfinished.settings, unfinished).catch(report);
  } else if (param('autostart', 0) === 1) start();
});
