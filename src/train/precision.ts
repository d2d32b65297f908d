// The numeric precision a trainer builds its model's forward in (TrainerConfig.precision).
/**
 * How a model's forward computes: 'f32' throughout, or 'f16-mixed': its products (matmul, so every
 * Linear) read f16 casts of their operands and accumulate in f32, while the weights, the optimizer
 * state, the gradients and every other op stay f32 (see src/ops/matmul.ts).
 */
export type Precision = 'f32' | 'f16-mixed';

export const PRECISIONS: readonly Precision[] = ['f32', 'f16-mixed'];

/** The dtype a graph autocasts products to under `precision`. */
export const autocastFor = (precision: Precision | undefined): 'f16' | null => (precision === 'f16-mixed' ? 'f16' : null);

/** Refuses a precision that is not one of PRECISIONS, naming the choices. */
export function checkPrecision(precision: unknown): asserts precision is Precision | undefined {
  if (precision !== undefined && !PRECISIONS.includes(precision as Precision))
    throw new RangeError(`precision must be one of ${PRECISIONS.join(', ')}, got ${String(precision)}`);
}
