/**
 * How a failure reaches the user: a typed error becomes one line on stderr and its documented exit
 * code; anything else is an internal error (stack only with ROVLENS_DEBUG=1). Commands report what
 * they throw; runners report a failed input and go on with the next.
 */
import { ExitCode, RovlensError, oneLine } from '../errors.js';

export function reportError(error: unknown): number {
  if (error instanceof RovlensError) {
    process.stderr.write(`rovlens: ${oneLine(error)}\n`);
    return error.exitCode;
  }
  process.stderr.write(`rovlens: internal error: ${oneLine(error)}\n`);
  if (process.env.ROVLENS_DEBUG) process.stderr.write(`${(error as Error)?.stack ?? ''}\n`);
  return ExitCode.internal;
}
