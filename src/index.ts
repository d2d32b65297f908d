// Kiln's platform-neutral API. src/node.ts and src/browser.ts add openDevice() for their platform.
/// <reference types="@webgpu/types" preserve="true" />
import './graph/graph-ops';

export { Device, type PipelineSpec, type DeviceStats } from './device/device';
export type { AdapterSummary, BackendName } from './device/adapter-info';
export { DeviceError, AdapterError, ShaderCompileError } from './device/errors';
export { Graph } from './graph/graph';
export { Tensor as SymbolicTensor, type NodeKind, type TensorInit } from './graph/tensor';
export { Tensor, type NestedList, type TensorOrNumber } from './tensor/tensor';
export { tensor, zeros, ones, full, rand, randn, arange, linspace, asTensor, markStep, synchronize, tensorStats, type TensorOptions } from './tensor/factories';
export type { TensorStats } from './tensor/engine';
export { noGrad } from './tensor/grad-mode';
export { functional } from './tensor/functional-namespace';
export type { DerivedTensorMethods, DerivedFunctions, DerivedOpName, DerivedFunctionName, EagerArg, EagerArgs, Rest, Build } from './tensor/derived-methods';
export type { AttentionOptions, WeightDropout } from './ops/attention';
export { OP_METHODS, type OpMethods, type OpName, type GraphOpMethods } from './ops/registry';
export type { OpMethod, OpCase, OperandDomain, GradientCheck, EagerForm, Builder } from './ops/op-method';
export { useDevice } from './device/default-device';
export { Variable, type HostArray, type HostArrayOf } from './graph/variable';
export { ShapeError, type Shape, type DType } from './graph/shape';
export { grad } from './graph/autodiff';
export { Program, type CompileOptions, type RunOptions, type ProgramStats } from './graph/program';
export { evaluateCpu } from './graph/cpu-eval';
export * as nn from './train/nn/index';
export * as optim from './train/optim/index';
export { Dataset, type DatasetSpec } from './train/data/dataset';
export type { NumericData, NestedNumbers } from './train/data/host-arrays';
export * as data from './train/data/preprocess';
export { predict, predictClasses, Predictor, type PredictInput, type PredictOptions, type Prediction } from './train/predict';
export { parseIdx, parseImagesAndLabels, type IdxData, type IdxDtype } from './train/data/idx';
export { TRAINING_FORMAT, type TrainingState, type TrainingMeta, type RunSettings } from './train/training-state';
export type { Optimizer } from './train/optim/optimizer';
export {
  Trainer,
  TrainingStopped,
  compile,
  type Mode,
  type TrainerConfig,
  type FitOptions,
  type Progress,
  type Evaluation,
  type EpochResult,
  type LossFn,
} from './train/trainer';
export { PRECISIONS, type Precision } from './train/precision';
export {
  LanguageModelTrainer,
  type LmTrainerConfig,
  type TokenSplits,
  type LmProgress,
  type LmEvaluation,
  type LmFitOptions,
  type LmFitResult,
  type LmSplit,
  LmTrainingStopped,
} from './train/lm-trainer';
export { LM_TRAINING_FORMAT, type LmTrainingMeta } from './train/lm-training-state';
export { clipGradNorm, type ClippedGradients } from './train/grad-clip';
export { learningRateAt, type LrSchedule } from './ops/lr-schedule';
export { manualSeed, RandomStream } from './random/philox';
export * as loss from './train/losses';
export {
  encodeSafetensors,
  decodeSafetensors,
  saveCheckpoint,
  loadCheckpoint,
  CheckpointError,
  type NamedTensor,
  type DecodedSafetensors,
  type FileBytes,
} from './train/checkpoint';
export {
  MNIST_MEAN,
  MNIST_STD,
  MNIST_NETS,
  mnistNet,
  mnistDataset,
  setupMnist,
  mnistTrainFlops,
  type MnistNetWidths,
  type MnistOptions,
} from './train/recipes/mnist';
export type { Conv2dOptions, Conv2dAttrs } from './ops/conv2d-geometry';
export type { DropoutOptions, DropoutAttrs, DropoutMask } from './ops/dropout';
export type { Size2, Pair } from './ops/pool2d-window';
export type { MatmulOptions } from './ops/matmul';
export type { CastTarget } from './ops/cast';
export type { Axes } from './ops/reduce';
export type { AnyOpDef, OpDef, CpuTensor, TensorMeta, KernelCall, KernelVariant, VariantNeeds, BindingRef, GradContext, ScalarEffect } from './ops/op';
export type { TimedTrial, TrialTimer, TuningOptions, TuningStore } from './device/tuning-store';
export type { KernelInfo } from './graph/program';
