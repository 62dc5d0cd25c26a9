/**
 * One `rovlens clusters` run: the model, frames read through the stages of pipelines/group.ts and
 * kept one per near-duplicate group, their embeddings clustered, then the clusters CSV, a contact
 * sheet per cluster and a summary line.
 */
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { lastValueFrom, toArray } from 'rxjs';
import { defaultGrouping, type ClustersCommandOptions, type GroupingOptions } from '../config/grouping.js';
import { cropSchema } from '../config/timeline.js';
import { DecodeError, ExitCode, InputError, ModelError, OutputError, UsageError } from '../errors.js';
import type { RelativeCrop } from '../geometry.js';
import { ModelSession } from '../model/session.js';
import { modelOrBundled } from '../model/bundled.js';
import { clusterEmbeddings } from '../similarity/cluster-embeddings.js';
import { frameHash } from '../similarity/frame-hash.js';
import { groupImages } from '../similarity/group-images.js';
import { frameThumbnail } from '../sinks/contact-sheet.js';
import { writeClusterSheets, writeClustersCsv, type ClusteredFrame } from '../sinks/groups-csv.js';
import { isImageInput, listImages } from '../sources/images.js';
import type { FrameResult } from '../types.js';
import { clusterVideoResults, imageResults } from '../../pipelines/group.js';
import { drain } from './drain.js';
import { checkOutputPlan, modelInputs } from './output-plan.js';

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
    const { items, seen, kept, stopped } = await collectForClusters(inputs, model, {
      every: options.every,
      truncation: options.allowTruncated ? 'warn' : 'error',
      crop: crop ?? model.card.crop,
      batch: options.batch,
      dedupe: options.dedupe,
      ...(options.element !== undefined ? { filter: { head: options.head, label: options.element } } : {}),
      thumbnailWidth: options.tileWidth,
      grouping: defaultGrouping,
    });
    for (const s of stopped) {
      process.stderr.write(
        `rovlens: ${s.message.includes(s.input) ? s.message : `${s.input}: ${s.message}`}; its ${s.frames} sampled frame(s) are clustered\n`,
      );
    }
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
    // Clusters of what was decoded are written; a recording that stopped part-way still fails the run.
    return stopped.length ? ExitCode.decode : ExitCode.ok;
  } finally {
    await model.close();
  }
}

export interface ClusterItem {
  sourceId: string;
  index: number;
  ptsSeconds: number;
  /** Near-duplicate group (per input for video, linked set for images). */
  groupId: number;
  label?: string;
  confidence?: number;
  embedding: Float32Array;
  thumbnail: Buffer;
}

export interface CollectOptions {
  every: number;
  crop: RelativeCrop;
  batch: number;
  /** Keep one frame per near-duplicate group (its first). */
  dedupe: boolean;
  /** Keep only frames whose `head` predicts `label`. */
  filter?: { head: string; label: string };
  thumbnailWidth: number;
  grouping: GroupingOptions;
  /** A recording that ends short of its probed duration: a stop (like a decoding failure) or a warning; left out, not checked. */
  truncation?: 'error' | 'warn';
}

/** A recording whose decoding stopped part-way: its frames before the stop are collected. */
export interface StoppedInput {
  input: string;
  message: string;
  /** Frames sampled from it before it stopped. */
  frames: number;
}

/** Frames (or images) with their embeddings and predictions, for clustering; one per group when deduplicating. */
export async function collectForClusters(
  inputs: readonly string[],
  model: ModelSession,
  options: CollectOptions,
): Promise<{ items: ClusterItem[]; seen: number; kept: number; stopped: StoppedInput[] }> {
  const size = { width: model.card.input.width, height: model.card.input.height };
  const items: ClusterItem[] = [];
  let seen = 0;
  let kept = 0;
  let groupBase = 0;
  const stopped: StoppedInput[] = [];
  const keep = async (r: FrameResult, groupId: number) => {
    kept++;
    const head = options.filter ? r.heads[options.filter.head] : (r.heads.element ?? Object.values(r.heads)[0]);
    if (options.filter && head?.label !== options.filter.label) return;
    if (!r.embedding) return;
    items.push({
      sourceId: r.frame.sourceId,
      index: r.frame.index,
      ptsSeconds: r.frame.ptsSeconds,
      groupId,
      ...(head ? { label: head.label, confidence: head.confidence } : {}),
      embedding: r.embedding,
      thumbnail: await frameThumbnail(r.frame, options.thumbnailWidth),
    });
  };
  const images = inputs.filter(isImageInput);
  if (images.length) {
    const results = await lastValueFrom(
      imageResults(await listImages(images), { model, crop: options.crop, size, batch: options.batch }).pipe(toArray()),
    );
    seen += results.length;
    const ids = options.dedupe
      ? groupImages(
          results.map((r) => ({ hash: frameHash(r.frame, options.grouping.hash), ...(r.embedding ? { embedding: r.embedding } : {}) })),
          options.grouping,
        )
      : Int32Array.from(results, (_, i) => i);
    const done = new Set<number>();
    for (const [i, r] of results.entries()) {
      if (options.dedupe && done.has(ids[i]!)) continue;
      done.add(ids[i]!);
      await keep(r, ids[i]!);
    }
    groupBase = results.length ? Math.max(...ids) + 1 : 0;
  }
  for (const input of inputs.filter((i) => !isImageInput(i))) {
    let top = groupBase;
    let frames = 0;
    try {
      await drain(clusterVideoResults(input, model, options), async (r) => {
        seen++;
        frames++;
        const groupId = groupBase + r.group!.groupId;
        top = Math.max(top, groupId + 1);
        if (options.dedupe && r.group!.duplicateOf !== undefined) return;
        await keep(r, groupId);
      });
    } catch (error) {
      // Decoding stopped part-way (a truncated or corrupt recording): what was decoded stays, the others go on.
      if (!(error instanceof DecodeError)) throw error;
      stopped.push({ input, message: error.message, frames });
    }
    groupBase = top;
  }
  return { items, seen, kept, stopped };
}
