// Helpers for in-place ops (optimizer updates, counters, accumulators): they produce no value, and
// their dispatch count is a flat range over input 0.
import type { TensorMeta } from './op';

/** What an in-place op "returns": nothing is stored, so a scalar placeholder. */
export const NO_VALUE: TensorMeta = { shape: [], dtype: 'f32' };
