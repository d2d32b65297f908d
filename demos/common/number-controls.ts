// Reading and filling the number fields of a page's controls, with errors that name the field, so a
// typo shows as a message rather than a run with NaN settings.
import { $ } from './page';

export const inputById = (id: string): HTMLInputElement => $(id) as HTMLInputElement;

export function setNumber(id: string, value: number): void {
  inputById(id).value = String(value);
}

/** An integer of at least `min` from the field `id`; `label` names it in the error. */
export function readInteger(id: string, label: string, min = 1): number {
  const raw = inputById(id).value;
  const v = Number(raw);
  if (raw.trim() === '' || !Number.isInteger(v) || v < min) throw new RangeError(`${label} must be an integer of at least ${min}, got '${raw}'`);
  return v;
}

/** A finite number above 0 from the field `id`. */
export function readPositive(id: string, label: string): number {
  const raw = inputById(id).value;
  const v = Number(raw);
  if (raw.trim() === '' || !(v > 0 && Number.isFinite(v))) throw new RangeError(`${label} must be a positive number, got '${raw}'`);
  return v;
}
