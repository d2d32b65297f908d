// A resumed run (`kiln train ... --resume DIR`) takes the settings of the run it continues: the run
// flags the checkpoint recorded replace the defaults, and a flag given now must agree with them.
import type { RunSettings } from '../train/training-state';
import type { ParsedOptions } from './args';

/** The run's settings as a checkpoint records them: each run flag's value, null where unset. */
export function runSettings(options: ParsedOptions, flags: readonly string[]): RunSettings {
  return Object.fromEntries(flags.map((flag) => [flag, options[flag] ?? null]));
}

/** `options` with the saved values of `flags`; an explicitly given flag that differs is an error naming the checkpoint. */
export function resumedOptions(
  options: ParsedOptions,
  explicit: ReadonlySet<string>,
  flags: readonly string[],
  saved: RunSettings,
  folder: string,
): ParsedOptions {
  for (const flag of flags) {
    if (explicit.has(flag) && (options[flag] ?? null) !== (saved[flag] ?? null)) {
      throw new Error(
        `--${flag} ${String(options[flag])} differs from the checkpoint's ${JSON.stringify(saved[flag] ?? null)} (${folder}); leave it out to continue the run as it was`,
      );
    }
  }
  return { ...options, ...Object.fromEntries(flags.map((flag) => [flag, saved[flag] ?? undefined])) };
}
