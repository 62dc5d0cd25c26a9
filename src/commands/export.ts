/** `rovlens export <run>`: a run file (or a folder of them) to VIAME, DIVE, COCO, iFDO or BIIGLE. */
import type { Command } from 'commander';
import { exportOptionsSchema, parseExportOptions } from '../config/export.js';
import { runAction } from './action.js';
import { addSchemaOptions, givenFlags, type FlagTable } from './options.js';

/** Each option's flag; its help, choices and check come from exportOptionsSchema. */
const FLAGS: FlagTable<typeof exportOptionsSchema> = {
  to: '--to <format>',
  output: '-o, --output <path>',
  frames: '--frames',
  ifdoHeader: '--ifdo-header <file>',
  videos: '--videos <folders>',
};

export function register(program: Command): void {
  const command = program
    .command('export')
    .description('a run (rovlens timeline --format jsonl) to VIAME/DIVE, COCO, iFDO or BIIGLE')
    .argument('<run>', "run file, or a folder of them, as 'rovlens timeline --format jsonl' writes");
  addSchemaOptions(command, exportOptionsSchema, FLAGS)
    .addHelpText(
      'after',
      `
Examples:
  rovlens timeline dive.mp4 --format jsonl -o dive.jsonl
  rovlens export dive.jsonl --to viame -o dive.viame.csv          # DIVE: import with the video
  rovlens export dive.jsonl --to dive -o dive.dive.json
  rovlens export dive.jsonl --to coco -o dive.coco.json --frames   # JPEGs in dive.coco-frames/
  rovlens export timelines/ --to ifdo --ifdo-header cruise.json -o cruise.ifdo.json
  rovlens export timelines/ --to biigle -o cruise.biigle.csv --videos /mnt/archive/videos

Exit codes: 0 ok, 2 usage (or iFDO header fields missing), 3 run or video not found, 4 not a run file of this version, 6 output.`,
    )
    .action(
      runAction(async (run: string, _flags: unknown, self: Command) => {
        const options = parseExportOptions(givenFlags(self));
        const { runExport } = await import('../runners/export.js');
        await runExport(run, options);
      }),
    );
}
