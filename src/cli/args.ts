/** Argument parsing on node:util parseArgs, turning its exceptions into GEP_ERR_INVALID_INPUT (exit 2). */
import { parseArgs, type ParseArgsConfig } from 'node:util';
import { invalidInput } from '../core/errors.ts';

export function parse<T extends NonNullable<ParseArgsConfig['options']>>(
  args: string[],
  options: T,
  allowPositionals = true,
): { values: Record<string, string | boolean | string[] | undefined>; positionals: string[] } {
  try {
    const r = parseArgs({ args, options, allowPositionals, strict: true });
    return { values: r.values as Record<string, string | boolean | string[] | undefined>, positionals: r.positionals };
  } catch (e) {
    throw invalidInput((e as Error).message.replace(/^TypeError \[[A-Z_]+\]: /, ''));
  }
}

/** Parses an integer option within [min, max], naming the option in the error. */
export function intOption(name: string, value: unknown, dflt: number, min: number, max: number): number {
  if (value === undefined) return dflt;
  const n = Number(value);
  if (!Number.isInteger(n) || n < min || n > max)
    throw invalidInput(`--${name} must be an integer from ${min} to ${max}, got '${String(value)}'`);
  return n;
}
