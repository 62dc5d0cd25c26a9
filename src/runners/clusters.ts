/**
 * One `rovlens clusters` run: the model, frames collected through pipelines/group.ts, their
 * embeddings clustered, then the clusters CSV, a contact sheet per cluster and a summary line.
 */
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { defaultGrouping, type ClustersCommandOptions } from '../config/grouping.js';
import { cropSchema } from '../config/timeline.js';
import { InputError, ModelError, OutputError, UsageError } from '../errors.js';
import { ModelSession } from '../model/session.js';
import { modelOrBundled } from '../model/bundled.js';
import { clusterEmbeddings } from '../similarity/cluster-embeddings.js';
import { writeClusterSheets, writeClustersCsv, type ClusteredFrame } from '../sinks/groups-csv.js';
import { checkOutputPlan, modelInputs } from './output-plan.js';
import { collectForClusters } from '../../pipelines/group.js';

export async function runClusters(inputs: string[], options: ClustersCommandOptions): Promise<number> {
  let crop;
  if (options.crop !== undefined) {
    const parsed = cropSchema.safeParse(options.crop);
    if (!parsed.success) throw new UsageError(`--crop: ${parsed.error.issues[0]!.message}`);
    crop = parsed.data;
  }
  const modelPath = modelOrBundled(options.model);
  // Said before decoding: an output that is an input, or a folder that cannot take the files.
  checkOutputPlan(
    [...inputs.map((path) => ({ flag: 'input', path })), ...modelInputs(modelPath)],
    [{ flag: '-o', path: options.output, kind: 'folder', files: [join(options.output, 'clusters.csv')] }],
  );
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
