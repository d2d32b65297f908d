// The `nn` namespace: layer classes under PyTorch's names (nn.Linear, nn.Conv2d, nn.ReLU, ...) and
// factories named as in the tutorials (nn.linear(784, 10)), which build the same classes.
import type { Size2 } from '../../ops/pool2d-window';
import { Conv2d, type Conv2dLayerOptions } from './conv2d';
import { Flatten, GELU, LogSoftmax, ReLU, Sigmoid, SiLU, Softmax, Tanh } from './activations';
import type { GeluOptions } from '../../ops/gelu';
export type { GeluOptions } from '../../ops/gelu';
import { Embedding } from './embedding';
import { GPT, type GptConfig } from './gpt';
import { LayerNorm, type LayerNormOptions } from './layer-norm';
import { Dropout, Dropout2d } from './dropout';
import { Linear } from './linear';
import type { Module } from './module';
import { BatchNorm1d, BatchNorm2d, type BatchNormOptions } from './batch-norm';
import { MultiheadAttention, type MultiheadAttentionOptions } from './multihead-attention';
import { AdaptiveAvgPool2d, AvgPool2d, MaxPool2d } from './pooling';
import { Sequential } from './sequential';

export { Module, type ForwardContext } from './module';
export { Linear } from './linear';
export { Conv2d, type Conv2dLayerOptions } from './conv2d';
export { Sequential } from './sequential';
export { Lambda, ReLU, Sigmoid, Tanh, GELU, SiLU, Flatten, LogSoftmax, Softmax } from './activations';
export { Embedding } from './embedding';
export { GPT, GptTransformer, Block, CausalSelfAttention, MLP, type GptConfig } from './gpt';
export { LayerNorm, type LayerNormOptions } from './layer-norm';
export { BatchNorm1d, BatchNorm2d, type BatchNormOptions } from './batch-norm';
export { MultiheadAttention, type MultiheadAttentionOptions } from './multihead-attention';
export { MaxPool2d, AvgPool2d, AdaptiveAvgPool2d } from './pooling';
export { Dropout, Dropout2d } from './dropout';

/**
 * y = x Wᵀ + b, initialised as torch.nn.Linear.
 *
 * @example
 * ```ts
 * const model = nn.linear(1, 1);   // parameters weight [1, 1] and bias [1]
 * ```
 */
export const linear = (inFeatures: number, outFeatures: number, options?: { bias?: boolean }): Linear => new Linear(inFeatures, outFeatures, options);

/**
 * A 2-D convolution over [N, C, H, W], initialised as torch.nn.Conv2d.
 *
 * @example
 * ```ts
 * const conv = nn.conv2d(1, 32, 3, { stride: 1, padding: 0 });
 * ```
 */
export const conv2d = (inChannels: number, outChannels: number, kernelSize: number | readonly [number, number], options?: Conv2dLayerOptions): Conv2d =>
  new Conv2d(inChannels, outChannels, kernelSize, options);

/**
 * Layers applied in order; named layers give PyTorch's parameter names.
 *
 * @example
 * ```ts
 * const net = nn.sequential({ flatten: nn.flatten(), fc1: nn.linear(784, 128), relu: nn.relu(), fc2: nn.linear(128, 10) });
 * net.namedParameters().map(([name]) => name);   // ['fc1.weight', 'fc1.bias', 'fc2.weight', 'fc2.bias']
 * ```
 */
export const sequential = (layers: Record<string, Module> | Module[]): Sequential => new Sequential(layers);

/** @example `nn.relu()` */
export const relu = (): ReLU => new ReLU();
/** @example `nn.sigmoid()` */
export const sigmoid = (): Sigmoid => new Sigmoid();
/** @example `nn.tanh()` */
export const tanh = (): Tanh => new Tanh();
/** @example `nn.flatten()` flattens all but the batch dimension. */
export const flatten = (startDim = 1, endDim = -1): Flatten => new Flatten(startDim, endDim);
/** @example `nn.logSoftmax(1)` over the classes of [batch, classes]. */
export const logSoftmax = (dim = -1): LogSoftmax => new LogSoftmax(dim);
/** @example `nn.softmax(1)` */
export const softmax = (dim = -1): Softmax => new Softmax(dim);
/** @example `nn.maxPool2d(2)`: 2x2 windows, stride 2. */
export const maxPool2d = (kernel: Size2, stride?: Size2, padding?: Size2): MaxPool2d => new MaxPool2d(kernel, stride, padding);
/** @example `nn.avgPool2d(2)`: means of 2x2 windows, stride 2. */
export const avgPool2d = (kernel: Size2, stride?: Size2, padding?: Size2, countIncludePad?: boolean): AvgPool2d =>
  new AvgPool2d(kernel, stride, padding, countIncludePad);
/** @example `nn.adaptiveAvgPool2d(1)`: global average pooling to [N, C, 1, 1]. */
export const adaptiveAvgPool2d = (outputSize: Size2): AdaptiveAvgPool2d => new AdaptiveAvgPool2d(outputSize);
/** @example `nn.batchNorm2d(16)`: per-channel batch normalization of [N, 16, H, W], with running statistics. */
export const batchNorm2d = (numFeatures: number, options?: BatchNormOptions): BatchNorm2d => new BatchNorm2d(numFeatures, options);
/** @example `nn.batchNorm1d(64)`: per-feature batch normalization of [N, 64] or [N, 64, L]. */
export const batchNorm1d = (numFeatures: number, options?: BatchNormOptions): BatchNorm1d => new BatchNorm1d(numFeatures, options);
/** @example `nn.multiheadAttention(128, 4, { batchFirst: true, causal: true })`: a decoder's self-attention over [B, T, 128]. */
export const multiheadAttention = (embedDim: number, numHeads: number, options?: MultiheadAttentionOptions): MultiheadAttention =>
  new MultiheadAttention(embedDim, numHeads, options);
/** @example `nn.dropout(0.5)`: active in training only. */
export const dropout = (p = 0.5): Dropout => new Dropout(p);
/** @example `nn.dropout2d(0.25)` zeroes whole channels. */
export const dropout2d = (p = 0.5): Dropout2d => new Dropout2d(p);
/** @example `nn.gelu()`, or `nn.gelu({ approximate: 'tanh' })` as GPT-2. */
export const gelu = (options?: GeluOptions): GELU => new GELU(options);
/** @example `nn.silu()` */
export const silu = (): SiLU => new SiLU();
/** @example `nn.embedding(65, 128)`: a table of 65 tokens by 128 features, looked up at i32 ids. */
export const embedding = (numEmbeddings: number, embeddingDim: number): Embedding => new Embedding(numEmbeddings, embeddingDim);
/** @example `nn.layerNorm(128)` over the last axis of [B, T, 128]. */
export const layerNorm = (normalizedShape: number | readonly number[], options?: LayerNormOptions): LayerNorm => new LayerNorm(normalizedShape, options);
/**
 * A GPT language model with nanoGPT's structure and parameter names.
 *
 * @example
 * ```ts
 * const model = nn.gpt({ vocabSize: 65, blockSize: 64, nLayer: 4, nHead: 4, nEmbd: 128 });
 * ```
 */
export const gpt = (config: GptConfig): GPT => new GPT(config);
