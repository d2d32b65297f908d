// Linear regression page: y = w x + b fitted by SGD on the GPU, one epoch per call into the trainer,
// with w, b and the loss read back between epochs so the line and the curves move as it trains.
// Settings come from the controls, which the query string fills (?dataset=house&lr=0.05&autostart=1).
import type { Device } from '../../src/browser';
import { houseData, lineData, type RegressionData } from '../common/linreg-data';
import { LinregRun } from '../common/linreg-run';
import { LinregView } from '../common/linreg-view';
import { $, fail, openPageDevice, param, runPage, setPhase, status } from '../common/page';

type DatasetName = 'line' | 'house';

interface Settings {
  dataset: DatasetName;
  lr: number;
  epochs: number;
  batch: number;
  standardize: boolean;
  seed: number;
}

/**
 * Per dataset: the line uses the seed's recipe (lr 0.01, full batch of 11, 1000 epochs, raw x); the
 * house prices use shuffled minibatches of 10 on standardized months, where lr 0.05 converges in tens
 * of epochs (on raw months SGD needs lr < 3.6e-4 and then takes thousands of epochs to move b).
 */
const DEFAULTS: Record<DatasetName, Omit<Settings, 'dataset' | 'seed'>> = {
  line: { lr: 0.01, epochs: 1000, batch: 11, standardize: false },
  house: { lr: 0.05, epochs: 40, batch: 10, standardize: true },
};

/** Redraw at most this often: reading w and b and drawing is cheap, but not free on a software GPU. */
const REDRAW_MS = 100;

const input = (id: string): HTMLInputElement => $(id) as HTMLInputElement;

function fillControls(s: Settings): void {
  ($('dataset') as HTMLSelectElement).value = s.dataset;
  input('lr').value = String(s.lr);
  input('epochs').value = String(s.epochs);
  input('batch').value = String(s.batch);
  input('standardize').checked = s.standardize;
  input('seed').value = String(s.seed);
}

/** The query string's settings over the dataset's defaults. */
function querySettings(): Settings {
  const dataset: DatasetName = param('dataset', 'line') === 'house' ? 'house' : 'line';
  const d = DEFAULTS[dataset];
  return {
    dataset,
    lr: param('lr', d.lr),
    epochs: param('epochs', d.epochs),
    batch: param('batch', d.batch),
    standardize: param('standardize', d.standardize ? 1 : 0) === 1,
    seed: param('seed', 0),
  };
}

function readControls(): Settings {
  const s: Settings = {
    dataset: ($('dataset') as HTMLSelectElement).value === 'house' ? 'house' : 'line',
    lr: Number(input('lr').value),
    epochs: Number(input('epochs').value),
    batch: Number(input('batch').value),
    standardize: input('standardize').checked,
    seed: Number(input('seed').value),
  };
  if (!(s.lr > 0 && Number.isFinite(s.lr))) throw new RangeError(`the learning rate must be a positive number, got '${input('lr').value}'`);
  for (const [name, v, min] of [
    ['epochs', s.epochs, 1],
    ['batch size', s.batch, 1],
    ['seed', s.seed, 0],
  ] as const) {
    if (!Number.isInteger(v) || v < min) throw new RangeError(`${name} must be an integer of at least ${min}, got ${v}`);
  }
  return s;
}

const dataFor = (s: Pick<Settings, 'dataset' | 'seed'>): RegressionData => (s.dataset === 'line' ? lineData() : houseData(s.seed));

/** Shows the chosen dataset before any training. */
function preview(): void {
  const dataset: DatasetName = ($('dataset') as HTMLSelectElement).value === 'house' ? 'house' : 'line';
  new LinregView(dataFor({ dataset, seed: Math.max(0, Math.trunc(Number(input('seed').value))) || 0 }));
}

/** While training, the settings are locked: the charts belong to the run in progress. */
function setRunning(running: boolean): void {
  for (const id of ['dataset', 'lr', 'epochs', 'batch', 'standardize', 'seed', 'train']) ($(id) as HTMLInputElement).disabled = running;
  ($('stop') as HTMLButtonElement).disabled = !running;
}

let stopRequested = false;

async function train(device: Device): Promise<void> {
  const s = readControls();
  stopRequested = false;
  setRunning(true);
  const data = dataFor(s);
  const view = new LinregView(data);
  const run = new LinregRun(device, {
    x: data.x,
    y: data.y,
    testX: data.testX,
    testY: data.testY,
    lr: s.lr,
    batchSize: s.batch,
    standardize: s.standardize,
    seed: s.seed,
  });
  const losses: number[] = [];
  const testLosses: number[] = [];
  setPhase('running', { settings: s, losses, testLosses, epoch: 0, diverged: false });

  // Two small reads (w, b), then the readouts, the line, the curves, and window.kilnDemo for tests.
  const publish = async (): Promise<void> => {
    const trained = await run.params();
    const line = run.line(trained);
    view.showLine(line, s.standardize ? trained : null);
    view.showLosses(losses.length, losses, testLosses);
    view.draw();
    Object.assign(window.kilnDemo, { w: line.w, b: line.b, wTrained: trained.w, bTrained: trained.b, epoch: losses.length });
  };
  await publish();
  const started = performance.now();
  let drawn = started;
  let diverged = false;
  try {
    for (let e = 1; e <= s.epochs && !stopRequested; e++) {
      losses.push(await run.epoch((p) => status(`epoch ${e}/${s.epochs}: ${p.seen}/${p.total} examples, running loss ${p.loss.toPrecision(4)}`)));
      if (run.test) testLosses.push(await run.testLoss());
      if (performance.now() - drawn > REDRAW_MS) {
        await publish();
        status(`epoch ${e}/${s.epochs}, loss ${losses[e - 1]!.toPrecision(5)}`);
        drawn = performance.now();
      }
    }
  } catch (e) {
    // The trainer stops with a RangeError when the loss is no longer finite: a result to show, not a bug.
    if (!(e instanceof RangeError && e.message.includes('diverged'))) throw e;
    diverged = true;
  }
  await publish();
  await run.release();
  const seconds = (performance.now() - started) / 1000;
  const last = losses.at(-1);
  status(
    diverged
      ? `Diverged in epoch ${losses.length + 1}: the loss overflowed. Try a smaller learning rate, or standardize x.`
      : `${stopRequested ? 'Stopped' : 'Done'}: ${losses.length} epochs in ${seconds.toFixed(1)} s, final loss ${last?.toPrecision(5) ?? '–'}${testLosses.length ? `, held-out loss ${testLosses.at(-1)!.toPrecision(5)}` : ''}.`,
  );
  setRunning(false);
  setPhase('done', { diverged, seconds });
}

runPage(async () => {
  fillControls(querySettings());
  preview();
  $('dataset').addEventListener('change', () => {
    const dataset = ($('dataset') as HTMLSelectElement).value === 'house' ? 'house' : 'line';
    fillControls({ dataset, seed: Number(input('seed').value) || 0, ...DEFAULTS[dataset] });
    preview();
  });
  $('seed').addEventListener('change', preview);
  const device = await openPageDevice();
  if (!device) return;
  const start = (): void => {
    train(device).catch((e: unknown) => fail(e instanceof Error ? e.message : String(e)));
  };
  $('train').addEventListener('click', start);
  $('stop').addEventListener('click', () => (stopRequested = true));
  ($('train') as HTMLButtonElement).disabled = false;
  setPhase('ready');
  status('Ready: press Train.');
  if (param('autostart', 0) === 1) await train(device);
});
