/**
 * An output file written row by row with synchronous writes: each row reaches the file whole as soon
 * as it is produced, so a run that is interrupted or fails part-way leaves a parseable file with every
 * row processed so far, and a 3-hour mission never sits in memory. The rows go to a partial file beside
 * the target, renamed over it on close: an existing file is replaced whole or not at all.
 */
import { closeSync, mkdirSync, openSync, writeFileSync, writeSync } from 'node:fs';
import { dirname } from 'node:path';
import { OutputError } from '../errors.js';
import { outputFailure, PartialFile } from './partial-file.js';

export class RowFile {
  private fd: number | undefined;

  private constructor(
    readonly path: string,
    fd: number | undefined,
    private readonly stream?: NodeJS.WriteStream,
    private readonly partial?: PartialFile,
  ) {
    this.fd = fd;
  }

  /**
   * Rows to standard output. Through the stream, not the file descriptor: stdout may be a pipe or a
   * socket in non-blocking mode, and Node flushes the stream before the process exits.
   */
  static stdout(header?: string): RowFile {
    const file = new RowFile('stdout', undefined, process.stdout);
    if (header) file.write(header);
    return file;
  }

  static open(path: string, header?: string): RowFile {
    let fd: number;
    let partial: PartialFile;
    try {
      mkdirSync(dirname(path), { recursive: true });
      partial = new PartialFile(path);
      fd = openSync(partial.writePath, 'w');
    } catch (error) {
      throw outputFailure(path, error);
    }
    const file = new RowFile(path, fd, undefined, partial);
    if (header) file.write(header);
    return file;
  }

  /** A failed write (full disk, I/O error) throws an OutputError and leaves the target as it was. */
  write(text: string): void {
    if (this.stream) {
      this.stream.write(text);
      return;
    }
    if (this.fd === undefined) throw new OutputError(`${this.path} is already closed`);
    try {
      writeSync(this.fd, text);
    } catch (error) {
      this.discard();
      throw outputFailure(this.path, error);
    }
  }

  /** Finishes the file: the rows so far replace the target. */
  close(): void {
    if (this.fd === undefined) return;
    const fd = this.fd;
    this.fd = undefined;
    try {
      closeSync(fd);
    } catch (error) {
      this.partial?.discard();
      throw outputFailure(this.path, error);
    }
    this.partial?.commit();
  }

  /** Stops without replacing the target (after a write failure). */
  discard(): void {
    if (this.fd !== undefined) {
      try {
        closeSync(this.fd);
      } catch {
        // Already failing: the first error is the one reported.
      }
      this.fd = undefined;
    }
    this.partial?.discard();
  }
}

/** A whole output file (a contact sheet, a JPEG) at once; a failure is an OutputError naming the path. */
export function writeOutputFile(path: string, data: Uint8Array | string): void {
  let partial: PartialFile | undefined;
  try {
    mkdirSync(dirname(path), { recursive: true });
    partial = new PartialFile(path);
    writeFileSync(partial.writePath, data);
  } catch (error) {
    partial?.discard();
    throw outputFailure(path, error);
  }
  partial.commit();
}
