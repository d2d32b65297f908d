// The `nn` namespace: layer factories named as in the tutorials (nn.linear(784, 10)).
import { Flatten, LogSoftmax, ReLU, Sigmoid, Softmax, Tanh } from './activations';
import { Linear } from './linear';
import type { Module } from './module';
import { Sequential } from './sequential';

export { Module, type ForwardContext } from './module';
export { Linear } from './linear';
export { Sequential } from './sequential';
export { Lambda } from './activations';

export const linear = (inFeatures: number, outFeatures: number, options?: { bias?: boolean }): Linear => new Linear(inFeatures, outFeatures, options);
export const sequential = (layers: Record<string, Module> | Module[]): Sequential => new Sequential(layers);
export const relu = ReLU;
export const sigmoid = Sigmoid;
export const tanh = Tanh;
export const flatten = Flatten;
export const logSoftmax = LogSoftmax;
export const softmax = Softmax;
