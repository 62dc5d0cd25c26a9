/**
 * An output file written row by row with synchronous writes: each row reaches the file whole as soon
 * as it is produced, so a run that is interrupted or fails part-way leaves a parseable file with every
 * row processed so far, and a 3-hour mission never sits in memory.
 */
import { closeSync, mkdirSync, openSync, writeFileSync, writeSync } from 'node:fs';
import { dirname } from 'node:path';
import { OutputError } from '../errors.js';

export class RowFile {
  private fd: number | undefined;

  private constructor(
    readonly path: string,
    fd: number | undefined,
    private readonly stream?: NodeJS.WriteStream,
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
    try {
      mkdirSync(dirname(path), { recursive: true });
      fd = openSync(path, 'w');
    } catch (error) {
      throw new OutputError(`cannot write ${path}: ${(error as NodeJS.ErrnoException).code ?? (error as Error).message}`);
    }
    const file = new RowFile(path, fd);
    if (header) file.write(header);
    return file;
  }

  write(text: string): void {
    if (this.stream) {
      this.stream.write(text);
      return;
    }
    if (this.fd === undefined) throw new OutputError(`${this.path} is already closed`);
    writeSync(this.fd, text);
  }

  close(): void {
    if (this.fd === undefined) return;
    closeSync(this.fd);
    this.fd = undefined;
  }
}

/** A whole output file (a contact sheet, a JPEG) at once; a failure is an OutputError naming the path. */
export function writeOutputFile(path: string, data: Uint8Array | string): void {
  try {
    writeFileSync(path, data);
  } catch (error) {
    throw new OutputError(`cannot write ${path}: ${(error as NodeJS.ErrnoException).code ?? (error as Error).message}`);
  }
}
