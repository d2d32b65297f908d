// Errors a user can act on: each names what failed and, where it helps, what to do about it.

/** A WebGPU validation, out-of-memory or internal error, or a lost device, turned into an exception. */
export class DeviceError extends Error {
  override name = 'DeviceError';
}

/** No adapter could be opened (or the one asked for is unknown / missing). */
export class AdapterError extends Error {
  override name = 'AdapterError';
}

/** A WGSL shader failed to compile: the message names the kernel and shows the offending line. */
export class ShaderCompileError extends Error {
  override name = 'ShaderCompileError';
}
