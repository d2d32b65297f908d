// Gradient clipping by global norm, as torch.nn.utils.clip_grad_norm_: every gradient scaled by
// min(1, maxNorm / ‖g‖) with ‖g‖ the 2-norm of all of them together. Graph ops: a sum of squares per
// gradient, their total, and one scale that each update's input is multiplied by; min(1, c / n) is
// written c / (c + relu(n - c)), which is that without a min op.
import type { Tensor } from '../graph/tensor';

export interface ClippedGradients {
  grads: Tensor[];
  /** The norm before clipping (a scalar), for reports. */
  norm: Tensor;
}

export function clipGradNorm(grads: readonly Tensor[], maxNorm: number): ClippedGradients {
  if (!(maxNorm > 0)) throw new RangeError(`clip_grad_norm: maxNorm must be positive, got ${maxNorm}`);
  if (grads.length === 0) throw new RangeError('clip_grad_norm: no gradients');
  const g = grads[0]!.graph;
  const squares = grads.map((x) => g.sum(g.square(x)));
  const total = squares.slice(1).reduce((acc, s) => g.add(acc, s), squares[0]!);
  const norm = g.pow(total, 0.5);
  const scale = g.div(maxNorm, g.add(g.relu(g.sub(norm, maxNorm)), maxNorm));
  return { grads: grads.map((x) => g.mul(x, scale)), norm };
}
