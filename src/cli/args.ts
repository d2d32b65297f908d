// A small option parser: `--name value`, `--name=value` and boolean `--flag`; unknown options are
// errors that list the known ones, so a typo never silently falls back to a default.

export interface OptionSpec {
  type: 'string' | 'number' | 'boolean';
  default?: string | number | boolean;
  help: string;
}

export type ParsedOptions = Record<string, string | number | boolean | undefined>;

export class UsageError extends Error {
  override name = 'UsageError';
}

export function parseOptions(argv: readonly string[], specs: Record<string, OptionSpec>): { options: ParsedOptions; positional: string[] } {
  const options: ParsedOptions = {};
  const positional: string[] = [];
  for (const [name, spec] of Object.entries(specs)) options[name] = spec.default;
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i]!;
    if (!arg.startsWith('--')) {
      positional.push(arg);
      continue;
    }
    const [rawName, inline] = arg.slice(2).split(/=(.*)/s, 2) as [string, string | undefined];
    const spec = specs[rawName];
    if (!spec) throw new UsageError(`unknown option --${rawName} (options: ${Object.keys(specs).map((k) => `--${k}`).join(', ')})`);
    if (spec.type === 'boolean') {
      options[rawName] = inline === undefined ? true : !/^(false|0|no)$/i.test(inline);
      continue;
    }
    const value = inline ?? argv[++i];
    if (value === undefined) throw new UsageError(`--${rawName} needs a value`);
    if (spec.type === 'number') {
      const n = Number(value);
      if (value.trim() === '' || !Number.isFinite(n)) throw new UsageError(`--${rawName} must be a number, got '${value}'`);
      options[rawName] = n;
    } else {
      options[rawName] = value;
    }
  }
  return { options, positional };
}

export function optionHelp(specs: Record<string, OptionSpec>): string {
  return Object.entries(specs)
    .map(([name, s]) => `  --${name.padEnd(14)} ${s.help}${s.default !== undefined ? ` (default ${s.default})` : ''}`)
    .join('\n');
}

export function positiveInteger(name: string, value: unknown): number {
  if (typeof value !== 'number' || !Number.isInteger(value) || value < 1) throw new UsageError(`--${name} must be a positive integer, got ${String(value)}`);
  return value;
}
