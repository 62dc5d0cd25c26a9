/**
 * `rovlens report <runs...>`: the page a PI reads, and summary.csv, from the run files of
 * `rovlens timeline --format jsonl`. Thin: parse, read the runs, build, write, report.
 */
import type { Command } from 'commander';
import { parseFlags } from '../config/flags.js';
import { reportOptionsSchema } from '../config/report.js';
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
      runAction(async (runs: string[], _flags: unknown, self: Command) => {
        const options = parseFlags(reportOptionsSchema, givenFlags(self));
        const { runReport } = await import('../runners/cruise-report.js');
        return runReport(runs, options);
      }),
    );
}
