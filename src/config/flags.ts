/**
 * The one parse path for command-line flags: flags as commander gives them (strings, booleans; absent
 * ones left out) -> a command's validated options, any schema error -> `--flag: message` (exit 2).
 * With the schema readers the flag generator (src/commands/options.ts) and the README tables use.
 */
import { z } from 'zod';
import { UsageError } from '../errors.js';

/** A flag taking a comma-separated list ('a, b,c' -> ['a', 'b', 'c']; empty items dropped). */
export const commaListSchema = z
  .string()
  .transform((s) =>
    s
      .split(',')
      .map((item) => item.trim())
      .filter(Boolean),
  );

/** `inputSizePx` -> `--input-size-px`. */
export const flagName = (key: string): string => `--${key.replace(/[A-Z]/g, (c) => `-${c.toLowerCase()}`)}`;

/** The type inside optional / default / nullable / pipe wrappers. */
function innerType(type: z.ZodType): z.ZodType {
  let t = type;
  for (;;) {
    if (t instanceof z.ZodOptional || t instanceof z.ZodDefault || t instanceof z.ZodNullable) t = t.unwrap() as z.ZodType;
    else if (t instanceof z.ZodPipe) t = t.in as z.ZodType;
    else return t;
  }
}

/** The field's default, when it has one. */
export function defaultOf(type: z.ZodType): unknown {
  let t = type;
  while (t instanceof z.ZodOptional || t instanceof z.ZodNullable) t = t.unwrap() as z.ZodType;
  return t instanceof z.ZodDefault ? (t.def.defaultValue as unknown) : undefined;
}

/** The field's choices, when it is an enum. */
export function choicesOf(type: z.ZodType): string[] | undefined {
  const inner = innerType(type);
  return inner instanceof z.ZodEnum ? (inner.options as string[]).map(String) : undefined;
}

/** The field takes a list (a flag given several times, or one with several values). */
export function isList(type: z.ZodType): boolean {
  return innerType(type) instanceof z.ZodArray;
}

export function isNumeric(type: z.ZodType): boolean {
  const inner = innerType(type);
  return inner instanceof z.ZodNumber || (inner instanceof z.ZodArray && innerType(inner.element as z.ZodType) instanceof z.ZodNumber);
}

/**
 * The one parse path: flags as commander gives them (strings, booleans; absent ones left out) ->
 * the schema's options. Numbers given as text are read as numbers where the schema wants numbers;
 * the first error becomes a usage error naming the flag.
 */
export function parseFlags<S extends z.ZodType>(schema: S, raw: Record<string, unknown>): z.infer<S> {
  const shape = (schema instanceof z.ZodObject ? schema.shape : objectShape(schema)) as Record<string, z.ZodType> | undefined;
  const values: Record<string, unknown> = {};
  for (const [key, value] of Object.entries(raw)) {
    if (value === undefined) continue;
    const field = shape?.[key];
    values[key] = field && isNumeric(field) ? readNumbers(value) : value;
  }
  const parsed = schema.safeParse(values);
  if (!parsed.success) throw usageError(parsed.error, values, shape);
  return parsed.data;
}

/**
 * A schema error as the one-line usage error every command gives: `--flag: message`. Numbers and
 * choices say what was expected and what arrived, as `--port: must be an integer in 0..65535, got '70000'`.
 */
export function usageError(error: z.ZodError, raw: Record<string, unknown> = {}, shape?: Record<string, z.ZodType>): UsageError {
  const issue = error.issues[0]!;
  if (!issue.path.length) return new UsageError(`options: ${issue.message}`);
  const key = String(issue.path[0]);
  const field = shape?.[key];
  const given = raw[key];
  // A required flag left out: say so, with its choices when it has them.
  if (field && issue.path.length === 1 && given === undefined && (issue.code === 'invalid_type' || issue.code === 'invalid_value')) {
    const choices = expectedValue(field);
    return new UsageError(`${flagName(key)}: required${choices ? ` (${choices})` : ''}`);
  }
  const expected = field && issue.path.length === 1 && given !== undefined ? expectedValue(field) : undefined;
  const message = expected && ['too_big', 'too_small', 'invalid_type', 'invalid_value', 'not_multiple_of'].includes(issue.code)
    ? `must be ${expected}, got '${Array.isArray(given) ? given.join(' ') : String(given)}'`
    : issue.message;
  return new UsageError(`${flagName(key)}: ${message}`);
}

/** 'an integer in 0..65535', 'a number above 0 and at most 1', 'one of csv, jsonl'; undefined for other types. */
function expectedValue(field: z.ZodType): string | undefined {
  const inner = innerType(field);
  if (inner instanceof z.ZodEnum) return `one of ${(inner.options as unknown[]).join(', ')}`;
  if (!(inner instanceof z.ZodNumber)) return undefined;
  const json = z.toJSONSchema(inner) as { type: string; minimum?: number; maximum?: number; exclusiveMinimum?: number; exclusiveMaximum?: number };
  const kind = json.type === 'integer' ? 'an integer' : 'a number';
  const bounded = (n: number | undefined) => (n !== undefined && Math.abs(n) < Number.MAX_SAFE_INTEGER ? n : undefined);
  const [min, max] = [bounded(json.minimum), bounded(json.maximum)];
  const [above, below] = [bounded(json.exclusiveMinimum), bounded(json.exclusiveMaximum)];
  if (min !== undefined && max !== undefined) return `${kind} in ${min}..${max}`;
  const bounds = [
    min !== undefined ? `at least ${min}` : above !== undefined ? `above ${above}` : undefined,
    max !== undefined ? `at most ${max}` : below !== undefined ? `below ${below}` : undefined,
  ].filter(Boolean);
  return bounds.length ? `${kind} ${bounds.join(' and ')}` : kind;
}

function readNumbers(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(readNumbers);
  if (typeof value !== 'string' || value.trim() === '') return value;
  const n = Number(value);
  return Number.isNaN(n) ? value : n;
}

/** The object under refinements (`.refine` keeps the object as the pipe's input in zod 4). */
function objectShape(schema: z.ZodType): Record<string, z.ZodType> | undefined {
  let t: z.ZodType = schema;
  while (t instanceof z.ZodPipe) t = t.in as z.ZodType;
  return t instanceof z.ZodObject ? (t.shape as Record<string, z.ZodType>) : undefined;
}
