// Trains a language model (i32 token ids [B, T] to logits [B, T, V]) on a token stream, as nanoGPT's
// train.py does: iterations rather than epochs, each on B random windows of T tokens with their
// next-token targets. Everything a step needs is on the GPU: the streams (uploaded once), the windows
// (drawn by a kernel from the iteration counter), the learning-rate schedule (written by a kernel
// into the optimizer's hyperparameters), the clipping, the updates and the running loss. So a group
// of iterations is one submit, and the CPU reads back only a report's loss.
import type { Device } from '../device/device';
import { grad } from '../graph/autodiff';
import { Graph } from '../graph/graph';
import { Program } from '../graph/program';
import { ShapeError } from '../graph/shape';
import type { Tensor } from '../graph/tensor';
import { Variable } from '../graph/variable';
import { accumulate } from '../ops/accumulate';
import { counterAdd } from '../ops/counter-add';
import { crossEntropy } from '../ops/cross-entropy';
import type { LrSchedule } from '../ops/lr-schedule';
import { textWindows } from '../ops/text-windows';
import { RandomStream, STREAM } from '../random/philox';
import { CheckpointError, loadCheckpoint, saveCheckpoint, type NamedTensor } from './checkpoint';
import { clipGradNorm } from './grad-clip';
import { decodeLmTrainingFile, encodeLmTrainingFile, LM_TRAINING_FORMAT } from './lm-training-state';
import { dropoutCounters } from './nn/dropout';
import type { Module } from './nn/module';
import type { Optimizer } from './optim/optimizer';
import { checkTrainingState, type RunSettings, type TrainingState } from './training-state';
import { autocastFor, checkPrecision, type Precision } from './precision';

export interface LmTrainerConfig {
  /** i32 [B, T] token ids to [B, T, vocab] logits (nn.gpt). */
  model: Module;
  optimizer: Optimizer;
  batchSize: number;
  /** Tokens per window (the model's context). */
  blockSize: number;
  schedule?: LrSchedule;
  /** Clip gradients to this global norm (nanoGPT's grad_clip; 0 or absent: no clipping). */
  gradClip?: number;
  /** Seeds the windows' draws. */
  seed?: number;
  /** Run the default kernels, untuned (a run that gives the same losses on every machine of a kind). */
  deterministic?: boolean;
  /** 'f16-mixed': f16 operands for the model's products, f32 everything else (TrainerConfig.precision). */
  precision?: Precision;
}

export interface TokenSplits {
  train: Int32Array;
  val: Int32Array;
}

export interface LmProgress {
  iteration: number;
  iterations: number;
  /** Mean training loss over the iterations since the previous report. */
  loss: number;
  tokensPerSecond: number;
}

export interface LmEvaluation {
  iteration: number;
  train: number;
  val: number;
}

export interface LmFitOptions {
  /** Iterations between progress reports (default: iterations / 20). */
  reportEvery?: number;
  onProgress?: (p: LmProgress) => void;
  /** Iterations between loss estimates on both splits (0: only at the end). */
  evalEvery?: number;
  /** Batches each estimate averages (nanoGPT's eval_iters). */
  evalIters?: number;
  onEval?: (e: LmEvaluation) => void | Promise<void>;
  /** Iterations between calls of onCheckpoint (0 or absent: only when shouldStop() stops the run). */
  checkpointEvery?: number;
  /** Called at group boundaries (every checkpointEvery iterations, and on a stop): save saveState() there. */
  onCheckpoint?: (iteration: number) => void | Promise<void>;
  /** Asked after each group of iterations: true ends fit() after onCheckpoint, with LmTrainingStopped. */
  shouldStop?: () => boolean;
}

/** fit() ended because shouldStop() asked, after its checkpoint. */
export class LmTrainingStopped extends Error {
  override name = 'LmTrainingStopped';
  constructor(readonly iteration: number) {
    super(`training stopped after iteration ${iteration}`);
  }
}

export interface LmFitResult {
  /** The last estimate on both splits. */
  final: LmEvaluation;
  /** Training tokens per second over the run (estimates excluded). */
  tokensPerSecond: number;
}

/** Which part of the token stream: the training or the validation split. */
export type LmSplit = 'train' | 'val';

export class LanguageModelTrainer {
  private readonly tokens: Record<LmSplit, Variable<'i32'>>;
  /** Iterations done: the windows' counter and the schedule's t. */
  private readonly iteration = new Variable('lm.iteration', [1], 'i32');
  /** Batches drawn by estimates, so each draws new windows. */
  private readonly evalStep = new Variable('lm.eval_step', [1], 'i32');
  /**
   * Running sums of the training loss and of the estimates' losses, never reset: a report takes the
   * difference from the previous one, so no write (and no wait) comes between groups of steps.
   */
  private readonly sums = new Variable('lm.sums', [2], 'f32');
  private readonly seen = [0, 0];
  private readonly keys: { train: [number, number]; eval: [number, number] };
  private trainProgram: Promise<Program> | null = null;
  private readonly evalPrograms = new Map<LmSplit, Promise<Program>>();
  private done = 0;
  /** Kernel forms a loaded checkpoint ran: programs compiled after loadState() run them where offered. */
  private pinned = new Map<string, string>();

  constructor(
    private readonly device: Device,
    private readonly config: LmTrainerConfig,
    splits: TokenSplits,
  ) {
    checkPrecision(config.precision);
    for (const split of ['train', 'val'] as const) {
      if (splits[split].length <= config.blockSize + 1) {
        throw new ShapeError(`language model: the ${split} split has ${splits[split].length} tokens, too few for windows of ${config.blockSize}`);
      }
    }
    this.tokens = {
      train: new Variable('lm.train_tokens', [splits.train.length], 'i32', { data: splits.train }),
      val: new Variable('lm.val_tokens', [splits.val.length], 'i32', { data: splits.val }),
    };
    const stream = new RandomStream(config.seed ?? 0, STREAM.windows);
    this.keys = { train: [stream.nextU32(), stream.nextU32()], eval: [stream.nextU32(), stream.nextU32()] };
  }

  /** Iterations trained so far. */
  get iterations(): number {
    return this.done;
  }

  private compile(graph: Graph, label: string): Promise<Program> {
    return Program.compile(this.device, graph, { label, pinned: this.pinned, ...(this.config.deterministic ? { tuning: false } : {}) });
  }

  /** The variables of training.safetensors, by name: the optimizer's state, the dropout counters and the trainer's own. */
  private stateVariables(): [string, Variable][] {
    const { model, optimizer } = this.config;
    return [
      ...optimizer.namedState(model.namedParameters()).map(([name, v]): [string, Variable] => [`optimizer.${name}`, v]),
      ...dropoutCounters(model),
      ['lm.iteration', this.iteration],
      ['lm.eval_step', this.evalStep],
      ['lm.sums', this.sums],
    ];
  }

  /**
   * Everything the next iteration depends on, as the two files of a training checkpoint
   * (src/train/lm-training-state.ts): a run resumed from it with loadState() gives the same losses
   * and weights as one that never stopped.
   */
  async saveState(settings: RunSettings = {}): Promise<TrainingState> {
    const tensors: NamedTensor[] = [];
    for (const [name, v] of this.stateVariables()) tensors.push({ name, dtype: v.dtype, shape: v.shape, data: await v.read() });
    const forms = new Map(this.pinned);
    for (const program of [this.trainProgram, ...this.evalPrograms.values()])
      if (program) for (const [key, form] of (await program).kernelForms) forms.set(key, form);
    const training = encodeLmTrainingFile(tensors, {
      format: LM_TRAINING_FORMAT,
      iteration: this.done,
      batchSize: this.config.batchSize,
      blockSize: this.config.blockSize,
      tokens: { train: this.tokens.train.size, val: this.tokens.val.size },
      optimizer: this.config.optimizer.description,
      settings,
      kernels: Object.fromEntries(forms),
    });
    return { model: await saveCheckpoint(this.config.model), training };
  }

  /**
   * Restores a state saved by saveState(), all or nothing: another model, optimizer, batch, block,
   * text or settings is an error that names the difference, and nothing is changed. Returns the
   * iterations it had done; fit() continues from there.
   */
  loadState(state: TrainingState, settings: RunSettings = {}, source = 'checkpoint'): { iteration: number } {
    const fail = (message: string): never => {
      throw new CheckpointError(`${source}: ${message}`);
    };
    if (this.trainProgram || this.evalPrograms.size > 0) fail('load a training state before the first fit() or estimate');
    const { tensors, meta } = decodeLmTrainingFile(state.training, `${source}/training.safetensors`);
    if (meta.batchSize !== this.config.batchSize) fail(`it was made with batch size ${meta.batchSize}, this run uses ${this.config.batchSize}`);
    if (meta.blockSize !== this.config.blockSize) fail(`it was made with block size ${meta.blockSize}, this run uses ${this.config.blockSize}`);
    if (meta.tokens.train !== this.tokens.train.size || meta.tokens.val !== this.tokens.val.size)
      fail(
        `it was trained on ${meta.tokens.train} + ${meta.tokens.val} tokens, this run has ${this.tokens.train.size} + ${this.tokens.val.size} (another text?)`,
      );
    const expected = new Map(this.stateVariables());
    checkTrainingState(meta, { optimizer: this.config.optimizer.description, settings }, tensors, expected, [], fail);
    const iteration = tensors.get('lm.iteration')!.data[0];
    if (iteration !== meta.iteration) fail(`lm.iteration holds ${iteration}, the metadata says ${meta.iteration} iterations`);
    // The weights first: loadCheckpoint checks them all before it assigns any.
    loadCheckpoint(this.config.model, state.model, `${source}/model.safetensors`);
    for (const [name, v] of expected) v.assign(tensors.get(name)!.data);
    const sums = tensors.get('lm.sums')!.data;
    this.seen[0] = sums[0]!;
    this.seen[1] = sums[1]!;
    this.done = meta.iteration;
    this.pinned = new Map(Object.entries(meta.kernels));
    return { iteration: meta.iteration };
  }

  private lossOn(g: Graph, split: LmSplit, counter: Tensor, key: [number, number], training: boolean): Tensor {
    const { batchSize, blockSize, model } = this.config;
    const data = g.variable(this.tokens[split]);
    const x = textWindows(data, counter, batchSize, blockSize, 0, key);
    const y = textWindows(data, counter, batchSize, blockSize, 1, key);
    const logits = g.autocast(autocastFor(this.config.precision), () => model.forward(x, { training }));
    return crossEntropy(logits, y);
  }

  /** The training step: windows, forward, backward, clipping, schedule, updates, running loss. */
  program(): Promise<Program> {
    if (!this.trainProgram) {
      const g = new Graph();
      const iteration = g.variable(this.iteration);
      const loss = this.lossOn(g, 'train', iteration, this.keys.train, true);
      const params = this.config.model.parameters().map((v) => g.variable(v));
      let grads = grad(loss, params);
      if (this.config.gradClip) grads = clipGradNorm(grads, this.config.gradClip).grads;
      if (this.config.schedule) this.config.optimizer.addSchedule(g, iteration, this.config.schedule);
      this.config.optimizer.addUpdates(g, params, grads);
      accumulate(g.variable(this.sums), loss, 0);
      counterAdd(iteration, 1);
      this.trainProgram = this.compile(g, 'lm-train');
    }
    return this.trainProgram;
  }

  private evalProgram(split: LmSplit): Promise<Program> {
    let program = this.evalPrograms.get(split);
    if (!program) {
      const g = new Graph();
      const step = g.variable(this.evalStep);
      const loss = this.lossOn(g, split, step, this.keys.eval, false);
      accumulate(g.variable(this.sums), loss, 1);
      counterAdd(step, 1);
      program = this.compile(g, `lm-eval-${split}`);
      this.evalPrograms.set(split, program);
    }
    return program;
  }

  /** The mean loss over `batches` random windows of a split, the model in evaluation mode (one submit). */
  async estimateLoss(split: LmSplit, batches = 20): Promise<number> {
    const program = await this.evalProgram(split);
    const read = await program.runAndRead(this.sums, {}, { steps: batches });
    const sum = read[1]! - this.seen[1]!;
    this.seen[1] = read[1]!;
    return sum / batches;
  }

  /**
   * Trains `iterations` more iterations, groups of them per submit. Resolves to the last estimate
   * of both splits' losses; a loss that is not finite stops training with an error.
   */
  async fit(iterations: number, options: LmFitOptions = {}): Promise<LmFitResult> {
    if (!Number.isInteger(iterations) || iterations < 1) throw new RangeError(`fit: iterations must be a positive integer, got ${iterations}`);
    const program = await this.program();
    const total = this.done + iterations;
    const reportEvery = Math.max(1, options.reportEvery ?? Math.ceil(iterations / 20));
    const evalEvery = options.evalEvery ?? 0;
    const evalIters = options.evalIters ?? 20;
    const checkpointEvery = options.checkpointEvery ?? 0;
    const tokensPerStep = this.config.batchSize * this.config.blockSize;
    let trainSeconds = 0;
    let last: LmEvaluation | null = null;
    const estimate = async (): Promise<LmEvaluation> => {
      const e = { iteration: this.done, train: await this.estimateLoss('train', evalIters), val: await this.estimateLoss('val', evalIters) };
      if (!Number.isFinite(e.train)) throw new Error(`training diverged: the loss is ${e.train} at iteration ${this.done} (try a smaller learning rate)`);
      await options.onEval?.(e);
      return e;
    };
    while (this.done < total) {
      const until = (every: number) => (every > 0 ? every - (this.done % every) : Infinity);
      const steps = Math.min(until(reportEvery), total - this.done, until(evalEvery), until(checkpointEvery));
      const started = performance.now();
      const [running] = await program.runAndRead(this.sums, {}, { steps });
      const lossSum = running! - this.seen[0]!;
      this.seen[0] = running!;
      const seconds = (performance.now() - started) / 1000;
      trainSeconds += seconds;
      this.done += steps;
      const loss = lossSum / steps;
      if (!Number.isFinite(loss)) throw new Error(`training diverged: the loss is ${loss} at iteration ${this.done} (try a smaller learning rate)`);
      options.onProgress?.({ iteration: this.done, iterations: total, loss, tokensPerSecond: (steps * tokensPerStep) / seconds });
      if (evalEvery > 0 && this.done % evalEvery === 0 && this.done < total) last = await estimate();
      const stop = this.done < total && options.shouldStop?.() === true;
      if ((checkpointEvery > 0 && this.done % checkpointEvery === 0) || stop) await options.onCheckpoint?.(this.done);
      if (stop) throw new LmTrainingStopped(this.done);
    }
    if (!last || last.iteration !== this.done) last = await estimate();
    return { final: last, tokensPerSecond: (iterations * tokensPerStep) / trainSeconds };
  }
}
