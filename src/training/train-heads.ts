/**
 * `rovlens train` as a library function: data -> split -> embeddings (clean + augmented views) ->
 * class-weighted softmax heads -> a new .onnx with the heads written in, and its card.
 */
import { homedir } from 'node:os';
import { basename, join, resolve } from 'node:path';
import { InputError, ModelError } from '../errors.js';
import { augmentationSchema, trainingOptionsSchema, type AugmentationRanges, type TrainingOptions } from '../config/training.js';
import type { ModelCard } from '../model/card.js';
import { ModelSession } from '../model/session.js';
import { drawView } from './augment.js';
import { labelCounts, type LabelledImage } from './dataset.js';
import { framesDirOf, loadLabelledData } from './label-sources.js';
import { runImages, type ModelInputItem } from './embed.js';
import { evaluateHead, thresholdForFraction, type HeadEvaluation } from './evaluation.js';
import { writeTrainedModel, type TrainedHead } from './head-writer.js';
import { headLabels, headsForTask } from './heads.js';
import { applyHead, balancedClassWeights, trainSoftmax } from './softmax-regression.js';
import { withNearDuplicateGroups } from './near-duplicates.js';
import { groupSplit, stratifiedSplit } from './split.js';

export interface TrainRequest {
  /** Base model (.onnx with its card, or the card). */
  model: string;
  /** One input or several (a folder per class, a manifest, a review labels file, a VIAME CSV, a COCO file). */
  data: string | readonly string[];
  output: string;
  options?: Partial<TrainingOptions>;
  augmentation?: Partial<AugmentationRanges>;
  /** Extra card fields (name, provenance) for the written model. */
  card?: Partial<ModelCard>;
  onProgress?: (stage: string, done: number, total: number) => void;
}

export interface HeadTrainingReport {
  head: string;
  split: 'group' | 'stratified';
  trainImages: number;
  trainSamples: number;
  validationImages: number;
  classWeights: Record<string, number>;
  counts: { label: string; source: string; train: number; validation: number }[];
  validation: HeadEvaluation;
  finalLoss: number;
  /** Largest |logit| difference between ONNX Runtime on the written model and the head applied in TS. */
  writtenModelMaxLogitError: number;
}

export interface TrainReport {
  modelPath: string;
  cardPath: string;
  baseModel: string;
  data: string | readonly string[];
  options: TrainingOptions;
  inputSizePx: { width: number; height: number };
  embedSeconds: number;
  trainSeconds: number;
  heads: HeadTrainingReport[];
}

export function defaultCacheDir(): string {
  return join(homedir(), '.cache', 'rovlens', 'embeddings');
}

export async function trainHeads(request: TrainRequest): Promise<TrainReport> {
  const options = trainingOptionsSchema.parse(request.options ?? {});
  const ranges = augmentationSchema.parse(request.augmentation ?? {});
  const model = await ModelSession.open(request.model);
  try {
    const base = model.card;
    if (!base.embedding) throw new ModelError("model card field 'embedding': the base model names no embedding output; training needs it");
    const card: ModelCard = options.inputSizePx
      ? { ...base, input: { ...base.input, width: options.inputSizePx, height: options.inputSizePx } }
      : base;
    const heads = headsForTask(base, options.task);
    const cacheDir = options.cacheDir ?? defaultCacheDir();
    const dataset = await loadLabelledData(
      request.data,
      headLabels(base, heads),
      headLabels(base, Object.keys(base.heads)),
      framesDirOf(cacheDir),
    );
    const images = options.split === 'near-duplicates' ? await withNearDuplicateGroups(dataset.images, base.crop) : dataset.images;

    const splits = headSplits(images, base, heads, options);

    // Items: every image clean; training images also as `views` augmented views.
    const inTraining = new Set(splits.flatMap((s) => s.train.map((t) => s.members[t]!)));
    const items: ModelInputItem[] = [];
    const cleanItem = new Map<number, number>();
    const viewItems = new Map<number, number[]>();
    images.forEach((image, i) => {
      cleanItem.set(i, items.length);
      const crop = image.crop ? { crop: image.crop } : {};
      items.push({ path: image.path, id: image.id, ...crop });
      if (!inTraining.has(i)) return;
      const list: number[] = [];
      for (let v = 0; v < options.views; v++) {
        list.push(items.length);
        items.push({ path: image.path, id: image.id, ...crop, view: drawView(ranges, image.id, v, options.seed) });
      }
      viewItems.set(i, list);
    });

    const embedStarted = performance.now();
    const embeddingName = base.embedding.output;
    const { [embeddingName]: embeddings } = await runImages(model, items, [embeddingName], {
      batchSize: options.batchSize,
      card,
      cacheDir,
      onProgress: (done, total) => request.onProgress?.('embedding', done, total),
    });
    const embedSeconds = (performance.now() - embedStarted) / 1000;
    const d = base.embedding.length;
    if (embeddings!.length !== items.length * d)
      throw new ModelError(`model card field 'embedding.length': the card says ${d}, the graph gives ${embeddings!.length / items.length}`);
    const rowsOf = (indices: readonly number[]) => {
      const x = new Float32Array(indices.length * d);
      indices.forEach((item, r) => x.set(embeddings!.subarray(item * d, (item + 1) * d), r * d));
      return x;
    };

    const trainStarted = performance.now();
    const trained: Record<string, TrainedHead> = {};
    const partial: Omit<HeadTrainingReport, 'writtenModelMaxLogitError'>[] = [];
    const validationLogits: Record<string, { items: number[]; logits: Float32Array }> = {};
    for (const s of splits) {
      const labels = base.heads[s.head]!.labels;
      const trainRows: number[] = [];
      const trainY: number[] = [];
      for (const t of s.train) {
        const image = s.members[t]!;
        for (const item of [cleanItem.get(image)!, ...(viewItems.get(image) ?? [])]) {
          trainRows.push(item);
          trainY.push(s.y[t]!);
        }
      }
      const classWeights = options.classWeights ? balancedClassWeights(trainY, labels.length) : undefined;
      const { head, lossHistory } = trainSoftmax(rowsOf(trainRows), trainY, labels.length, {
        epochs: options.epochs,
        learningRate: options.learningRate,
        l2: options.l2,
        penalty: options.penalty,
        sdFloorFraction: options.sdFloorFraction,
        ...(classWeights ? { classWeights } : {}),
      });
      const valItems = s.validation.map((v) => cleanItem.get(s.members[v]!)!);
      const logits = applyHead(head, rowsOf(valItems));
      validationLogits[s.head] = { items: valItems, logits };
      const uncertainBelow = options.uncertainBelow ?? thresholdForFraction(logits, labels.length, options.uncertainFraction);
      trained[s.head] = { head, uncertainBelow };
      const valImages = s.validation.map((v) => images[s.members[v]!]!);
      const trainImages = s.train.map((t) => images[s.members[t]!]!);
      partial.push({
        head: s.head,
        split: s.split,
        trainImages: s.train.length,
        trainSamples: trainRows.length,
        validationImages: s.validation.length,
        classWeights: Object.fromEntries(labels.map((l, c) => [l, classWeights ? Number(classWeights[c]!.toFixed(4)) : 1])),
        counts: mergeCounts(labelCounts(trainImages, s.head), labelCounts(valImages, s.head)),
        validation: evaluateHead(
          s.head,
          labels,
          s.validation.map((v) => s.y[v]!),
          logits,
          valImages.map((im) => im.source),
          uncertainBelow,
        ),
        finalLoss: lossHistory[lossHistory.length - 1]!,
      });
    }
    const trainSeconds = (performance.now() - trainStarted) / 1000;

    const written = writeTrainedModel(model.modelPath, base, trained, request.output, {
      ...request.card,
      input: card.input,
      provenance: {
        ...base.provenance,
        heads: `class-weighted softmax regression on the frozen backbone's embedding, trained by rovlens train (seed ${options.seed}, ${options.views} augmented views per training image, L2 ${options.l2} on ${options.penalty === 'raw' ? 'the graph weights' : `standardised weights${options.sdFloorFraction ? ` (scale floor ${options.sdFloorFraction} x median sd)` : ''}`})`,
        trainedOn: Object.fromEntries(
          partial.map((p) => [
            p.head,
            {
              data: dataNames(request.data),
              split: p.split,
              trainImages: p.trainImages,
              validationImages: p.validationImages,
              imagesPerClassAndSource: p.counts,
            },
          ]),
        ),
        validation: Object.fromEntries(
          partial.map((p) => [
            p.head,
            {
              weightedAccuracy: Number(p.validation.overall.weightedAccuracy.toFixed(3)),
              accuracy: Number(p.validation.overall.accuracy.toFixed(3)),
              images: p.validation.overall.total,
            },
          ]),
        ),
        // What `evaluate --validation-only` scores, and the model `evaluate` compares with.
        trainedFrom: resolve(model.modelPath),
        heldOut: Object.fromEntries(splits.map((s) => [s.head, heldOutOf(s, images, options.split === 'near-duplicates')])),
        ...(request.card?.provenance ?? {}),
      },
    });

    // Round trip: the written graph must give the logits the trainer computed.
    const check = await ModelSession.open(written.modelPath);
    const errors: Record<string, number> = {};
    try {
      for (const head of heads) {
        const { items: valItems, logits } = validationLogits[head]!;
        const sample = valItems.slice(0, Math.min(4, valItems.length));
        if (!sample.length) {
          errors[head] = NaN;
          continue;
        }
        const out = await runImages(
          check,
          sample.map((i) => items[i]!),
          [written.card.heads[head]!.logits],
          { batchSize: options.batchSize, card: written.card },
        );
        const onnxLogits = out[written.card.heads[head]!.logits]!;
        let max = 0;
        for (let j = 0; j < onnxLogits.length; j++) max = Math.max(max, Math.abs(onnxLogits[j]! - logits[j]!));
        errors[head] = max;
      }
    } finally {
      await check.close();
    }

    return {
      modelPath: written.modelPath,
      cardPath: written.cardPath,
      baseModel: basename(model.modelPath),
      data: request.data,
      options,
      inputSizePx: { width: card.input.width, height: card.input.height },
      embedSeconds,
      trainSeconds,
      heads: partial.map((p) => ({ ...p, writtenModelMaxLogitError: errors[p.head]! })),
    };
  } finally {
    await model.close();
  }
}

export interface HeadSplit {
  head: string;
  /** Indices into the dataset's images that carry this head's label. */
  members: number[];
  /** Class index of each member. */
  y: number[];
  split: 'group' | 'stratified';
  /** Indices into `members`. */
  train: number[];
  validation: number[];
}

/** The split `train` makes for each head; `evaluate --validation-only` repeats it with the same options. */
export function headSplits(
  images: readonly LabelledImage[],
  card: ModelCard,
  heads: readonly string[],
  options: Pick<TrainingOptions, 'split' | 'validationFraction' | 'seed'>,
): HeadSplit[] {
  return heads.map((head) => {
    const members = images.map((_, i) => i).filter((i) => images[i]!.labels[head] !== undefined);
    const labels = card.heads[head]!.labels;
    const y = members.map((i) => labels.indexOf(images[i]!.labels[head]!));
    if (new Set(y).size < 2) throw new InputError(`the data has fewer than two ${head} classes: nothing to train or validate`);
    const groups = members.map((i) => images[i]!.group);
    const byGroup =
      options.split === 'group' ||
      options.split === 'near-duplicates' ||
      (options.split === 'auto' && groups.every((g) => g !== undefined));
    if (byGroup && groups.some((g) => g === undefined))
      throw new InputError('--split group needs a group for every image (a manifest with a group column)');
    const local = byGroup
      ? groupSplit(y, groups as string[], options.validationFraction, options.seed)
      : stratifiedSplit(y, options.validationFraction, options.seed);
    return { head, members, y, split: byGroup ? 'group' : 'stratified', train: local.train, validation: local.validation };
  });
}

/** The data's file names, for the card. */
export function dataNames(data: string | readonly string[]): string {
  return (typeof data === 'string' ? [data] : data).map((d) => basename(d)).join(' + ');
}

/**
 * The validation part of a head's split, as the card records it: the held-out groups when the split
 * was by group, and always the held-out pictures' ids, so `evaluate` can score exactly them on any
 * data that contains them (the lab's labels alone, after training on them plus public data).
 */
export interface HeldOut {
  split: 'group' | 'stratified';
  groups?: string[];
  images: string[];
}

function heldOutOf(split: HeadSplit, images: readonly LabelledImage[], hashedGroups: boolean): HeldOut {
  const held = split.validation.map((v) => images[split.members[v]!]!);
  return {
    split: split.split,
    // Groups found by hashing are numbered per run: only the pictures identify what was held out.
    ...(split.split === 'group' && !hashedGroups ? { groups: [...new Set(held.map((i) => i.group!))].sort() } : {}),
    images: held.map((i) => i.id),
  };
}

function mergeCounts(
  train: { label: string; source: string; count: number }[],
  validation: { label: string; source: string; count: number }[],
) {
  const rows = new Map<string, { label: string; source: string; train: number; validation: number }>();
  for (const [list, field] of [
    [train, 'train'],
    [validation, 'validation'],
  ] as const) {
    for (const { label, source, count } of list) {
      const key = `${label}\u0000${source}`;
      const row = rows.get(key) ?? { label, source, train: 0, validation: 0 };
      row[field] += count;
      rows.set(key, row);
    }
  }
  return [...rows.values()].sort((a, b) => a.label.localeCompare(b.label) || b.train + b.validation - (a.train + a.validation));
}
