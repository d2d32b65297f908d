// In-place ops (optimizer updates, counters, accumulators) write their inputs and produce no value.
import type { TensorMeta } from './op';

/** What an in-place op "returns": nothing is stored, so a scalar placeholder. */
export const NO_VALUE: TensorMeta = { shape: [], dtype: 'f32' };
