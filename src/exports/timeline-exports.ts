/**
 * `rovlens timeline --export <format>:<file>`: the run's results kept as they pass (one small record
 * per sampled frame) and exported when the run ends, also when it is interrupted, so no second
 * command is needed.
 */
import { tap, type MonoTypeOperatorFunction } from 'rxjs';
import type { ExportTarget } from '../config/export.js';
import { resultRecord } from '../sinks/timeline.js';
import type { FrameResult } from '../types.js';
import { exportRuns } from './export.js';
import { toRun, type RunHeader } from './run-file.js';

export class TimelineExports {
  private header: RunHeader | undefined;
  private readonly records: unknown[] = [];

  constructor(
    private readonly targets: readonly ExportTarget[],
    private readonly ifdoHeader?: string,
  ) {}

  /** Adds the inputs of one part of the run (a run into a folder writes one file per input). */
  addHeader(header: RunHeader): void {
    if (!this.header) this.header = header;
    else this.header = { ...this.header, inputs: [...this.header.inputs, ...header.inputs] };
  }

  collect(): MonoTypeOperatorFunction<FrameResult> {
    return tap((result) => this.records.push(JSON.parse(JSON.stringify(resultRecord(result)))));
  }

  /** Writes every export; returns the files written. */
  async write(): Promise<string[]> {
    if (!this.header || !this.records.length) return [];
    const run = toRun('this run', this.header, this.records);
    const written: string[] = [];
    for (const target of this.targets) written.push(...(await exportRuns([run], { format: target.format, output: target.path, ifdoHeader: this.ifdoHeader })));
    return written;
  }
}
