/**
 * `rovlens group <inputs...>`: near-duplicate groups across recordings and image folders, with
 * revisits found across files: groups.csv, frames.csv and contact sheets of representatives.
 * Thin: flags from the schema, then the group runner (src/runners/group.ts).
 */
import type { Command } from 'commander';
import { groupCommandSchema, parseFlags, type GroupCommandOptions } from '../config/grouping.js';
import { runAction } from './action.js';
import { addSchemaOptions, givenFlags, type FlagTable } from './options.js';

/** Each option's flag; its help, default, choices and check come from groupCommandSchema. */
const FLAGS: FlagTable<typeof groupCommandSchema> = {
  output: '-o, --output <folder>',
  every: '--every <seconds>',
  allowTruncated: '--allow-truncated',
  model: '--model <path>',
  embeddings: { flag: '--no-embeddings', help: 'group by perceptual hash only (no model)' },
  crop: '--crop <WxH>',
  size: '--size <pixels>',
  hash: '--hash <method>',
  hashBits: '--hash-bits <bits>',
  minCosine: '--min-cosine <c>',
  memoryFrames: '--memory-frames <n>',
  confirmFrames: '--confirm-frames <n>',
  revisits: { flag: '--no-revisits', help: 'keep a scene seen again later as a separate group' },
  revisitHashBits: '--revisit-hash-bits <bits>',
  revisitMinCosine: '--revisit-min-cosine <c>',
  sheetColumns: '--sheet-columns <n>',
  tileWidth: '--tile-width <pixels>',
  maxTiles: '--max-tiles <n>',
  batch: '--batch <n>',
  quiet: { flag: '-q, --quiet', help: 'no summary line' },
};

export function register(program: Command): void {
  const command = program
    .command('group')
    .description('near-duplicate groups across recordings and image folders (revisits too): groups CSV and contact sheets')
    .argument('<inputs...>', 'video files, image files or image folders');
  addSchemaOptions(command, groupCommandSchema, FLAGS)
    .addHelpText(
      'after',
      `
Examples:
  rovlens group dive1.mp4 dive2.mp4 -o review/            one row per scene, revisits merged
  rovlens group dataset/images --no-embeddings -o dedupe/  deduplicate a dataset before training
  rovlens group dive.mp4 --every 0.5 --hash-bits 8        stricter groups, two frames a second

Outputs: groups.csv (group_id, members, first/last time, representative), frames.csv (each frame's
group), groups-NNN.jpg (representatives). A bad input is said and skipped; the others are grouped.
A recording that stops part-way (truncated, or corrupt beyond repair) keeps the frames decoded before
it stopped, and the run exits 7 (--allow-truncated accepts a truncated one with a warning).
Exit codes: 0 ok, 2 usage, 3 input missing, 4 input not video/images, 5 model, 6 output,
7 decoding stopped part-way (for a skipped input: the worst one's code).`,
    )
    .action(
      runAction(async (inputs: string[], _flags: unknown, self: Command) => {
        const options = parseGroupFlags(givenFlags(self));
        const { runGroup } = await import('../runners/group.js');
        return runGroup(inputs, options);
      }),
    );
}

/** Flags as commander gives them -> the command's options (the one parse path). */
export function parseGroupFlags(raw: Record<string, unknown>): GroupCommandOptions {
  return parseFlags(groupCommandSchema, raw);
}
