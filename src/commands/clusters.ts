/**
 * `rovlens clusters <inputs...>`: cluster the model's embeddings of frames (all, or those predicted
 * as one element) with k-means and/or DBSCAN, so a person can name sub-categories from a contact
 * sheet per cluster. Thin: parse, open the model, collect (pipelines/group.ts), cluster, write.
 */
import { existsSync, mkdirSync } from 'node:fs';
import { join } from 'node:path';
import type { Command } from 'commander';
import { clustersCommandSchema, defaultGrouping, parseFlags, type ClustersCommandOptions } from '../config/grouping.js';
import { cropSchema } from '../config/timeline.js';
import { InputError, ModelError, OutputError, UsageError } from '../errors.js';
import { ModelSession } from '../model/session.js';
import { DEFAULT_MODEL } from '../paths.js';
import { clusterEmbeddings } from '../similarity/cluster-embeddings.js';
import { writeClusterSheets, writeClustersCsv, type ClusteredFrame } from '../sinks/groups-csv.js';
import { collectForClusters } from '../../pipelines/group.js';
import { checkOutputPlan, modelInputs } from '../runners/output-plan.js';
import { runAction } from './action.js';

const describe = (key: keyof typeof clustersCommandSchema.shape) => clustersCommandSchema.shape[key].description ?? '';

export function register(program: Command): void {
  program
    .command('clusters')
    .description('cluster frame embeddings into sub-categories (e.g. kinds of waste): clusters CSV and a contact sheet per cluster')
    .argument('<inputs...>', 'video files, image files or image folders')
    .option('-o, --output <folder>', describe('output'), 'clusters')
    .option('--every <seconds>', describe('every'), '1')
    .option('--model <path>', describe('model'))
    .option('--crop <WxH>', describe('crop'))
    .option('--element <label>', describe('element'))
    .option('--head <name>', describe('head'), 'element')
    .option('--method <method>', describe('method'), 'kmeans')
    .option('--k <n>', describe('k'))
    .option('--k-min <n>', describe('kMin'), '2')
    .option('--k-max <n>', describe('kMax'), '10')
    .option('--eps <distance>', describe('eps'), '0.35')
    .option('--min-points <n>', describe('minPoints'), '4')
    .option('--seed <n>', describe('seed'), '1')
    .option('--no-dedupe', 'cluster every sampled frame, near-duplicates included')
    .option('--tile-width <pixels>', describe('tileWidth'), '160')
    .option('--max-tiles <n>', describe('maxTiles'), '48')
    .option('--batch <n>', describe('batch'), '8')
    .option('-q, --quiet', 'no summary line')
    .addHelpText(
      'after',
      `
Examples:
  rovlens clusters dive1.mp4 dive2.mp4 --element waste -o waste-kinds/    k chosen by silhouette
  rovlens clusters survey/images --element fauna --method both --k 6
  rovlens clusters dive.mp4 --method dbscan --eps 0.3 --min-points 5

Outputs: clusters.csv (each frame's clusters and distance to its k-means centre),
kmeans-NN.jpg / dbscan-NN.jpg (members, most typical first), dbscan-noise.jpg.
Exit codes: 0 ok, 2 usage, 3 input missing, 4 input unreadable or too few frames to cluster, 5 model, 6 output.`,
    )
    .action(
      runAction(async (inputs: string[], raw: Record<string, unknown>) => runClusters(inputs, parseFlags(clustersCommandSchema, raw))),
    );
}

export async function runClusters(inputs: string[], options: ClustersCommandOptions): Promise<number> {
  let crop;
  if (options.crop !== undefined) {
    const parsed = cropSchema.safeParse(options.crop);
    if (!parsed.success) throw new UsageError(`--crop: ${parsed.error.issues[0]!.message}`);
    crop = parsed.data;
  }
  const modelPath = options.model ?? DEFAULT_MODEL;
  // Said before decoding: an output that is an input, or a folder that cannot take the files.
  checkOutputPlan(
    [...inputs.map((path) => ({ flag: 'input', path })), ...modelInputs(modelPath)],
    [{ flag: '-o', path: options.output, kind: 'folder', files: [join(options.output, 'clusters.csv')] }],
  );
  if (!options.model && !existsSync(DEFAULT_MODEL))
    throw new UsageError(`the bundled model is missing (${DEFAULT_MODEL}); pass --model <file.onnx>`);
  const model = await ModelSession.open(modelPath);
  try {
    if (!model.card.embedding) throw new ModelError(`${modelPath}: the model card names no embedding output; clustering needs one`);
    if (options.element !== undefined) {
      const head = model.card.heads[options.head];
      if (!head)
        throw new UsageError(`--head: '${options.head}' is not a head of the model (heads: ${Object.keys(model.card.heads).join(', ')})`);
      if (!head.labels.includes(options.element))
        throw new UsageError(
          `--element: '${options.element}' is not a label of head '${options.head}' (labels: ${head.labels.join(', ')})`,
        );
    }
    try {
      mkdirSync(options.output, { recursive: true });
    } catch (error) {
      throw new OutputError(`cannot create ${options.output}: ${(error as NodeJS.ErrnoException).code ?? (error as Error).message}`);
    }
    const { items, seen, kept } = await collectForClusters(inputs, model, {
      every: options.every,
      crop: crop ?? model.card.crop,
      batch: options.batch,
      dedupe: options.dedupe,
      ...(options.element !== undefined ? { filter: { head: options.head, label: options.element } } : {}),
      thumbnailWidth: options.tileWidth,
      grouping: defaultGrouping,
    });
    const minimum = options.method === 'dbscan' ? options.minPoints : Math.max(3, options.k ?? options.kMin + 1);
    if (items.length < minimum) {
      const what = options.element !== undefined ? ` predicted as '${options.element}'` : '';
      throw new InputError(
        `${items.length} frame(s)${what} to cluster (of ${seen} sampled, ${kept} after removing near-duplicates); this needs at least ${minimum}`,
      );
    }
    const result = clusterEmbeddings(
      items.map((i) => i.embedding),
      {
        method: options.method,
        ...(options.k !== undefined ? { k: options.k } : {}),
        kMin: options.kMin,
        kMax: Math.min(options.kMax, items.length - 1),
        eps: options.eps,
        minPoints: options.minPoints,
        seed: options.seed,
      },
    );
    const frames: ClusteredFrame[] = items.map((item, i) => ({
      sourceId: item.sourceId,
      index: item.index,
      ptsSeconds: item.ptsSeconds,
      groupId: item.groupId,
      ...(item.label !== undefined ? { label: item.label, confidence: item.confidence! } : {}),
      ...(result.kmeans ? { kmeansCluster: result.kmeans.assignments[i]!, kmeansDistance: result.kmeans.distances[i]! } : {}),
      ...(result.dbscan ? { dbscanCluster: result.dbscan.labels[i]! } : {}),
      thumbnail: item.thumbnail,
    }));
    writeClustersCsv(join(options.output, 'clusters.csv'), frames);
    const sheets = [
      ...(result.kmeans ? await writeClusterSheets(options.output, frames, 'kmeans', options) : []),
      ...(result.dbscan ? await writeClusterSheets(options.output, frames, 'dbscan', options) : []),
    ];
    if (!options.quiet) {
      const parts: string[] = [];
      if (result.kmeans) {
        const how = result.kmeans.scores
          ? `chosen by silhouette over k = ${result.kmeans.scores[0]!.k}..${result.kmeans.scores.at(-1)!.k}`
          : 'given';
        parts.push(`k-means k = ${result.kmeans.k} (${how}; silhouette ${result.kmeans.silhouette.toFixed(3)})`);
      }
      if (result.dbscan) parts.push(`DBSCAN ${result.dbscan.clusters} clusters + ${result.dbscan.noise} noise`);
      process.stderr.write(
        `rovlens: ${seen} frames sampled, ${kept} after removing near-duplicates, ${items.length} clustered -> ${parts.join('; ')}; wrote ${join(options.output, 'clusters.csv')} and ${sheets.length} contact sheet(s)\n`,
      );
    }
    return 0;
  } finally {
    await model.close();
  }
}
