// A small option parser: `--name value`, `--name=value` and boolean `--flag`. Every value is checked
// here, against its spec, before a command opens a device or reads data: a bad value is a usage
// error (exit code 2) that names the flag, and an unknown option lists the known ones, so a typo
// never silently falls back to a default.
import { accessSync, constants, statSync } from 'node:fs';
import { dirname, resolve } from 'node:path';

interface Spec<T> {
  default?: T;
  help: string;
}

export type OptionSpec =
  | (Spec<string> & {
      type: 'string';
      /** The only values allowed. */
      choices?: readonly string[];
      /** A file the command will write: its folder must exist and be writable, and the path must be a regular file or absent. */
      output?: boolean;
      /** A folder the command will write into: it must be a writable folder, or absent with a writable parent. */
      outputFolder?: boolean;
      /** The command cannot run without it; `why` completes "kiln X needs --name VALUE". */
      required?: string;
    })
  | (Spec<number> & {
      type: 'number';
      integer?: boolean;
      /** Inclusive bounds; `above` is an exclusive lower bound. */
      min?: number;
      max?: number;
      above?: number;
      below?: number;
    })
  | (Spec<boolean> & { type: 'boolean' });

export type ParsedOptions = Record<string, string | number | boolean | undefined>;

export class UsageError extends Error {
  override name = 'UsageError';
}

/** Short forms: `-h` is `--help`. */
const SHORT: Record<string, string> = { '-h': '--help' };

export function parseOptions(argv: readonly string[], specs: Record<string, OptionSpec>): { options: ParsedOptions; positional: string[]; given: Set<string> } {
  const options: ParsedOptions = {};
  const positional: string[] = [];
  /** The options the command line set (the rest have their defaults). */
  const given = new Set<string>();
  for (const [name, spec] of Object.entries(specs)) options[name] = spec.default;
  for (let i = 0; i < argv.length; i++) {
    const arg = SHORT[argv[i]!] ?? argv[i]!;
    if (!arg.startsWith('--')) {
      positional.push(arg);
      continue;
    }
    const [rawName, inline] = arg.slice(2).split(/=(.*)/s, 2) as [string, string | undefined];
    const spec = specs[rawName];
    if (!spec)
      throw new UsageError(
        `unknown option --${rawName} (options: ${Object.keys(specs)
          .map((k) => `--${k}`)
          .join(', ')})`,
      );
    given.add(rawName);
    if (spec.type === 'boolean') {
      options[rawName] = inline === undefined ? true : !/^(false|0|no)$/i.test(inline);
      continue;
    }
    const value = inline ?? argv[++i];
    if (value === undefined) throw new UsageError(`--${rawName} needs a value`);
    options[rawName] = spec.type === 'number' ? checkNumber(rawName, spec, value) : checkString(rawName, spec, value);
  }
  for (const [name, spec] of Object.entries(specs)) {
    if (spec.type === 'string' && spec.required && options[name] === undefined && options['help'] !== true)
      throw new UsageError(`--${name} is required: ${spec.required}`);
  }
  return { options, positional, given };
}

function checkNumber(name: string, spec: Extract<OptionSpec, { type: 'number' }>, value: string): number {
  const n = Number(value);
  if (value.trim() === '' || !Number.isFinite(n)) throw new UsageError(`--${name} must be a number, got '${value}'`);
  const ok =
    (!spec.integer || Number.isInteger(n)) &&
    n >= (spec.min ?? -Infinity) &&
    n <= (spec.max ?? Infinity) &&
    n > (spec.above ?? -Infinity) &&
    n < (spec.below ?? Infinity);
  if (!ok) throw new UsageError(`--${name} must be ${describeNumber(spec)}, got ${value}`);
  return n;
}

/** "a positive integer", "a number above 0", "an integer in [0, 4294967295]", "a number in [0, 1)". */
function describeNumber(spec: Extract<OptionSpec, { type: 'number' }>): string {
  const kind = spec.integer ? 'integer' : 'number';
  const lo = spec.min !== undefined ? `[${spec.min}` : spec.above !== undefined ? `(${spec.above}` : null;
  const hi = spec.max !== undefined ? `${spec.max}]` : spec.below !== undefined ? `${spec.below})` : null;
  if (spec.integer && spec.min === 1 && hi === null) return 'a positive integer';
  if (spec.integer && spec.min === 0 && hi === null) return 'a whole number (0 or more)';
  if (lo && hi) return `${spec.integer ? 'an' : 'a'} ${kind} in ${lo}, ${hi}`;
  if (lo) return `${spec.integer ? 'an' : 'a'} ${kind} ${spec.min !== undefined ? 'of at least' : 'above'} ${spec.min ?? spec.above}`;
  if (hi) return `${spec.integer ? 'an' : 'a'} ${kind} ${spec.max !== undefined ? 'of at most' : 'below'} ${spec.max ?? spec.below}`;
  return `${spec.integer ? 'an' : 'a'} ${kind}`;
}

function checkString(name: string, spec: Extract<OptionSpec, { type: 'string' }>, value: string): string {
  if (spec.choices && !spec.choices.includes(value)) throw new UsageError(`--${name} must be one of ${spec.choices.join(', ')}, got '${value}'`);
  if (spec.output) checkOutputPath(name, value);
  if (spec.outputFolder) checkOutputFolder(name, value);
  return value;
}

/** The path's stat, or null where nothing is there (or it cannot be seen). */
function statOrNull(path: string): ReturnType<typeof statSync> | null {
  try {
    return statSync(path);
  } catch {
    return null;
  }
}

function writable(path: string): boolean {
  try {
    accessSync(path, constants.W_OK);
    return true;
  } catch {
    return false;
  }
}

/**
 * A file that will be written at the end of a long run is checked at its start: its folder exists
 * and is writable, and the path is absent or a regular file (never a device node or a folder).
 */
export function checkOutputPath(name: string, path: string): void {
  if (path === '') throw new UsageError(`--${name} needs a file name`);
  const full = resolve(path);
  const existing = statOrNull(full);
  if (existing && !existing.isFile()) throw new UsageError(`--${name} ${path}: exists and is not a regular file; refusing to replace it`);
  const folder = statOrNull(dirname(full));
  if (!folder) throw new UsageError(`--${name} ${path}: folder ${dirname(path)} does not exist`);
  if (!folder.isDirectory()) throw new UsageError(`--${name} ${path}: ${dirname(path)} is not a folder`);
  if (!writable(dirname(full)) || (existing && !writable(full)))
    throw new UsageError(`--${name} ${path}: ${existing ? 'the file' : `folder ${dirname(path)}`} is not writable`);
}

/** A folder to write into: an existing writable folder, or a new one whose parent is a writable folder. */
export function checkOutputFolder(name: string, path: string): void {
  const full = resolve(path);
  const existing = statOrNull(full);
  if (existing) {
    if (!existing.isDirectory()) throw new UsageError(`--${name} ${path}: exists and is not a folder`);
    if (!writable(full)) throw new UsageError(`--${name} ${path}: the folder is not writable`);
    return;
  }
  const parent = statOrNull(dirname(full));
  if (!parent) throw new UsageError(`--${name} ${path}: folder ${dirname(path)} does not exist`);
  if (!parent.isDirectory() || !writable(dirname(full))) throw new UsageError(`--${name} ${path}: cannot create it in ${dirname(path)}`);
}

export function optionHelp(specs: Record<string, OptionSpec>): string {
  return Object.entries(specs)
    .map(([name, s]) => `  --${name.padEnd(14)} ${s.help}${s.default !== undefined ? ` (default ${s.default})` : ''}`)
    .join('\n');
}

/** Integer options that count something (epochs, images, steps). */
export const COUNT = { type: 'number', integer: true, min: 1 } as const;
