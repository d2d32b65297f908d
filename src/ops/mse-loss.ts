// mse_loss(pred, target) = mean((pred - target)^2) over all elements, as torch.nn.functional.mse_loss.
// The shapes must match exactly: PyTorch only warns when [64, 1] meets [64] and then broadcasts to
// [64, 64], a silent bug in a regression loop, so Kiln refuses.
import { fmt, sameShape, ShapeError } from '../graph/shape';
import type { Tensor } from '../graph/tensor';
import { mean } from './mean';
import { square } from './pow';
import { sub } from './sub';
import { opMethod, type OpMethod } from './op-method';

export function mseLoss(pred: Tensor, target: Tensor): Tensor<'f32'> {
  if (!sameShape(pred.shape, target.shape)) throw new ShapeError(`mse_loss: prediction ${fmt(pred.shape)} and target ${fmt(target.shape)} differ`);
  if (pred.dtype !== 'f32' || target.dtype !== 'f32')
    throw new ShapeError(`mse_loss: prediction and target must be f32, got ${pred.dtype} and ${target.dtype}`);
  return mean(square(sub(pred, target)));
}

export const mseLossMethod: OpMethod<typeof mseLoss> = opMethod(mseLoss, {
  cases: [{ label: 'a batch of 5 by 3', operands: [{ shape: [5, 3] }, { shape: [5, 3] }], args: (p, t) => [p, t] }],
  eager: { functional: 'mseLoss' },
});
