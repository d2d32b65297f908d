// A character-level GPT on tiny Shakespeare, trained live with the LanguageModelTrainer that
// `kiln train charlm` runs in Node (a smaller model by default: a software adapter runs the full
// recipe for hours). Progress reports draw the training loss; each estimate adds the validation loss
// and a sample of generated text. A model saved by `kiln train charlm --save` can be loaded instead,
// and both continue a prompt with the same Generator as `kiln sample`. Settings come from the
// controls, which the query string fills (?iters=200&autostart=1).
import type { Device } from '../../src/browser';
import { loadCharLm } from '../../src/train/charlm-checkpoint';
import type { CharVocab } from '../../src/train/data/char-vocab';
import { Generator } from '../../src/train/generate';
import type { GPT } from '../../src/train/nn/gpt';
import { setupCharlm } from '../../src/train/recipes/charlm';
import { Plot } from '../common/charts';
import { inputById, readInteger, readPositive, setNumber } from '../common/number-controls';
import { $, fail, fetchBytes, openPageDevice, param, runPage, setPhase, status } from '../common/page';

const TEXT_URL = '/data/tinyshakespeare/input.txt';

interface Settings {
  layers: number;
  heads: number;
  embd: number;
  block: number;
  batch: number;
  iters: number;
  lr: number;
}

interface EvalRecord {
  iteration: number;
  train: number;
  val: number;
  sample: string;
}

/** The model generation uses: the one trained here last, or the one loaded. */
let current: { model: GPT; vocab: CharVocab; generator: Generator } | null = null;

function readSettings(): Settings {
  const s = {
    layers: readInteger('layers', 'the number of layers'),
    heads: readInteger('heads', 'the number of heads'),
    embd: readInteger('embd', 'the width'),
    block: readInteger('block', 'the context length', 2),
    batch: readInteger('batch', 'the batch size'),
    iters: readInteger('iters', 'the number of iterations'),
    lr: readPositive('lr', 'the learning rate'),
  };
  if (s.embd % s.heads !== 0) throw new RangeError(`the width ${s.embd} does not split into ${s.heads} heads`);
  return s;
}

async function sample(prompt: string, tokens: number, temperature: number, seed: number): Promise<string> {
  if (!current) throw new Error('train or load a model first');
  const ids = current.vocab.encode(prompt);
  const out = await current.generator.generate(ids, { tokens, temperature, topK: 200, seed });
  return current.vocab.decode(out);
}

async function train(device: Device, text: string, s: Settings): Promise<void> {
  const button = $('train') as HTMLButtonElement;
  button.disabled = true;
  const records: EvalRecord[] = [];
  const losses: [number, number][] = [];
  setPhase('running', { settings: s, evals: records });
  try {
    const { model, vocab, trainer } = setupCharlm(device, text, {
      layers: s.layers,
      heads: s.heads,
      embd: s.embd,
      block: s.block,
      batchSize: s.batch,
      iters: s.iters,
      lr: s.lr,
      warmup: Math.min(100, Math.floor(s.iters / 10)),
      minLr: s.lr / 10,
    });
    current = { model, vocab, generator: new Generator(device, model) };
    const chart = new Plot($('loss-chart') as HTMLCanvasElement, 'Cross-entropy per character', 'iteration', 'loss');
    chart.range = { x0: 0, x1: s.iters };
    const trainLine = chart.add({ name: 'train (running)', color: '#7c3aed', points: [] });
    const valLine = chart.add({ name: 'validation', color: '#ea580c', points: [] });
    chart.draw();
    const evalEvery = param('evalEvery', Math.max(10, Math.ceil(s.iters / 5)));
    const sampleTokens = param('sampleTokens', 200);
    status(
      `Compiling the training step (${model
        .parameters()
        .reduce((n, p) => n + p.size, 0)
        .toLocaleString()} parameters)…`,
    );
    const result = await trainer.fit(s.iters, {
      reportEvery: param('reportEvery', 10),
      evalEvery,
      evalIters: param('evalIters', 10),
      onProgress: (p) => {
        losses.push([p.iteration, p.loss]);
        trainLine.points.push([p.iteration, p.loss]);
        chart.draw();
        $('iteration').textContent = `${p.iteration} / ${p.iterations}`;
        $('loss').textContent = p.loss.toFixed(4);
        $('speed').textContent = p.tokensPerSecond.toFixed(0);
        status(`Training: iteration ${p.iteration} of ${p.iterations}`);
        window.kilnDemo.tokensPerSecond = p.tokensPerSecond;
      },
      onEval: async (e) => {
        valLine.points.push([e.iteration, e.val]);
        chart.draw();
        $('val').textContent = e.val.toFixed(4);
        const text = await sample('\n', sampleTokens, 0.8, e.iteration);
        records.push({ ...e, sample: text });
        const block = document.createElement('div');
        block.textContent = `— iteration ${e.iteration} (val loss ${e.val.toFixed(3)}):${text}`;
        $('samples').prepend(block);
        setPhase('running', { evals: records });
      },
    });
    ($('generate') as HTMLButtonElement).disabled = false;
    status(
      `Done: ${s.iters} iterations, ${result.tokensPerSecond.toFixed(0)} tokens/s; validation loss ${result.final.val.toFixed(4)} (uniform: ${Math.log(vocab.size).toFixed(3)}).`,
    );
    setPhase('done', { evals: records, losses, final: result.final, vocabSize: vocab.size });
  } finally {
    button.disabled = false;
  }
}

async function loadModel(device: Device, file: File): Promise<void> {
  const errorBox = $('model-error');
  errorBox.hidden = true;
  try {
    const { model, vocab, run } = loadCharLm(new Uint8Array(await file.arrayBuffer()), file.name);
    current = { model, vocab, generator: new Generator(device, model) };
    const c = model.config;
    status(
      `Loaded ${file.name}: ${c.nLayer} layers, ${c.nHead} heads, ${c.nEmbd} wide, context ${c.blockSize}, ${vocab.size} characters` +
        (typeof run['valLoss'] === 'number' ? `, val loss ${run['valLoss'].toFixed(4)}` : '') +
        '. Type a prompt and generate.',
    );
    ($('generate') as HTMLButtonElement).disabled = false;
    setPhase('done', { loaded: file.name });
  } catch (e) {
    errorBox.textContent = `Could not load ${file.name}: ${(e as Error).message}`;
    errorBox.hidden = false;
    setPhase('ready', { loadError: (e as Error).message });
  }
}

async function generateFromControls(): Promise<void> {
  const prompt = inputById('prompt').value;
  const tokens = readInteger('tokens', 'the number of characters');
  const temperature = readPositive('temperature', 'the temperature');
  const seed = readInteger('seed', 'the seed', 0);
  const text = await sample(prompt, tokens, temperature, seed);
  $('generated').textContent = text;
  window.kilnDemo.generated = text;
}

runPage(async () => {
  const device = await openPageDevice();
  if (!device) return;
  setNumber('layers', param('layers', 2));
  setNumber('heads', param('heads', 2));
  setNumber('embd', param('embd', 64));
  setNumber('block', param('block', 32));
  setNumber('batch', param('batch', 8));
  setNumber('iters', param('iters', 300));
  setNumber('lr', param('lr', 3e-3));
  inputById('prompt').value = param('prompt', 'ROMEO:');
  setNumber('tokens', param('tokens', 200));
  setNumber('temperature', param('temperature', 0.8));
  setNumber('seed', param('seed', 0));
  status('Downloading tiny Shakespeare (1.1 MB)…');
  const text = new TextDecoder().decode(await fetchBytes(TEXT_URL));
  const start = (): void => {
    let settings: Settings;
    try {
      settings = readSettings();
    } catch (e) {
      status((e as Error).message);
      return;
    }
    train(device, text, settings).catch((e: unknown) => fail(e instanceof Error ? e.message : String(e)));
  };
  ($('train') as HTMLButtonElement).disabled = false;
  $('train').addEventListener('click', start);
  const fileInput = inputById('load-model');
  fileInput.disabled = false;
  fileInput.addEventListener('change', () => {
    const file = fileInput.files?.[0];
    if (!file) return;
    loadModel(device, file)
      .catch((e: unknown) => fail(e instanceof Error ? e.message : String(e)))
      .finally(() => (fileInput.value = ''));
  });
  $('generate').addEventListener('click', () => {
    generateFromControls().catch((e: unknown) => {
      $('generated').textContent = (e as Error).message;
      window.kilnDemo.generateError = (e as Error).message;
    });
  });
  status(`Ready: ${text.length.toLocaleString()} characters of tiny Shakespeare.`);
  setPhase('ready');
  if (param('autostart', 0) === 1) start();
});
