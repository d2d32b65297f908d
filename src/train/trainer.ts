// The trainer: a model, a loss and an optimizer compiled into one program per batch size. A training
// step (gather the batch, forward, backward, update, add the loss to a running sum, advance the
// cursor) is one set of dispatches; many steps go into one submit, and the running sums are read
// back only when a progress report is due.
import type { Device } from '../device/device';
import { grad } from '../graph/autodiff';
import { Graph } from '../graph/graph';
import { largestTensor, maxBindingBytes } from '../graph/binding-limit';
import { Program } from '../graph/program';
import { fmt, ShapeError, type Shape } from '../graph/shape';
import type { Tensor } from '../graph/tensor';
import { Variable, type HostArray } from '../graph/variable';
import { accumulate } from '../ops/accumulate';
import { accuracy } from '../ops/accuracy';
import { batchGather } from '../ops/batch-gather';
import { counterAdd } from '../ops/counter-add';
import { RandomStream, STREAM } from '../random/philox';
import type { Dataset } from './data/dataset';
import type { Module } from './nn/module';
import type { Optimizer } from './optim/optimizer';
import { CheckpointError, loadCheckpoint, saveCheckpoint, type NamedTensor } from './checkpoint';
import { dropoutCounters } from './nn/dropout';
import {
  checkTrainingState,
  decodeTrainingFile,
  encodeTrainingFile,
  TRAINING_FORMAT,
  type RunSettings,
  type TrainingMeta,
  type TrainingState,
} from './training-state';
import { autocastFor, checkPrecision, type Precision } from './precision';
import { predictorFor, type PredictInput, type PredictOptions, type Prediction, type Predictor } from './predict';

export type LossFn = (output: Tensor, target: Tensor) => Tensor;

export interface TrainerConfig {
  model: Module;
  /** A scalar loss averaged over the batch (mse, cross entropy, nll of log_softmax...). */
  loss: LossFn;
  optimizer: Optimizer;
  batchSize: number;
  /** Seeds the shuffling of each epoch. */
  seed?: number;
  /** Fuse kernels when compiling (default: the device's setting, on). */
  fusion?: boolean;
  /**
   * Run every kernel in its default form, whatever the tuning cache holds: two runs with the same
   * seed on one adapter are then bit-identical. Tuned forms can be faster, but they sum in other
   * orders, so the last bits of the losses depend on what the cache held.
   */
  deterministic?: boolean;
  /** 'f16-mixed': f16 operands for the forward's products, f32 everything else (default 'f32'). */
  precision?: Precision;
}

export interface Progress {
  epoch: number;
  epochs: number;
  /** Examples done in this epoch, and in all. */
  seen: number;
  total: number;
  /** Mean loss over the examples done so far in this epoch. */
  loss: number;
  examplesPerSecond: number;
}

export interface FitOptions {
  epochs?: number;
  shuffle?: boolean;
  /** Drop the last partial batch (torch DataLoader's drop_last); by default it runs at its own size. */
  dropLast?: boolean;
  /** Called after each group of steps with the running loss: each call costs one small readback. */
  onProgress?: (p: Progress) => void;
  /** Steps per progress report (and per submit); default: about 20 reports per epoch. */
  reportEvery?: number;
  /** Called after each epoch with its mean loss. */
  onEpochEnd?: (epoch: number, loss: number) => void | Promise<void>;
  /** Where warnings go (a loss that grew more than 1000x within an epoch); default console.warn. */
  onWarning?: (message: string) => void;
  /** Called with a training checkpoint every `checkpointEvery` steps and at each epoch's end. */
  onCheckpoint?: (state: TrainingState, at: { epoch: number; step: number }) => void | Promise<void>;
  checkpointEvery?: number;
  /** The run's settings, stored in each checkpoint (a resume must match them). */
  settings?: RunSettings;
  /** Asked at each group of steps: true writes a checkpoint (with onCheckpoint) and stops with TrainingStopped. */
  shouldStop?: () => boolean;
}

/** fit() stopped because shouldStop() asked, after its checkpoint was written. */
export class TrainingStopped extends Error {
  override name = 'TrainingStopped';
  constructor(readonly at: { epoch: number; step: number }) {
    super(`training stopped at epoch ${at.epoch + (at.step > 0 ? 1 : 0)}${at.step > 0 ? `, step ${at.step}` : ' (its end)'}`);
  }
}

/** A loss this many times its first reading in an epoch is worth a word before it turns into NaN. */
const GROWTH_WARNING = 1000;

export interface EpochResult {
  epoch: number;
  loss: number;
  seconds: number;
}

export interface Evaluation {
  loss: number;
  /** For class labels: the fraction of examples whose largest output is the label. */
  accuracy?: number;
}

export type Mode = 'train' | 'eval';

/** Running sums kept on the GPU: [loss * examples, correct predictions]. */
const SUM_LOSS = 0;
const SUM_CORRECT = 1;

export class Trainer {
  readonly device: Device;
  readonly config: TrainerConfig;
  /** Compiled programs per dataset (by identity: names need not be unique), mode and batch size. */
  private readonly programs = new Map<Dataset, Map<string, Promise<Program>>>();
  private readonly sums = new Variable('trainer.sums', [2], 'f32');
  /** Evaluation programs that count correct predictions (class labels and [batch, classes] outputs). */
  private readonly accuracyMeasured = new WeakSet<Program>();
  private readonly shuffle: RandomStream;
  private epochsDone = 0;
  private readonly predictor: Predictor;
  /** The example shape of the last dataset trained or evaluated on: predict()'s default. */
  private featureShape: Shape | null = null;
  /** The epoch fit() is in (its dataset and the steps done), or null between epochs. */
  private running: { data: Dataset; step: number } | null = null;
  /** Where a loaded checkpoint left its epoch, for the next fit(). */
  private resume: { step: number; examples: number; order: Int32Array; sums: Float32Array } | null = null;
  private lastExamples: number | null = null;
  /** Kernel forms a loaded checkpoint ran, for the programs compiled after it. */
  private pinned = new Map<string, string>();

  constructor(device: Device, config: TrainerConfig) {
    if (!Number.isInteger(config.batchSize) || config.batchSize < 1) throw new RangeError(`batchSize must be a positive integer, got ${config.batchSize}`);
    checkPrecision(config.precision);
    this.device = device;
    this.config = config;
    this.shuffle = new RandomStream(config.seed ?? 0, STREAM.shuffle);
    this.predictor = predictorFor(device, config.model);
  }

  /** The compiled program for a mode, dataset and batch size (compiled once, then cached). */
  program(mode: Mode, data: Dataset, batch: number): Promise<Program> {
    let forData = this.programs.get(data);
    if (!forData) {
      forData = new Map();
      this.programs.set(data, forData);
    }
    const key = `${mode}|${batch}`;
    let program = forData.get(key);
    if (!program) {
      const { graph, accuracy } = this.buildGraph(mode, data, batch);
      program = Program.compile(this.device, graph, {
        label: `${mode}[${batch}]`,
        ...(this.config.fusion !== undefined ? { fusion: this.config.fusion } : {}),
        ...(this.config.deterministic ? { tuning: false } : {}),
        pinned: this.pinned,
      }).then((compiled) => {
        if (accuracy) this.accuracyMeasured.add(compiled);
        return compiled;
      });
      forData.set(key, program);
    }
    return program;
  }

  private buildGraph(mode: Mode, data: Dataset, batch: number): { graph: Graph; accuracy: boolean } {
    const g = new Graph();
    const order = g.variable(data.order);
    const cursor = g.variable(data.cursor);
    const x = batchGather(g.variable(data.x), order, cursor, batch, data.scale, data.shift);
    const y = batchGather(g.variable(data.y), order, cursor, batch);
    const output = g.autocast(autocastFor(this.config.precision), () => this.config.model.forward(x, { training: mode === 'train' }));
    const loss = this.config.loss(output, y);
    if (loss.size !== 1) throw new ShapeError(`the loss must be a scalar (mean over the batch), got shape [${loss.shape.join(',')}]`);
    const sums = g.variable(this.sums);
    if (mode === 'train') {
      checkRegistered(this.config.model, loss);
      const params = this.config.model.parameters().map((v) => g.variable(v));
      this.config.optimizer.addUpdates(g, params, grad(loss, params));
    } else if (measuresAccuracy(data, output)) {
      accumulate(sums, accuracy(output, y), SUM_CORRECT, batch);
    }
    accumulate(sums, loss, SUM_LOSS, batch);
    counterAdd(cursor, batch);
    return { graph: g, accuracy: mode === 'eval' && measuresAccuracy(data, output) };
  }

  /** One pass over `count` examples: full batches (no larger than the data), then the remainder unless dropped. */
  private passPlan(count: number, requested: number, dropLast: boolean): { batch: number; full: number; tail: number } {
    const batch = Math.min(requested, count);
    const full = Math.floor(count / batch);
    return { batch, full, tail: dropLast ? 0 : count - full * batch };
  }

  /**
   * Trains for `options.epochs` passes over `data` (shuffled each epoch unless `shuffle: false`; the
   * last partial batch runs at its own size unless `dropLast`). Each group of steps is one submit;
   * the loss is read back only for progress reports and at each epoch's end. Resolves to each
   * epoch's mean loss; a loss that is not finite stops training with an error.
   *
   * @example
   * ```ts
   * const history = await trainer.fit(train, {
   *   epochs: 2,
   *   onProgress: (p) => console.log(`${p.seen}/${p.total} loss ${p.loss.toFixed(4)}`),
   * });
   * console.log(history.map((h) => h.loss));
   * ```
   */
  async fit(data: Dataset, options: FitOptions = {}): Promise<EpochResult[]> {
    this.featureShape = data.featureShape;
    this.lastExamples = data.count;
    const epochs = options.epochs ?? 1;
    const { batch, full, tail } = this.passPlan(data.count, this.config.batchSize, options.dropLast ?? false);
    const examples = full * batch + tail;
    const train = await this.program('train', data, batch);
    const trainTail = tail > 0 ? await this.program('train', data, tail) : null;
    const reportEvery = Math.max(1, options.reportEvery ?? Math.ceil(full / 20));
    const checkpointEvery = options.checkpointEvery ?? Infinity;
    const results: EpochResult[] = [];
    let warned = false;
    for (let e = 1; e <= epochs; e++) {
      // A run restored from the middle of an epoch continues it: same order, cursor and sums.
      const resumed = e === 1 ? this.takeResume(data) : 0;
      const started = performance.now();
      if (resumed === 0) {
        this.epochsDone++;
        data.startEpoch(options.shuffle === false ? null : this.shuffle.permutation(data.count));
        this.sums.assign(new Float32Array(2));
      }
      this.running = { data, step: resumed };
      // The running sums are copied out in the submit of the steps they follow: a report or the
      // epoch's end costs a map, never a submit of its own.
      let sums: Promise<HostArray> | null = null;
      // Each report's mean loss over its own steps, against the epoch's first report.
      let previous = { sum: 0, seen: 0 };
      let first: number | null = null;
      // A report is read only after the next group of steps is queued, so the GPU keeps working
      // while the CPU waits for the map (one group's lag; a checkpoint boundary waits for it).
      let pending: { sums: Promise<HostArray>; step: number } | null = null;
      const deliver = async ({ sums: read, step }: { sums: Promise<HostArray>; step: number }): Promise<void> => {
        const [lossSum] = await read;
        const seen = step * batch;
        // Stop at the first report whose loss is not finite, not at the epoch's end.
        if (!Number.isFinite(lossSum!)) throw diverged(this.epochsDone, lossSum! / seen, seen);
        const recent = (lossSum! - previous.sum) / (seen - previous.seen);
        previous = { sum: lossSum!, seen };
        first ??= recent;
        if (!warned && first > 0 && recent > GROWTH_WARNING * first) {
          warned = true;
          (options.onWarning ?? console.warn)(
            `training may be diverging: the loss grew from ${first.toPrecision(3)} to ${recent.toPrecision(3)} within epoch ${this.epochsDone} (try a smaller learning rate)`,
          );
        }
        const done = (step - resumed) * batch;
        options.onProgress!({
          epoch: e,
          epochs,
          seen,
          total: examples,
          loss: lossSum! / seen,
          examplesPerSecond: done / ((performance.now() - started) / 1000),
        });
      };
      const deliverPending = async (): Promise<void> => {
        const report = pending;
        pending = null;
        if (report) await deliver(report);
      };
      for (let step = resumed; step < full;) {
        // Groups end at report and checkpoint boundaries alike.
        const steps = Math.min(reportEvery, full - step, checkpointEvery - (step % checkpointEvery));
        step += steps;
        const report = options.onProgress !== undefined && step < full;
        const boundary = step < full && (step % checkpointEvery === 0 || options.shouldStop?.() === true);
        const readsSums = report || (step === full && !trainTail);
        if (readsSums) sums = train.runAndRead(this.sums, {}, { steps });
        else train.run({}, { steps });
        await deliverPending();
        if (report && sums) pending = { sums, step };
        if (boundary) {
          await deliverPending();
          // A diverged state is never checkpointed (it would replace a good one): the running loss is checked first.
          const [lossSum] = report && sums ? await sums : await this.sums.read();
          if (!Number.isFinite(lossSum!)) throw diverged(this.epochsDone, lossSum! / (step * batch), step * batch);
          this.running = { data, step };
          await this.checkpoint(options);
        }
      }
      if (trainTail) sums = trainTail.runAndRead(this.sums);
      await deliverPending();
      const [lossSum] = await sums!;
      const loss = lossSum! / examples;
      const seconds = (performance.now() - started) / 1000;
      if (!Number.isFinite(loss)) throw diverged(this.epochsDone, loss, examples);
      this.running = null;
      options.onProgress?.({ epoch: e, epochs, seen: examples, total: examples, loss, examplesPerSecond: (examples - resumed * batch) / seconds });
      results.push({ epoch: this.epochsDone, loss, seconds });
      // onEpochEnd first: the epoch's checkpoint then holds whatever it did.
      await options.onEpochEnd?.(this.epochsDone, loss);
      await this.checkpoint(options, e === epochs);
    }
    return results;
  }

  /** Hands the state to onCheckpoint; stops the run if shouldStop() asks (at the end of fit, only the checkpoint). */
  private async checkpoint(options: FitOptions, last = false): Promise<void> {
    const stop = !last && options.shouldStop?.() === true;
    if (options.onCheckpoint) await options.onCheckpoint(await this.saveState(options.settings ?? {}), this.progress);
    if (stop) throw new TrainingStopped(this.progress);
  }

  /** Epochs completed and steps done in the current one. */
  get progress(): { epoch: number; step: number } {
    const step = this.running?.step ?? this.resume?.step ?? 0;
    return step > 0 || this.running ? { epoch: this.epochsDone - 1, step } : { epoch: this.epochsDone, step: 0 };
  }

  /**
   * Everything a training step depends on, as the two files of a training checkpoint (see
   * src/train/training-state.ts): the weights under PyTorch's names, then the optimizer's state, the
   * dropout counters, the shuffle generator's position, the epoch and step, and `settings`.
   */
  async saveState(settings: RunSettings = {}): Promise<TrainingState> {
    const tensors: NamedTensor[] = [];
    const add = async (name: string, v: Variable) => tensors.push({ name, dtype: v.dtype, shape: v.shape, data: await v.read() });
    for (const [name, v] of this.stateVariables()) await add(name, v);
    const { epoch, step } = this.progress;
    if (step > 0 && this.running) {
      await add('data.order', this.running.data.order);
      await add('trainer.sums', this.sums);
    }
    const meta: TrainingMeta = {
      format: TRAINING_FORMAT,
      epoch,
      step,
      batchSize: this.config.batchSize,
      examples: this.running?.data.count ?? this.lastExamples ?? 0,
      shuffle: this.shuffle.position,
      optimizer: this.config.optimizer.description,
      settings,
      kernels: Object.fromEntries(await this.kernelForms()),
    };
    return { model: await saveCheckpoint(this.config.model), training: encodeTrainingFile(tensors, meta) };
  }

  /**
   * Restores a training checkpoint made by saveState, all or nothing: every name, shape and setting
   * is checked first, and a mismatch (another net, another optimizer, other settings, a damaged
   * file) is an error that names it. The next fit() continues where the saved run was, to the bit.
   */
  loadState(state: TrainingState, settings: RunSettings = {}, source = 'checkpoint'): { epoch: number; step: number } {
    const fail = (message: string): never => {
      throw new CheckpointError(`${source}: ${message}`);
    };
    const { tensors, meta } = decodeTrainingFile(state.training, `${source}/training.safetensors`);
    if (meta.batchSize !== this.config.batchSize) fail(`it was made with batch size ${meta.batchSize}, this run uses ${this.config.batchSize}`);
    const expected = new Map(this.stateVariables());
    const inEpoch = meta.step > 0 ? ['data.order', 'trainer.sums'] : [];
    checkTrainingState(meta, { optimizer: this.config.optimizer.description, settings }, tensors, expected, inEpoch, fail);
    if (meta.step > 0) {
      const order = tensors.get('data.order')!;
      if (order.shape.join() !== String(meta.examples) || order.dtype !== 'i32') fail(`data.order does not hold ${meta.examples} example indices`);
    }
    // The weights last: loadCheckpoint checks them all before it assigns any.
    loadCheckpoint(this.config.model, state.model, `${source}/model.safetensors`);
    for (const [name, v] of expected) v.assign(tensors.get(name)!.data);
    this.shuffle.seek(meta.shuffle);
    // Programs compiled from now on run the checkpoint's kernel forms, where this adapter has them.
    this.pinned = new Map(Object.entries(meta.kernels));
    this.epochsDone = meta.epoch + (meta.step > 0 ? 1 : 0); // an epoch in progress has started
    this.resume =
      meta.step > 0
        ? {
            step: meta.step,
            examples: meta.examples,
            order: tensors.get('data.order')!.data as Int32Array,
            sums: tensors.get('trainer.sums')!.data as Float32Array,
          }
        : null;
    this.lastExamples = meta.examples;
    return { epoch: meta.epoch, step: meta.step };
  }

  /** The kernel forms of every program this trainer compiled. */
  private async kernelForms(): Promise<Map<string, string>> {
    const forms = new Map(this.pinned);
    for (const byKey of this.programs.values())
      for (const program of byKey.values()) for (const [key, form] of (await program).kernelForms) forms.set(key, form);
    return forms;
  }

  /** The optimizer's state and the dropout counters, by checkpoint name. */
  private stateVariables(): [string, Variable][] {
    const { model, optimizer } = this.config;
    const optimizerState = optimizer.namedState(model.namedParameters()).map(([name, v]): [string, Variable] => [`optimizer.${name}`, v]);
    return [...optimizerState, ...dropoutCounters(model)];
  }

  /** The step to continue from in `data` after loadState (0: start an epoch), restoring the epoch's order and sums. */
  private takeResume(data: Dataset): number {
    const resume = this.resume;
    if (!resume) return 0;
    this.resume = null;
    if (resume.examples !== data.count)
      throw new CheckpointError(`the checkpoint was made in an epoch over ${resume.examples} examples; this dataset has ${data.count}`);
    data.order.assign(resume.order);
    data.cursor.assign(Int32Array.of(resume.step * Math.min(this.config.batchSize, data.count)));
    this.sums.assign(resume.sums);
    return resume.step;
  }

  /**
   * Mean loss (and accuracy, for class labels) over the whole dataset, in evaluation mode. The sums
   * do not depend on the batch size, so a batch whose activations exceed the adapter's largest
   * binding (1000 MNIST images through the CNN on llvmpipe, say) is halved until it fits.
   */
  async evaluate(data: Dataset, options: { batchSize?: number } = {}): Promise<Evaluation> {
    this.featureShape = data.featureShape;
    const { batch, full, tail } = this.passPlan(data.count, this.evaluationBatch(data, options.batchSize ?? this.config.batchSize), false);
    const program = await this.program('eval', data, batch);
    const tailProgram = tail > 0 ? await this.program('eval', data, tail) : null;
    data.startEpoch(null);
    this.sums.assign(new Float32Array(2));
    const sums = tailProgram ? (program.run({}, { steps: full }), tailProgram.runAndRead(this.sums)) : program.runAndRead(this.sums, {}, { steps: full });
    const [lossSum, correct] = await sums;
    const loss = lossSum! / data.count;
    if (!Number.isFinite(loss)) {
      throw new RangeError(`evaluation on ${data.name}: the mean loss is ${loss}; the model's outputs are not finite (weights from a diverged run?)`);
    }
    const result: Evaluation = { loss };
    if (this.accuracyMeasured.has(program)) result.accuracy = correct! / data.count;
    return result;
  }

  /**
   * The model's outputs for one example or a batch, in evaluation mode: from a Dataset (its scale
   * and shift applied) or from numbers, whose example shape defaults to that of the last dataset
   * this trainer trained or evaluated on. Each batch size compiles once; later calls reuse it.
   *
   * @example
   * ```ts
   * await trainer.fit(train, { epochs: 5 });
   * const { data, shape } = await trainer.predict(new Float32Array([7.5]));   // shape [1, 1]
   * const digits = await trainer.predictClasses(test);                        // Int32Array of classes
   * ```
   */
  predict(x: PredictInput, options: PredictOptions = {}): Promise<Prediction> {
    return this.predictor.predict(x, this.withFeatureShape(options));
  }

  /** The class of each example: the argmax of the model's outputs, computed on the GPU. */
  predictClasses(x: PredictInput, options: PredictOptions = {}): Promise<Prediction<Int32Array>> {
    return this.predictor.predictClasses(x, this.withFeatureShape(options));
  }

  private withFeatureShape(options: PredictOptions): PredictOptions {
    return options.featureShape === undefined && this.featureShape !== null ? { ...options, featureShape: this.featureShape } : options;
  }

  /** Whether every tensor of the program for this mode, dataset and batch fits the adapter's largest binding. */
  fits(mode: Mode, data: Dataset, batch: number): boolean {
    return (largestTensor(this.buildGraph(mode, data, batch).graph.nodes)?.bytes ?? 0) <= maxBindingBytes(this.device.limits);
  }

  /** The largest batch up to `requested` whose evaluation program fits the adapter's binding limit. */
  evaluationBatch(data: Dataset, requested: number): number {
    let batch = Math.min(requested, data.count);
    while (batch > 1 && !this.fits('eval', data, batch)) batch = Math.ceil(batch / 2);
    return batch;
  }

  /** Describes the training program for this dataset: kernels, buffers and peak bytes. */
  async describe(data: Dataset): Promise<string> {
    return (await this.program('train', data, Math.min(this.config.batchSize, data.count))).describe();
  }
}

function diverged(epoch: number, loss: number, seen: number): RangeError {
  return new RangeError(`training diverged: the loss of epoch ${epoch} is ${loss} after ${seen} examples (try a smaller learning rate)`);
}

/**
 * Every trainable variable the loss depends on must be one of the model's parameters: one that is
 * not (a layer kept where the module cannot see it) would never be updated or saved.
 */
function checkRegistered(model: Module, loss: Tensor): void {
  const registered = new Set<Variable>(model.parameters());
  const missing = loss.graph.trainableVariables(loss).filter((t) => t.variable && !registered.has(t.variable));
  if (missing.length > 0) {
    const names = missing.map((t) => `'${t.name}' ${t.dtype}${fmt(t.shape)}`).join(', ');
    throw new Error(
      `the model's forward uses trainable variable${missing.length > 1 ? 's' : ''} ${names} that the model does not register, so ${missing.length > 1 ? 'they' : 'it'} would be neither trained nor saved: ` +
        'keep each layer in a field of its module (or in an array field), or return it from children() / ownParameters()',
    );
  }
}

/** Accuracy is defined for class labels scored by a [batch, classes] output. */
function measuresAccuracy(data: Dataset, output: Tensor): boolean {
  return data.classes !== null && output.shape.length === 2 && output.shape[1] === data.classes;
}

/**
 * A trainer for a model, a loss and an optimizer: `fit`, `evaluate` and `predict` compile one program
 * per dataset, mode and batch size (forward, backward and update as one fixed list of dispatches).
 *
 * @example
 * ```ts
 * const device = await openDevice();
 * const model = nn.sequential({ flatten: nn.flatten(), fc: nn.linear(784, 10) });
 * const trainer = compile(device, { model, loss: loss.crossEntropy, optimizer: optim.sgd({ lr: 0.1 }), batchSize: 256 });
 * await trainer.fit(train, { epochs: 10 });
 * console.log(await trainer.evaluate(test));   // { loss, accuracy }
 * ```
 */
export function compile(device: Device, config: TrainerConfig): Trainer {
  return new Trainer(device, config);
}
