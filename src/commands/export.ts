/** `rovlens export <run>`: a run file (or a folder of them) to VIAME, DIVE, COCO, iFDO or BIIGLE. */
import { Option, type Command } from 'commander';
import { exportFormats, exportOptionsSchema, parseExportOptions } from '../config/export.js';
import { exportRuns } from '../exports/export.js';
import { readRuns } from '../exports/run-file.js';
import { runAction } from './action.js';

const describe = (key: keyof typeof exportOptionsSchema.shape) => exportOptionsSchema.shape[key].description ?? '';

export function register(program: Command): void {
  program
    .command('export')
    .description('a run (rovlens timeline --format jsonl) to VIAME/DIVE, COCO, iFDO or BIIGLE')
    .argument('<run>', "run file, or a folder of them, as 'rovlens timeline --format jsonl' writes")
    .addOption(new Option('--to <format>', describe('to')).choices([...exportFormats]).makeOptionMandatory())
    .requiredOption('-o, --output <path>', describe('output'))
    .option('--frames', describe('frames'))
    .option('--ifdo-header <file>', describe('ifdoHeader'))
    .option('--videos <folders>', describe('videos'))
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
      runAction(async (run: string, raw: Record<string, unknown>) => {
        const options = parseExportOptions(raw);
        const runs = readRuns(run);
        const written = await exportRuns(runs, {
          format: options.to,
          output: options.output,
          frames: options.frames,
          ifdoHeader: options.ifdoHeader,
          videoFolders: options.videos,
        });
        process.stderr.write(`rovlens: wrote ${written.join(', ')}\n`);
      }),
    );
}
