/**
 * `rovlens clusters <inputs...>`: cluster the model's embeddings of frames (all, or those predicted
 * as one element) with k-means and/or DBSCAN, so a person can name sub-categories from a contact
 * sheet per cluster. Thin: flags from the schema, then the clusters runner (src/runners/clusters.ts).
 */
import type { Command } from 'commander';
import { clustersCommandSchema, parseFlags } from '../config/grouping.js';
import { runAction } from './action.js';
import { addSchemaOptions, givenFlags, type FlagTable } from './options.js';

/** Each option's flag; its help, default, choices and check come from clustersCommandSchema. */
const FLAGS: FlagTable<typeof clustersCommandSchema> = {
  output: '-o, --output <folder>',
  every: '--every <seconds>',
  allowTruncated: '--allow-truncated',
  model: '--model <path>',
  crop: '--crop <WxH>',
  element: '--element <label>',
  head: '--head <name>',
  method: '--method <method>',
  k: '--k <n>',
  kMin: '--k-min <n>',
  kMax: '--k-max <n>',
  eps: '--eps <distance>',
  minPoints: '--min-points <n>',
  seed: '--seed <n>',
  dedupe: { flag: '--no-dedupe', help: 'cluster every sampled frame, near-duplicates included' },
  tileWidth: '--tile-width <pixels>',
  maxTiles: '--max-tiles <n>',
  batch: '--batch <n>',
  quiet: { flag: '-q, --quiet', help: 'no summary line' },
};

export function register(program: Command): void {
  const command = program
    .command('clusters')
    .description('cluster frame embeddings into sub-categories (e.g. kinds of waste): clusters CSV and a contact sheet per cluster')
    .argument('<inputs...>', 'video files, image files or image folders');
  addSchemaOptions(command, clustersCommandSchema, FLAGS)
    .addHelpText(
      'after',
      `
Examples:
  rovlens clusters dive1.mp4 dive2.mp4 --element waste -o waste-kinds/    k chosen by silhouette
  rovlens clusters survey/images --element fauna --method both --k 6
  rovlens clusters dive.mp4 --method dbscan --eps 0.3 --min-points 5

Outputs: clusters.csv (each frame's clusters and distance to its k-means centre),
kmeans-NN.jpg / dbscan-NN.jpg (members, most typical first), dbscan-noise.jpg.
A recording that stops part-way (truncated, or corrupt beyond repair) has the frames decoded before it
stopped clustered with the rest, and the run exits 7 (--allow-truncated accepts a truncated one).
Exit codes: 0 ok, 2 usage, 3 input missing, 4 input unreadable or too few frames to cluster, 5 model, 6 output,
7 a recording stopped part-way.`,
    )
    .action(
      runAction(async (inputs: string[], _flags: unknown, self: Command) => {
        const options = parseFlags(clustersCommandSchema, givenFlags(self));
        const { runClusters } = await import('../runners/clusters.js');
        return runClusters(inputs, options);
      }),
    );
}
