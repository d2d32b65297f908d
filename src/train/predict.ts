// Inference: a model's outputs (or its class predictions, argmax on the GPU) for one example or many,
// from a Dataset or from plain numbers. The examples go through in chunks of a fixed batch; each
// batch size compiles one program, cached, so repeated calls compile nothing. A chunk is one upload,
// one submit and one read.
import type { Device } from '../device/device';
import { largestTensor, maxBindingBytes } from '../graph/binding-limit';
import { Graph } from '../graph/graph';
import { Program } from '../graph/program';
import { fmt, sizeOf, type Shape } from '../graph/shape';
import type { Tensor } from '../graph/tensor';
import { argmax } from '../ops/argmax';
import { Dataset } from './data/dataset';
import { flattenNumbers, toFloat32, type NumericData } from './data/host-arrays';
import type { Module } from './nn/module';

/** Examples to predict: a Dataset, or numbers (typed arrays, number[], nested arrays). */
export type PredictInput = Dataset | NumericData;

export interface PredictOptions {
  /**
   * The shape of one example, e.g. [1, 28, 28]. Needed for flat numbers; nested arrays and Datasets
   * carry it, and a trainer remembers the one it last trained or evaluated on.
   */
  featureShape?: Shape;
  /** Examples per compiled step (default 256; lowered to fit the adapter's largest binding). */
  batchSize?: number;
  /** Plain numbers are read as x * scale + shift, as a Dataset's features are (default 1 and 0; a Dataset uses its own). */
  scale?: number;
  shift?: number;
}

/** Outputs of a model, row-major, with their shape ([examples, ...one output's shape]). */
export interface Prediction<T extends Float32Array | Int32Array = Float32Array> {
  data: T;
  shape: number[];
}

interface Compiled<T extends Float32Array | Int32Array> {
  program: Program;
  output: Tensor<T extends Float32Array ? 'f32' : 'i32'>;
}

type Kind = 'values' | 'classes';

/** Compiled inference programs for one model on one device, by kind, example shape and batch size. */
export class Predictor {
  private readonly programs = new Map<string, Promise<Compiled<Float32Array | Int32Array>>>();

  constructor(
    readonly device: Device,
    readonly model: Module,
  ) {}

  /** The model's outputs in evaluation mode (dropout off). */
  predict(x: PredictInput, options: PredictOptions = {}): Promise<Prediction> {
    return this.run('values', x, options) as Promise<Prediction>;
  }

  /** The index of the largest output of each example (argmax over the last axis, on the GPU). */
  predictClasses(x: PredictInput, options: PredictOptions = {}): Promise<Prediction<Int32Array>> {
    return this.run('classes', x, options) as Promise<Prediction<Int32Array>>;
  }

  private async run(kind: Kind, x: PredictInput, options: PredictOptions): Promise<Prediction<Float32Array | Int32Array>> {
    const { rows, featureShape, count } = examplesOf(x, options);
    const rowSize = sizeOf(featureShape);
    const requested = options.batchSize ?? 256;
    if (!Number.isInteger(requested) || requested < 1) throw new RangeError(`predict: batchSize must be a positive integer, got ${requested}`);
    const batch = this.fittingBatch(kind, featureShape, Math.min(requested, count));
    const parts: (Float32Array | Int32Array)[] = [];
    let shape: number[] = [];
    for (let start = 0; start < count; start += batch) {
      const size = Math.min(batch, count - start);
      const { program, output } = await this.compiled(kind, featureShape, size);
      program.run({ x: rows.subarray(start * rowSize, (start + size) * rowSize) });
      parts.push(await program.read(output));
      shape = output.shape.slice(1);
    }
    const data = kind === 'classes' ? new Int32Array(count * sizeOf(shape)) : new Float32Array(count * sizeOf(shape));
    let offset = 0;
    for (const part of parts) {
      data.set(part, offset);
      offset += part.length;
    }
    return { data, shape: [count, ...shape] };
  }

  private graph(kind: Kind, featureShape: Shape, batch: number): { graph: Graph; output: Tensor } {
    const graph = new Graph();
    const x = graph.input('x', [batch, ...featureShape]);
    const out = this.model.forward(x, { training: false });
    if (out.shape[0] !== batch)
      throw new RangeError(`predict: the model's output ${fmt(out.shape)} does not keep the batch of ${batch} in its first dimension`);
    return { graph, output: kind === 'classes' ? argmax(out, out.rank - 1) : out };
  }

  /** The largest batch up to `requested` whose program fits the adapter's binding limit. */
  private fittingBatch(kind: Kind, featureShape: Shape, requested: number): number {
    const limit = maxBindingBytes(this.device.limits);
    let batch = requested;
    while (batch > 1 && (largestTensor(this.graph(kind, featureShape, batch).graph.nodes)?.bytes ?? 0) > limit) batch = Math.ceil(batch / 2);
    return batch;
  }

  private compiled(kind: Kind, featureShape: Shape, batch: number): Promise<Compiled<Float32Array | Int32Array>> {
    const key = `${kind}|${featureShape.join('x')}|${batch}`;
    let compiled = this.programs.get(key);
    if (!compiled) {
      const { graph, output } = this.graph(kind, featureShape, batch);
      compiled = Program.compile(this.device, graph, { outputs: [output], label: `predict[${batch}]` }).then((program) => ({
        program,
        output: output as Tensor<'f32'>,
      }));
      this.programs.set(key, compiled);
    }
    return compiled;
  }
}

/** The examples as f32 rows, with the shape of one example. */
function examplesOf(x: PredictInput, options: PredictOptions): { rows: Float32Array; featureShape: Shape; count: number } {
  if (x instanceof Dataset) {
    const { scale, shift } = x;
    const rows = Float32Array.from(x.features, (v) => v * scale + shift);
    return { rows, featureShape: x.featureShape, count: x.count };
  }
  const { values, shape } = flattenNumbers('predict input', x);
  // Nested input: its first dimension counts examples.
  const featureShape = options.featureShape ?? (shape ? shape.slice(1) : null);
  if (featureShape === null) throw new RangeError('predict: featureShape is needed for flat input (the shape of one example, e.g. [1, 28, 28])');
  const rowSize = sizeOf(featureShape);
  if (values.length === 0 || values.length % rowSize !== 0)
    throw new RangeError(`predict: ${values.length} values do not divide into examples of shape ${fmt(featureShape)}`);
  const scale = options.scale ?? 1;
  const shift = options.shift ?? 0;
  const rows = toFloat32('predict input', values);
  const scaled = scale === 1 && shift === 0 ? rows : rows.map((v) => v * scale + shift);
  return { rows: scaled, featureShape, count: values.length / rowSize };
}

const predictors = new WeakMap<Module, Map<Device, Predictor>>();

/** The Predictor of a model on a device, made once: its compiled programs are reused by every call. */
export function predictorFor(device: Device, model: Module): Predictor {
  let byDevice = predictors.get(model);
  if (!byDevice) {
    byDevice = new Map();
    predictors.set(model, byDevice);
  }
  let predictor = byDevice.get(device);
  if (!predictor) {
    predictor = new Predictor(device, model);
    byDevice.set(device, predictor);
  }
  return predictor;
}

/**
 * A model's outputs without a trainer, in evaluation mode.
 *
 * @example
 * ```ts
 * const { data, shape } = await predict(device, model, [[0.5, 1.5]]);   // one example of 2 features
 * ```
 */
export function predict(device: Device, model: Module, x: PredictInput, options?: PredictOptions): Promise<Prediction> {
  return predictorFor(device, model).predict(x, options);
}

/** The predicted class (argmax of the outputs, computed on the GPU) of each example. */
export function predictClasses(device: Device, model: Module, x: PredictInput, options?: PredictOptions): Promise<Prediction<Int32Array>> {
  return predictorFor(device, model).predictClasses(x, options);
}
