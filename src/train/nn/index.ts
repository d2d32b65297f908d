// The `nn` namespace: layer factories named as in the tutorials (nn.linear(784, 10)).
import type { Size2 } from '../../ops/pool2d-window';
import { Conv2d, type Conv2dLayerOptions } from './conv2d';
import { Flatten, LogSoftmax, ReLU, Sigmoid, Softmax, Tanh } from './activations';
import { Dropout, Dropout2d } from './dropout';
import { Linear } from './linear';
import type { Module } from './module';
import { MaxPool2d } from './pooling';
import { Sequential } from './sequential';

export { Module, type ForwardContext } from './module';
export { Linear } from './linear';
export { Conv2d, type Conv2dLayerOptions } from './conv2d';
export { Sequential } from './sequential';
export { Lambda } from './activations';
export { MaxPool2d } from './pooling';
export { Dropout, Dropout2d } from './dropout';

export const linear = (inFeatures: number, outFeatures: number, options?: { bias?: boolean }): Linear => new Linear(inFeatures, outFeatures, options);
export const conv2d = (inChannels: number, outChannels: number, kernelSize: number | readonly [number, number], options?: Conv2dLayerOptions): Conv2d =>
  new Conv2d(inChannels, outChannels, kernelSize, options);
export const sequential = (layers: Record<string, Module> | Module[]): Sequential => new Sequential(layers);
export const relu = ReLU;
export const sigmoid = Sigmoid;
export const tanh = Tanh;
export const flatten = Flatten;
export const logSoftmax = LogSoftmax;
export const softmax = Softmax;
export const maxPool2d = (kernel: Size2, stride?: Size2, padding?: Size2): MaxPool2d => new MaxPool2d(kernel, stride, padding);
export const dropout = (p = 0.5): Dropout => new Dropout(p);
export const dropout2d = (p = 0.5): Dropout2d => new Dropout2d(p);
