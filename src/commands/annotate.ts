/**
 * `rovlens annotate <input>`: the heatmap of the element (or any head/class), the crop region, boxes
 * and labels rendered over the full frames, into an mp4, a folder of JPEGs and/or a contact sheet.
 * Thin: flags from the schema, then the annotate runner (src/runners/annotate.ts).
 */
import type { Command } from 'commander';
import { parseFlags } from '../config/flags.js';
import { annotateSchema, type AnnotateOptions } from '../config/explain.js';
import { runAction } from './action.js';
import { NAV_FLAGS } from './nav-flags.js';
import { addSchemaOptions, givenFlags, type FlagTable } from './options.js';

/** Each option's flag; its help, default, choices and check come from annotateSchema. */
const FLAGS: FlagTable<typeof annotateSchema> = {
  output: '-o, --output <path>',
  contactSheet: '--contact-sheet <file.jpg>',
  every: '--every <seconds>',
  start: '--start <time>',
  end: '--end <time>',
  allowTruncated: '--allow-truncated',
  head: '--head <name>',
  class: '--class <label>',
  threshold: '--threshold <fraction>',
  otsu: '--otsu',
  maxBoxes: '--max-boxes <n>',
  fallback: '--fallback <method>',
  colormap: '--colormap <name>',
  heatmap: '--heatmap',
  width: '--width <pixels>',
  fps: '--fps <n>',
  crop: '--crop <WxH>',
  model: '--model <path>',
  device: '--device <device>',
  hwaccel: '--hwaccel <method>',
  batch: '--batch <n>',
  sheetColumns: '--sheet-columns <n>',
  sheetTiles: '--sheet-tiles <n>',
  overlayMask: '--overlay-mask <auto|off|mask.png>',
  saveOverlayMask: '--save-overlay-mask <file.png>',
  ...NAV_FLAGS,
  quiet: '-q, --quiet',
};

export function register(program: Command): void {
  const command = program
    .command('annotate')
    .description('render the heatmap, crop region, boxes and labels over the frames: a video, JPEGs, a contact sheet')
    .argument('<input>', 'a video file, an image, or a folder of images');
  addSchemaOptions(command, annotateSchema, FLAGS)
    .addHelpText(
      'after',
      `
Examples:
  rovlens annotate dive.mp4 -o dive-annotated.mp4 --every 2
  rovlens annotate dive.mp4 -o frames/ --start 00:10:00 --end 00:11:00 --contact-sheet dive.jpg
  rovlens annotate photos/ -o annotated/ --head floor --class reef --otsu
  rovlens annotate dive.mp4 -o dive-annotated.mp4 --nav dive-nav.csv   # position and depth on every picture

Exit codes: 0 ok, 2 usage (or an output that is an input), 3 input missing, 4 input not video/images, 5 model,
6 output, 7 decoding stopped part-way or the recording is truncated (what was rendered is written), 130 interrupted.`,
    )
    .action(
      runAction(async (input: string, _flags: unknown, self: Command) => {
        const options = parseFlags(annotateSchema, givenFlags(self));
        const { runAnnotate } = await import('../runners/annotate.js');
        return runAnnotate(input, options);
      }),
    );
}

export const parseAnnotateOptions = (raw: Record<string, unknown>): AnnotateOptions => parseFlags(annotateSchema, raw);
