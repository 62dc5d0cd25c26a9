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
