/** Command-line flags validated by a command's zod schema: one place turns a bad value into a UsageError. */
import type { z } from 'zod';
import { UsageError } from '../errors.js';

/** Validates parsed flags against a schema; the error names the flag and what was expected. */
export function parseFlags<S extends z.ZodType>(schema: S, raw: Record<string, unknown>): z.infer<S> {
  const parsed = schema.safeParse(raw);
  if (!parsed.success) {
    const issue = parsed.error.issues[0]!;
    const flag = issue.path.length ? `--${String(issue.path[0]).replace(/[A-Z]/g, (c) => `-${c.toLowerCase()}`)}` : 'options';
    throw new UsageError(`${flag}: ${issue.message}`);
  }
  return parsed.data;
}
