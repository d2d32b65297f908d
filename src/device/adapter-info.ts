// What Kiln reports about the adapter it runs on (`kiln info`, benchmark JSON, demo pages).

export type BackendName = 'gpu' | 'swiftshader' | 'llvmpipe' | 'browser';

export interface AdapterSummary {
  /** How the adapter was reached: a real GPU, SwiftShader (Vulkan), llvmpipe (OpenGL ES) or the browser's. */
  backend: BackendName;
  vendor: string;
  architecture: string;
  device: string;
  description: string;
  /** True for CPU implementations (SwiftShader, llvmpipe, lavapipe). */
  isSoftware: boolean;
  /** Compatibility mode (OpenGL ES): fewer invocations per workgroup, no timestamp queries. */
  compatibility: boolean;
  /** What the adapter offers; Kiln requests the optional ones it uses (src/device/features.ts). */
  features: string[];
  limits: Record<string, number>;
}

/** The limits Kiln's kernels and memory plans depend on; requested at the adapter's maximum. */
export const LIMITS_USED = [
  'maxStorageBufferBindingSize',
  'maxBufferSize',
  'maxStorageBuffersPerShaderStage',
  'maxComputeWorkgroupStorageSize',
  'maxComputeInvocationsPerWorkgroup',
  'maxComputeWorkgroupSizeX',
  'maxComputeWorkgroupSizeY',
  'maxComputeWorkgroupsPerDimension',
  'maxUniformBufferBindingSize',
  'minStorageBufferOffsetAlignment',
  'minUniformBufferOffsetAlignment',
  'maxBindGroups',
] as const;

export function isSoftwareAdapter(info: { vendor: string; architecture: string; device: string; description: string }): boolean {
  const text = `${info.vendor} ${info.architecture} ${info.device} ${info.description}`.toLowerCase();
  return /swiftshader|llvmpipe|lavapipe|softpipe|software|microsoft basic render/.test(text);
}

export function summarizeAdapter(adapter: GPUAdapter, device: GPUDevice, backend: BackendName, compatibility: boolean): AdapterSummary {
  const info = adapter.info;
  const plain = {
    vendor: info.vendor ?? '',
    architecture: info.architecture ?? '',
    device: info.device ?? '',
    description: info.description ?? '',
  };
  const limits: Record<string, number> = {};
  for (const key of LIMITS_USED) limits[key] = Number(device.limits[key]);
  return {
    backend,
    ...plain,
    isSoftware: isSoftwareAdapter(plain),
    compatibility,
    features: [...adapter.features].map(String).sort(),
    limits,
  };
}

/**
 * Limits to request: the adapter's maximum for each limit Kiln uses. Software adapters hand out lower
 * defaults than they support (llvmpipe: 128 invocations per workgroup by default, 1024 possible).
 */
export function requiredLimits(adapter: GPUAdapter): Record<string, number> {
  const out: Record<string, number> = {};
  for (const key of LIMITS_USED) {
    if (key.startsWith('min')) continue; // alignments: the default is the loosest allowed
    out[key] = Number(adapter.limits[key]);
  }
  return out;
}
