/** Property-based tests (fast-check) of flag parsing: any value of any flag is either accepted within its range or refused in one line naming the flag. */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { annotateSchema } from '../../src/config/explain.js';
import { parseFlags } from '../../src/config/flags.js';
import { liveFlagsSchema } from '../../src/config/live.js';
import { timelineOptionsSchema } from '../../src/config/timeline.js';
import { UsageError } from '../../src/errors.js';

/** What a user may type after a flag. */
const typed = fc.oneof(
  fc.string({ maxLength: 12 }),
  fc.double().map(String),
  fc.integer({ min: -1e6, max: 1e6 }).map(String),
  fc.constantFrom('', ' ', 'NaN', 'Infinity', '-0', '1e308', '0x10', '00:10:00', '1x1', '0.5x2', 'cuda', 'csv'),
);
const flagName = (key: string) => `--${key.replace(/[A-Z]/g, (c) => `-${c.toLowerCase()}`)}`;

describe.each([
  ['timeline', timelineOptionsSchema, {}],
  // annotate needs somewhere to write; the flag under test may replace it.
  ['annotate', annotateSchema, { output: 'frames/' }],
] as const)('%s flags', (_command, schema, base) => {
  const keys = Object.keys(schema.shape).filter((k) => !['camAlso', 'navFields'].includes(k));

  it('accepts a value or refuses it as a usage error naming that flag, in one line', () => {
    fc.assert(
      fc.property(fc.constantFrom(...keys), typed, (key, value) => {
        try {
          parseFlags(schema, { ...base, [key]: value });
        } catch (error) {
          expect(error).toBeInstanceOf(UsageError);
          const message = (error as Error).message;
          expect(message.startsWith(`${flagName(key)}: `), message).toBe(true);
          expect(message).not.toMatch(/\n/);
        }
      }),
      { numRuns: 400 },
    );
  });
});

describe('numeric flags from the command line', () => {
  it('are accepted within their range, or refused with the range and what arrived', () => {
    fc.assert(
      fc.property(typed, (value) => {
        const n = Number(value);
        try {
          const parsed = parseFlags(liveFlagsSchema, { port: value });
          expect(Number.isInteger(parsed.port) && parsed.port >= 0 && parsed.port <= 65_535).toBe(true);
        } catch (error) {
          expect(error).toBeInstanceOf(UsageError);
          expect((error as Error).message).toMatch(/^--port: /);
          if (value.trim() !== '' && Number.isFinite(n))
            expect((error as Error).message).toMatch(/^--port: must be an integer in 0\.\.65535, got '[^']+'$/);
        }
      }),
      { numRuns: 300 },
    );
  });
});
