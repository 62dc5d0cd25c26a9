/**
 * `rovlens report <runs...>`: the page a PI reads, and summary.csv, from the run files of
 * `rovlens timeline --format jsonl`. Thin: parse, read the runs, build, write, report.
 */
import { accessSync, constants, mkdirSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import type { Command } from 'commander';
import { parseFlags } from '../config/flags.js';
import { reportOptionsSchema, type ReportOptions } from '../config/report.js';
import { ExitCode, OutputError, UsageError } from '../errors.js';
import { readRuns } from '../exports/run-file.js';
import { buildReport } from '../report/build.js';
import { reportRunOf, shellQuote } from '../report/from-runs.js';
import { writeOutputFile } from '../sinks/row-file.js';
import { timecode } from '../sinks/columns.js';
import { checkOutputPlan } from '../runners/output-plan.js';
import { runAction } from './action.js';
import { addSchemaOptions, givenFlags, type FlagTable } from './options.js';

/** Each option's flag; its help, default and check come from reportOptionsSchema. */
const FLAGS: FlagTable<typeof reportOptionsSchema> = {
  output: '-o, --output <file>',
  summary: '--summary <file>',
  title: '--title <text>',
  videos: '--videos <folders>',
  minSegment: '--min-segment <seconds>',
  gallery: '--gallery <n>',
  thumbnailWidth: '--thumbnail-width <px>',
  thumbnails: '--no-thumbnails',
  quiet: '-q, --quiet',
};

export function register(program: Command): void {
  const command = program
    .command('report')
    .description('one self-contained page (and summary.csv) of what a dive or a cruise saw, from timeline runs')
    .argument('<runs...>', "run files of 'rovlens timeline --format jsonl', or folders of them");
  addSchemaOptions(command, reportOptionsSchema, FLAGS)
    .addHelpText(
      'after',
      `
Examples:
  rovlens timeline dive.mp4 --format jsonl -o dive.jsonl && rovlens report dive.jsonl -o dive.html
  rovlens report runs/ -o cruise.html --title 'Cruise 2026-05'     # every *.jsonl in runs/; summary.csv beside it
  rovlens report dive.jsonl -o dive.html --videos /media/disk2/dives   # the videos moved since the run

Exit codes: 0 ok (also when a video is missing: its thumbnails are left out, with a warning), 2 usage,
3 run file missing, 4 not a run file or one from an older rovlens, 6 output.`,
    )
    .action(
      runAction(async (runs: string[], _flags: unknown, self: Command) => runReport(runs, parseFlags(reportOptionsSchema, givenFlags(self)))),
    );
}

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
