/**
 * Every command's action goes through `runAction`: typed errors become one line on stderr and a
 * documented exit code; anything else is an internal error (stack only with ROVLENS_DEBUG=1).
 */
import { ExitCode } from '../errors.js';
import { reportError } from '../runners/report.js';
import { outputFailure } from '../sinks/partial-file.js';

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

/**
 * The reader of standard output went away (`rovlens timeline dive.mp4 | head`): stop as Ctrl-C does
 * (ffmpeg stopped, other outputs closed whole, exit 130) instead of dying on an unhandled EPIPE.
 * Standard output that cannot be written (a full disk, `> /dev/full`, an I/O error) stops the same
 * way, with one line; the returned function says whether it happened (the CLI then exits 6).
 */
export function watchStandardOutput(): () => boolean {
  let failed = false;
  process.stdout.on('error', (error: NodeJS.ErrnoException) => {
    if (error.code !== 'EPIPE' && !failed) {
      failed = true;
      process.stderr.write(`rovlens: ${outputFailure('standard output', error).message}\n`);
    }
    process.kill(process.pid, 'SIGTERM');
  });
  return () => failed;
}
