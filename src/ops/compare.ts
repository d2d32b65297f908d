// Comparisons as masks, as torch.gt, ge, lt, le and ne: 1 where the relation holds, else 0, with
// broadcasting; masks for where() and maskedFill(). Not differentiable. (equal is src/ops/equal.ts,
// which max's gradient uses.) Each is the elementwise map with shaders/compare.wgsl's relation.
import template from '../../shaders/compare.wgsl';
import type { Tensor } from '../graph/tensor';
import { defineElementwise } from './elementwise';
import type { OpDef } from './op';
import { opMethod, type OpCase, type OpMethod } from './op-method';
import { binary } from './scalar-operand';

function comparison(name: string, relation: string, cpu: (a: number, b: number) => boolean): OpDef {
  return defineElementwise({
    name,
    arity: 2,
    snippet: template.replace('{{CMP}}', relation),
    cpu: (a, b) => (cpu(a, b) ? 1 : 0),
    grad: () => [null, null],
  });
}

export const greaterOp = comparison('greater', '>', (a, b) => a > b);
export const greaterEqualOp = comparison('greater_equal', '>=', (a, b) => a >= b);
export const lessOp = comparison('less', '<', (a, b) => a < b);
export const lessEqualOp = comparison('less_equal', '<=', (a, b) => a <= b);
export const notEqualOp = comparison('not_equal', '!=', (a, b) => a !== b);

/** 1 where a > b, else 0, as torch.gt. */
export const gt = (a: Tensor | number, b: Tensor | number): Tensor<'f32'> => binary(greaterOp, a, b);
/** 1 where a >= b, else 0, as torch.ge. */
export const ge = (a: Tensor | number, b: Tensor | number): Tensor<'f32'> => binary(greaterEqualOp, a, b);
/** 1 where a < b, else 0, as torch.lt. */
export const lt = (a: Tensor | number, b: Tensor | number): Tensor<'f32'> => binary(lessOp, a, b);
/** 1 where a <= b, else 0, as torch.le. */
export const le = (a: Tensor | number, b: Tensor | number): Tensor<'f32'> => binary(lessEqualOp, a, b);
/** 1 where a != b, else 0, as torch.ne. */
export const ne = (a: Tensor | number, b: Tensor | number): Tensor<'f32'> => binary(notEqualOp, a, b);

type Compare = typeof gt;

/** Ties included (equal elements are where > and >= differ), broadcast against a row. */
const cases: readonly OpCase<Parameters<Compare>>[] = [
  {
    label: 'ties and differences, broadcast',
    operands: [
      { shape: [2, 3], data: [1, 2, 3, 3, 2, 1] },
      { shape: [3], data: [1, 5, 2] },
    ],
    args: (a, b) => [a, b],
    gradient: false,
  },
  { label: 'against a number', operands: [{ shape: [6], data: [-1, 0, 0.5, 1, 2, 0] }], args: (a) => [a, 0.5], gradient: false },
];

export const gtMethod: OpMethod<Compare, 'derived'> = opMethod(gt, { cases });
export const geMethod: OpMethod<Compare, 'derived'> = opMethod(ge, { cases });
export const ltMethod: OpMethod<Compare, 'derived'> = opMethod(lt, { cases });
export const leMethod: OpMethod<Compare, 'derived'> = opMethod(le, { cases });
export const neMethod: OpMethod<Compare, 'derived'> = opMethod(ne, { cases });
