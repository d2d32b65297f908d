// The --precision flag of the training commands: its value as a Precision, and how the run's summary line says it.
import type { Precision } from '../train/precision';
import type { ParsedOptions } from './args';

/** The parsed --precision (its choices were checked by the parser): 'f32' unless given, or absent from a resumed run's settings. */
export const precisionOf = (options: ParsedOptions): Precision => (options['precision'] === 'f16-mixed' ? 'f16-mixed' : 'f32');

/** What the summary line adds for a precision other than the default. */
export const precisionNote = (precision: Precision): string => (precision === 'f32' ? '' : `, precision ${precision}`);
