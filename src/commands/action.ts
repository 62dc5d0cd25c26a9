/**
 * Every command's action goes through `runAction`: typed errors become one line on stderr and a
 * documented exit code; anything else is an internal error (stack only with ROVLENS_DEBUG=1).
 */
import { ExitCode } from '../errors.js';
import { reportError } from '../runners/report.js';

export { reportError };

export function runAction<A extends unknown[]>(fn: (...args: A) => Promise<number | void>): (...args: A) => Promise<void> {
  return async (...args: A) => {
    try {
      const code = await fn(...args);
      process.exitCode = code ?? ExitCode.ok;
    } catch (error) {
      process.exitCode = reportError(error);
    }
  };
}

/** Parses a number option with a range, for commander's argParser. */
export function numberOption(name: string, { min = -Infinity, max = Infinity, integer = false } = {}) {
  return (value: string): number => {
    const n = Number(value);
    if (!Number.isFinite(n) || n < min || n > max || (integer && !Number.isInteger(n))) {
      const range = `${Number.isFinite(min) ? min : '-inf'}..${Number.isFinite(max) ? max : 'inf'}`;
      throw new (class extends Error {
        code = 'commander.invalidArgument';
      })(`${name} must be ${integer ? 'an integer' : 'a number'} in ${range}, got '${value}'`);
    }
    return n;
  };
}
