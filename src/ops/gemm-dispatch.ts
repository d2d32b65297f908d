// Workgroup sizes for the register-tiled GEMM kernels (matmul's lowering makes the same choice): 64
// invocations per group, fewer when that would leave fewer than 4 groups, because a software adapter
// spreads workgroups (not invocations) over its CPU threads.
import { dispatch1d, WORKGROUP_1D } from './op';

const MIN_WORKGROUPS = 4;
const SMALLEST_WORKGROUP = 16;

export function gemmWorkgroups(invocations: number): { workgroups: [number, number, number]; size: number } {
  let size = WORKGROUP_1D;
  while (size > SMALLEST_WORKGROUP && Math.ceil(invocations / size) < MIN_WORKGROUPS) size /= 2;
  return { workgroups: dispatch1d(invocations, size), size };
}
