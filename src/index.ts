// Kiln's platform-neutral API. src/node.ts and src/browser.ts add openDevice() for their platform.
import './graph/graph-ops';

export { Device, type PipelineSpec, type DeviceStats } from './device/device';
export type { AdapterSummary, BackendName } from './device/adapter-info';
export { DeviceError, AdapterError, ShaderCompileError } from './device/errors';
export { Graph } from './graph/graph';
export { Tensor } from './graph/tensor';
export { Variable, type HostArray } from './graph/variable';
export { ShapeError, type Shape, type DType } from './graph/shape';
export { grad } from './graph/autodiff';
export { Program, type CompileOptions, type RunOptions, type ProgramStats } from './graph/program';
export { evaluateCpu } from './graph/cpu-eval';
