// Gradient clipping by global norm, as torch.nn.utils.clip_grad_norm_: every gradient scaled by
// min(1, maxNorm / (‖g‖ + 1e-6)) with ‖g‖ the 2-norm of all of them together. The norm is one
// sum_squares node (a dispatch per 7 gradients) and a sum; min(1, r) is written 1 - relu(1 - r),
// which is that without a min op. Each gradient is then multiplied by the factor; the fusion pass
// folds that multiply into an Adam update that reads the gradient (src/graph/fusion/update-grad-scale.ts).
import type { Tensor } from '../graph/tensor';
import { sumSquares } from '../ops/sum-squares';

export interface ClippedGradients {
  grads: Tensor[];
  /** The norm before clipping (a scalar), for reports. */
  norm: Tensor;
  /** The factor every gradient was multiplied by (a scalar): 1 where the norm is within maxNorm. */
  scale: Tensor;
}

export function clipGradNorm(grads: readonly Tensor[], maxNorm: number): ClippedGradients {
  if (!(maxNorm > 0)) throw new RangeError(`clip_grad_norm: maxNorm must be positive, got ${maxNorm}`);
  if (grads.length === 0) throw new RangeError('clip_grad_norm: no gradients');
  const g = grads[0]!.graph;
  const norm = g.pow(g.sum(sumSquares(grads)), 0.5);
  const scale = g.sub(1, g.relu(g.sub(1, g.div(maxNorm, g.add(norm, 1e-6)))));
  return { grads: grads.map((x) => g.mul(x, scale)), norm, scale };
}
