/**
 * An output file written under a temporary name beside its target and renamed over it when complete,
 * so a failed or killed run never leaves an existing file half-replaced. Write failures become one
 * line with exit 6 (`cannot write x.csv: no space left on the device (ENOSPC)`), never a stack trace.
 */
import { renameSync, rmSync, statSync } from 'node:fs';
import { basename, dirname, extname, join } from 'node:path';
import { OutputError } from '../errors.js';


/**
 * An output file written under a temporary name beside the target (same folder, so the rename is
 * atomic; same extension, so ffmpeg picks the same muxer). `commit` renames it over the target;
 * `discard` removes it and leaves the target as it was. Devices and pipes are written in place.
 */
export class PartialFile {
  /** The path to write to now. */
  readonly writePath: string;
  private done = false;

  constructor(readonly path: string) {
    let stats;
    try {
      stats = statSync(path);
    } catch {
      stats = undefined;
    }
    if (stats && !stats.isFile()) {
      this.writePath = path;
      this.done = true;
      return;
    }
    const ext = extname(path);
    // A run that dies without closing (killed, a crash) leaves this hidden file, rows and all, and the
    // target untouched.
    this.writePath = join(dirname(path), `.${basename(path, ext)}.partial-${process.pid}${ext}`);
  }

  commit(): void {
    if (this.done) return;
    this.done = true;
    try {
      renameSync(this.writePath, this.path);
    } catch (error) {
      rmSync(this.writePath, { force: true });
      throw outputFailure(this.path, error);
    }
  }

  discard(): void {
    if (this.done) return;
    this.done = true;
    rmSync(this.writePath, { force: true });
  }
}

const ERRNO_WORDS: Record<string, string> = {
  ENOSPC: 'no space left on the device',
  EDQUOT: 'disk quota exceeded',
  EIO: 'input/output error on the device',
  EPIPE: 'the reader went away',
  EACCES: 'permission denied',
  EPERM: 'permission denied',
  EROFS: 'read-only file system',
  ENOTDIR: 'a parent is a file, not a folder',
  EISDIR: 'it is a folder',
  EFBIG: 'the file is too large for the file system',
};

/** A write failure as one line with exit 6: `cannot write x.csv: no space left on the device (ENOSPC)`. */
export function outputFailure(path: string, error: unknown): OutputError {
  if (error instanceof OutputError) return error;
  const code = (error as NodeJS.ErrnoException)?.code;
  const words = code && ERRNO_WORDS[code] ? `${ERRNO_WORDS[code]} (${code})` : (code ?? (error as Error)?.message ?? String(error));
  return new OutputError(`cannot write ${path}: ${words}`);
}
