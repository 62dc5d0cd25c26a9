/**
 * `rovlens report`: run files to one self-contained cruise page and its summary.csv. Checks the
 * outputs before reading anything (an output that is a run file would destroy it).
 */
import { accessSync, constants, mkdirSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import type { ReportOptions } from '../config/report.js';
import { ExitCode, OutputError, UsageError } from '../errors.js';
import { readRuns } from '../exports/run-file.js';
import { buildReport } from '../report/build.js';
import { reportRunOf, shellQuote } from '../report/from-runs.js';
import { writeOutputFile } from '../sinks/row-file.js';
import { timecode } from '../sinks/columns.js';
import { checkOutputPlan } from './output-plan.js';

export async function runReport(paths: readonly string[], options: ReportOptions): Promise<number> {
  const summaryPath = options.summary ?? join(dirname(options.output), 'summary.csv');
  if (resolve(summaryPath) === resolve(options.output)) throw new UsageError('--summary and --output must be different files');
  // An output that is one of the run files would destroy it: refused before reading.
  checkOutputPlan(
    paths.map((path) => ({ flag: 'run', path })),
    [
      { flag: '-o', path: options.output, kind: 'file' },
      { flag: '--summary', path: summaryPath, kind: 'file' },
    ],
  );
  const runs = paths.flatMap((path) => readRuns(path)).map((run) => reportRunOf(run, options.videos ?? []));
  for (const path of [options.output, summaryPath]) checkWritable(path);
  const built = await buildReport(runs, {
    ...(options.title === undefined ? {} : { title: options.title }),
    minSegmentSeconds: options.minSegment,
    galleryPerClass: options.gallery,
    thumbnailWidthPx: options.thumbnailWidth,
    thumbnails: options.thumbnails,
    commandLine: shellQuote(['rovlens', ...process.argv.slice(2)]),
  });
  for (const warning of built.warnings) process.stderr.write(`rovlens: warning: ${warning}\n`);
  writeOutputFile(options.output, built.html);
  writeOutputFile(summaryPath, built.csv);
  if (!options.quiet) {
    const { overall, videos } = built.summary;
    process.stderr.write(
      `${options.output}: ${videos.length} video${videos.length === 1 ? '' : 's'}, ${timecode(overall.seconds)} in ${overall.frames} frames, ` +
        `${(Buffer.byteLength(built.html) / 1024).toFixed(0)} KiB; ${summaryPath}\n`,
    );
  }
  return ExitCode.ok;
}

/** An output folder that cannot take the file is said before the thumbnails are made. */
function checkWritable(path: string): void {
  const folder = dirname(path);
  try {
    mkdirSync(folder, { recursive: true });
    accessSync(folder, constants.W_OK);
  } catch (error) {
    throw new OutputError(`cannot write ${path}: ${(error as NodeJS.ErrnoException).code ?? (error as Error).message}`);
  }
}
