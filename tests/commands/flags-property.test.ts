/** Property-based tests (fast-check) of flag parsing: any value of any flag is either accepted within its range or refused in one line naming the flag. */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { numberOption } from '../../src/commands/action.js';
import { annotateSchema } from '../../src/config/explain.js';
import { parseFlags } from '../../src/config/flags.js';
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

describe('numberOption', () => {
  it('returns a number within the range or refuses with the range in the message', () => {
    fc.assert(
      fc.property(typed, fc.integer({ min: -100, max: 100 }), fc.integer({ min: 0, max: 100 }), fc.boolean(), (value, min, span, integer) => {
        const parse = numberOption('--n', { min, max: min + span, integer });
        try {
          const n = parse(value);
          expect(n >= min && n <= min + span).toBe(true);
          if (integer) expect(Number.isInteger(n)).toBe(true);
        } catch (error) {
          expect((error as Error).message).toMatch(new RegExp(`^--n must be ${integer ? 'an integer' : 'a number'} in ${min}\\.\\.${min + span}, got '`));
        }
      }),
    );
  });
});
