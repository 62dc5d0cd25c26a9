/**
 * `rovlens timeline <inputs...>`: recorded missions to timeline CSVs (and segments).
 * Thin: flags from the schema, then the timeline runner (src/runners/timeline.ts) does the run.
 */
import type { Command } from 'commander';
import { parseFlags } from '../config/flags.js';
import { timelineOptionsSchema } from '../config/timeline.js';
import { runAction } from './action.js';
import { NAV_FLAGS } from './nav-flags.js';
import { addSchemaOptions, givenFlags, type FlagTable } from './options.js';

/** Each option's flag; its help, default, choices and check come from timelineOptionsSchema. */
const FLAGS: FlagTable<typeof timelineOptionsSchema> = {
  output: '-o, --output <path>',
  every: '--every <seconds>',
  keyframes: '--keyframes',
  start: '--start <time>',
  end: '--end <time>',
  allowTruncated: '--allow-truncated',
  crop: '--crop <WxH>',
  model: '--model <path>',
  device: '--device <device>',
  hwaccel: '--hwaccel <method>',
  batch: '--batch <n>',
  format: '--format <format>',
  segments: '--segments <file>',
  geojson: '--geojson <file>',
  minSegment: '--min-segment <seconds>',
  uncertainBelow: '--uncertain-below <p>',
  camThreshold: '--cam-threshold <fraction>',
  camMethod: '--cam-method <method>',
  camFallback: '--cam-fallback <method>',
  camAlso: '--cam-also <targets>',
  overlayMask: '--overlay-mask <auto|off|mask.png>',
  saveOverlayMask: '--save-overlay-mask <file.png|folder/>',
  ...NAV_FLAGS,
  export: '--export <format:file>',
  ifdoHeader: '--ifdo-header <file>',
  skipDuplicates: { flag: '--no-skip-duplicates', help: 'run the model on every sampled frame, even near-duplicates' },
  pushdown: { flag: '--no-pushdown', help: 'sample, crop and resize in the RxJS operators instead of inside ffmpeg' },
  pipeline: '--pipeline <module>',
  quiet: '-q, --quiet',
};

export function register(program: Command): void {
  const command = program
    .command('timeline')
    .description('recorded missions to timeline CSVs: seafloor and main element at each sampled instant')
    .argument('<inputs...>', 'video files or globs (any container, codec and resolution ffmpeg reads)');
  addSchemaOptions(command, timelineOptionsSchema, FLAGS)
    .addHelpText(
      'after',
      `
Examples:
  rovlens timeline dive.mp4 -o dive.csv --segments dive-segments.csv
  rovlens timeline 'missions/*.mov' -o timelines/ --every 2
  rovlens timeline dive.mp4 -o dive.csv --cam-also element:waste,floor:reef   # where waste and reef are, in every frame
  rovlens timeline dive.mp4 -o dive.csv --nav dive-nav.csv --video-start 2022-10-06T13:50:40   # position of every frame
  rovlens timeline 'dives/*.mp4' -o timelines/ --nav survey-nav.csv --geojson survey.geojson   # and a habitat map
  rovlens timeline dive.mp4 --keyframes --format jsonl > dive.jsonl
  rovlens timeline dive.mp4 -o dive.csv --export viame:dive.viame.csv --export dive:dive.dive.json   # for VIAME/DIVE
  rovlens timeline dive.mp4 --start 00:10:00 --end 00:20:00 --crop 0.6x1 -o part.csv

Exit codes: 0 ok, 2 usage (or an output that is an input), 3 input or navigation log missing, 4 input not video or
log unreadable, 5 model, 6 output, 7 decoding stopped part-way or the recording is truncated (rows so far are
written; --allow-truncated accepts a truncated one), 130 interrupted (rows so far are written).`,
    )
    .action(
      runAction(async (inputs: string[], _flags: unknown, self: Command) => {
        const options = parseFlags(timelineOptionsSchema, givenFlags(self));
        const { runTimeline } = await import('../runners/timeline.js');
        return runTimeline(inputs, options);
      }),
    );
}
