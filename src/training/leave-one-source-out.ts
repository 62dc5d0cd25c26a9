/**
 * Generalisation to a new lab's footage: for each source (images/<source>) with enough labelled
 * images, a head is trained as `rovlens train` trains one (class-weighted softmax on the backbone's
 * embeddings, the same defaults) on every OTHER source, and scored on the held-out source. Beside it,
 * the model's own head on that source, which was trained with it (the in-distribution figure).
 *
 * What this measures and what it does not: the heads never see the held-out source, but the
 * backbone is the model's own; a backbone fine-tuned on data that included the source (as the
 * bundled default was) makes the figure optimistic. Clean images only (no augmented views), so
 * each fold costs seconds once the embeddings are computed (they are cached like `train`'s).
 */
import { trainingOptionsSchema, type Task, type TrainingOptions } from '../config/training.js';
import { ModelError } from '../errors.js';
import { ModelSession } from '../model/session.js';
import { loadDataset } from './dataset.js';
import { runImages } from './embed.js';
import { headLabels, headsForTask } from './heads.js';
import { computeMetrics, argmaxRows, type Metrics } from './metrics.js';
import { applyHead, balancedClassWeights, trainSoftmax } from './softmax-regression.js';
import { defaultCacheDir } from './train-heads.js';

export interface SourceFold {
  source: string;
  /** Labelled images of the source for this head. */
  images: number;
  /** Labelled images the fold's head was trained on (every other source). */
  trainImages: number;
  /** The head trained without the source, scored on it. */
  heldOut: Metrics;
  /** The model's own head on the same images (it was trained with them, in general). */
  shipped: Metrics;
  /** Classes of this source that no other source has: no head trained without it can answer them. */
  unseenClasses: string[];
}

export interface SourceReport {
  head: string;
  folds: SourceFold[];
  /** Sources below the threshold, with their image counts (scored by the shipped head only). */
  skipped: { source: string; images: number }[];
}

export interface LeaveOneSourceOutReport {
  model: string;
  data: string;
  minImages: number;
  balanceSources: boolean;
  options: Pick<TrainingOptions, 'epochs' | 'learningRate' | 'l2' | 'penalty' | 'classWeights' | 'seed'>;
  heads: SourceReport[];
}

export interface LeaveOneSourceOutRequest {
  model: string;
  data: string;
  task?: Task;
  /** Sources with fewer labelled images than this (per head) get no fold. */
  minImages?: number;
  batchSize?: number;
  /** Embedding cache (default: the one `rovlens train` uses); false: none. */
  cacheDir?: string | false;
  options?: Partial<TrainingOptions>;
  /**
   * Weight each training image by 1 / (images of its source), so every source counts the same
   * (on top of the class weights): a large source no longer sets the head's idea of a class.
   */
  balanceSources?: boolean;
  onProgress?: (stage: string, done: number, total: number) => void;
}

export async function leaveOneSourceOut(request: LeaveOneSourceOutRequest): Promise<LeaveOneSourceOutReport> {
  const options = trainingOptionsSchema.parse(request.options ?? {});
  const minImages = request.minImages ?? 30;
  const model = await ModelSession.open(request.model);
  try {
    const card = model.card;
    if (!card.embedding) throw new ModelError("model card field 'embedding': the model names no embedding output; --by-source needs it");
    const heads = headsForTask(card, request.task ?? 'both');
    const dataset = loadDataset(request.data, headLabels(card, heads), headLabels(card, Object.keys(card.heads)));
    const images = dataset.images;
    const items = images.map((image) => ({ path: image.path, id: image.id }));
    const embeddingName = card.embedding.output;
    const cacheDir = request.cacheDir === false ? undefined : (request.cacheDir ?? defaultCacheDir());
    const { [embeddingName]: embeddings } = await runImages(model, items, [embeddingName], {
      batchSize: request.batchSize ?? 8,
      card,
      ...(cacheDir ? { cacheDir } : {}),
      onProgress: (done, total) => request.onProgress?.('embedding', done, total),
    });
    const logitOutputs = heads.map((h) => card.heads[h]!.logits);
    const shippedLogits = await runImages(model, items, logitOutputs, {
      batchSize: request.batchSize ?? 8,
      card,
      onProgress: (done, total) => request.onProgress?.('model', done, total),
    });
    const d = card.embedding.length;
    if (embeddings!.length !== images.length * d)
      throw new ModelError(`model card field 'embedding.length': the card says ${d}, the graph gives ${embeddings!.length / images.length}`);
    const rows = (indices: readonly number[]) => {
      const x = new Float32Array(indices.length * d);
      indices.forEach((i, r) => x.set(embeddings!.subarray(i * d, (i + 1) * d), r * d));
      return x;
    };

    const reports = heads.map((head): SourceReport => {
      const labels = card.heads[head]!.labels;
      const k = labels.length;
      const labelled = images.map((_, i) => i).filter((i) => images[i]!.labels[head] !== undefined);
      const y = (i: number) => labels.indexOf(images[i]!.labels[head]!);
      const counts = new Map<string, number>();
      for (const i of labelled) counts.set(images[i]!.source ?? '-', (counts.get(images[i]!.source ?? '-') ?? 0) + 1);
      const all = shippedLogits[card.heads[head]!.logits]!;
      const folds: SourceFold[] = [];
      const skipped: SourceReport['skipped'] = [];
      for (const [source, n] of [...counts].sort((a, b) => b[1] - a[1] || a[0].localeCompare(b[0]))) {
        if (source === '-' || n < minImages) {
          skipped.push({ source, images: n });
          continue;
        }
        const test = labelled.filter((i) => (images[i]!.source ?? '-') === source);
        const train = labelled.filter((i) => (images[i]!.source ?? '-') !== source);
        const trainY = train.map(y);
        const classWeights = options.classWeights ? balancedClassWeights(trainY, k) : undefined;
        const sampleWeights = request.balanceSources ? sourceWeights(train.map((i) => images[i]!.source ?? '-')) : undefined;
        const { head: trained } = trainSoftmax(rows(train), trainY, k, {
          ...(sampleWeights ? { sampleWeights } : {}),
          epochs: options.epochs,
          learningRate: options.learningRate,
          l2: options.l2,
          penalty: options.penalty,
          sdFloorFraction: options.sdFloorFraction,
          ...(classWeights ? { classWeights } : {}),
        });
        const truth = test.map(y);
        const heldOut = computeMetrics(truth, argmaxRows(applyHead(trained, rows(test)), k), labels);
        const shippedRows = new Float32Array(test.length * k);
        test.forEach((i, r) => shippedRows.set(all.subarray(i * k, (i + 1) * k), r * k));
        const shipped = computeMetrics(truth, argmaxRows(shippedRows, k), labels);
        const seen = new Set(trainY);
        const unseenClasses = [...new Set(truth)].filter((c) => !seen.has(c)).map((c) => labels[c]!);
        folds.push({ source, images: test.length, trainImages: train.length, heldOut, shipped, unseenClasses });
      }
      return { head, folds, skipped };
    });
    return {
      model: request.model,
      data: request.data,
      minImages,
      balanceSources: request.balanceSources ?? false,
      options: {
        epochs: options.epochs,
        learningRate: options.learningRate,
        l2: options.l2,
        penalty: options.penalty,
        classWeights: options.classWeights,
        seed: options.seed,
      },
      heads: reports,
    };
  } finally {
    await model.close();
  }
}

/** 1 / (images of the sample's source), scaled so the weights average 1. */
export function sourceWeights(sources: readonly string[]): Float32Array {
  const counts = new Map<string, number>();
  for (const s of sources) counts.set(s, (counts.get(s) ?? 0) + 1);
  const perSource = sources.length / counts.size;
  return Float32Array.from(sources, (s) => perSource / counts.get(s)!);
}

const pct = (x: number) => (Number.isFinite(x) ? (100 * x).toFixed(1) : '-');

/** The report as text tables, one per head. */
export function formatLeaveOneSourceOut(report: LeaveOneSourceOutReport): string {
  const out: string[] = [
    `leave-one-source-out: ${report.model} on ${report.data}; a head trained on every other source (clean images, ${report.options.epochs} epochs, L2 ${report.options.l2}${report.balanceSources ? ', sources weighted equally' : ''}), scored on the source; sources with ${report.minImages}+ labelled images`,
  ];
  for (const h of report.heads) {
    out.push('', `${h.head}:`);
    out.push('| source | images | trained on | held out: weighted acc. % | held out: accuracy % | shipped head (saw it): weighted acc. % | classes no other source has |');
    out.push('|---|---|---|---|---|---|---|');
    for (const f of h.folds) {
      out.push(
        `| ${f.source} | ${f.images} | ${f.trainImages} | ${pct(f.heldOut.weightedAccuracy)} | ${pct(f.heldOut.accuracy)} | ${pct(f.shipped.weightedAccuracy)} | ${f.unseenClasses.join(', ') || '-'} |`,
      );
    }
    if (h.folds.length) {
      const mean = (pick: (f: SourceFold) => number) => h.folds.reduce((a, f) => a + pick(f), 0) / h.folds.length;
      out.push(`| mean of sources | | | ${pct(mean((f) => f.heldOut.weightedAccuracy))} | ${pct(mean((f) => f.heldOut.accuracy))} | ${pct(mean((f) => f.shipped.weightedAccuracy))} | |`);
    }
    if (h.skipped.length) out.push(`below ${report.minImages} images (no fold): ${h.skipped.map((s) => `${s.source} ${s.images}`).join(', ')}`);
  }
  return out.join('\n');
}
