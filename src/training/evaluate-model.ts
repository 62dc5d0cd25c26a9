/**
 * `rovlens evaluate` as a library function: a model's own outputs (ONNX Runtime, the card's crop
 * and input size) on labelled images, clean and, with robustness, under each perturbation.
 */
import { SPLITS, robustnessSchema, trainingOptionsSchema, type RobustnessSettings, type Task } from '../config/training.js';
import { ModelError } from '../errors.js';
import { ModelSession } from '../model/session.js';
import { existsSync } from 'node:fs';
import { basename } from 'node:path';
import type { ModelCard } from '../model/card.js';
import { InputError } from '../errors.js';
import type { LabelledImage } from './dataset.js';
import { framesDirOf, loadLabelledData } from './label-sources.js';
import { runImages, type ModelInputItem } from './embed.js';
import { evaluateHead, topClasses, type HeadEvaluation } from './evaluation.js';
import { pairedDrop, type DropEstimate } from './paired-drop.js';
import { headLabels, headsForTask } from './heads.js';
import { perturbations, type Perturbation } from './robustness.js';
import { defaultCacheDir, headSplits, type HeldOut } from './train-heads.js';
import { withNearDuplicateGroups } from './near-duplicates.js';

export interface EvaluateRequest {
  model: string;
  /** One input or several, as `train` takes them. */
  data: string | readonly string[];
  task?: Task;
  batchSize?: number;
  robustness?: boolean | Partial<RobustnessSettings>;
  /** Evaluate each head on the validation part of the split `train` makes with these options. */
  validationOnly?: { seed?: number; validationFraction?: number; split?: (typeof SPLITS)[number] };
  /**
   * Also score this model on exactly the same pictures. Default: the model the evaluated one was
   * trained from, as its card records it (`provenance.trainedFrom`), when that file exists; false: none.
   */
  baseline?: string | false;
  /** Folder for extracted video frames' cache (default: the training cache's). */
  cacheDir?: string;
  onProgress?: (stage: string, done: number, total: number) => void;
}

export interface ConditionReport {
  condition: string;
  description: string;
  heads: HeadEvaluation[];
  /** Clean weighted accuracy minus this condition's, per head, in percentage points. */
  dropPoints?: Record<string, number>;
  /** The same drop with its paired-bootstrap interval and the answers that changed, per head. */
  drop?: Record<string, DropEstimate>;
}

export interface EvaluateReport {
  model: string;
  data: string | readonly string[];
  images: number;
  /** How the scored pictures were chosen. */
  scored: 'all' | 'held-out recorded in the card' | 'validation split recomputed';
  inputSizePx: { width: number; height: number };
  msPerImage: number;
  conditions: ConditionReport[];
  /** The baseline model on the same pictures (clean only). */
  baseline?: EvaluateReport;
}

/** The held-out part of each head's split as `train` recorded it in the card, when it did. */
function recordedHeldOut(card: ModelCard, heads: readonly string[]): Record<string, HeldOut> | undefined {
  const recorded = card.provenance.heldOut as Record<string, HeldOut> | undefined;
  return recorded && heads.every((h) => recorded[h]) ? recorded : undefined;
}

export async function evaluateModel(request: EvaluateRequest): Promise<EvaluateReport> {
  return evaluateOn(request);
}

async function evaluateOn(
  request: EvaluateRequest,
  fixed?: { images: LabelledImage[]; scored: Record<string, number[]>; how: EvaluateReport['scored'] },
): Promise<EvaluateReport> {
  const model = await ModelSession.open(request.model);
  try {
    const card = model.card;
    const heads = headsForTask(card, request.task ?? 'both');
    let images: LabelledImage[];
    // Per head: the dataset images it is scored on.
    let scored: Record<string, number[]>;
    let how: EvaluateReport['scored'] = 'all';
    if (fixed) {
      ({ images, scored, how } = fixed);
      for (const h of heads) {
        const unknown = scored[h]!.map((i) => images[i]!.labels[h]!).find((l) => !card.heads[h]!.labels.includes(l));
        if (unknown !== undefined)
          throw new ModelError(`baseline ${basename(request.model)}: its ${h} head has no label '${unknown}' (labels: ${card.heads[h]!.labels.join(', ')})`);
      }
    } else {
      const dataset = await loadLabelledData(
        request.data,
        headLabels(card, heads),
        headLabels(card, Object.keys(card.heads)),
        framesDirOf(request.cacheDir ?? defaultCacheDir()),
      );
      const recorded = request.validationOnly ? recordedHeldOut(card, heads) : undefined;
      const nearDuplicates = !recorded && request.validationOnly?.split === 'near-duplicates';
      images = nearDuplicates ? await withNearDuplicateGroups(dataset.images, card.crop) : dataset.images;
      const labelled = (h: string) => images.map((_, i) => i).filter((i) => images[i]!.labels[h] !== undefined);
      if (recorded) {
        how = 'held-out recorded in the card';
        scored = Object.fromEntries(
          heads.map((h) => {
            const groups = recorded[h]!.groups ? new Set(recorded[h]!.groups) : undefined;
            const ids = new Set(recorded[h]!.images);
            return [h, labelled(h).filter((i) => ids.has(images[i]!.id) || (groups?.has(images[i]!.group ?? '') ?? false))];
          }),
        );
        const none = heads.filter((h) => !scored[h]!.length);
        if (none.length)
          throw new InputError(
            `none of these pictures was held out from ${basename(request.model)}'s training for ${none.join(' and ')}: evaluate on the data it was trained with, or without --validation-only`,
          );
      } else if (request.validationOnly) {
        how = 'validation split recomputed';
        const options = trainingOptionsSchema.pick({ seed: true, validationFraction: true, split: true }).parse(request.validationOnly);
        scored = Object.fromEntries(headSplits(images, card, heads, options).map((s) => [s.head, s.validation.map((v) => s.members[v]!)]));
      } else {
        scored = Object.fromEntries(heads.map((h) => [h, labelled(h)]));
      }
    }
    const used = [...new Set(Object.values(scored).flat())].sort((a, b) => a - b);
    const row = new Map(used.map((image, r) => [image, r]));

    const conditions: { name: string; description: string; perturbation?: Perturbation }[] = [
      { name: 'clean', description: 'as recorded' },
    ];
    if (request.robustness) {
      const settings = robustnessSchema.parse(request.robustness === true ? {} : request.robustness);
      for (const p of perturbations(settings)) conditions.push({ name: p.name, description: p.description, perturbation: p });
    }
    const outputs = heads.map((h) => card.heads[h]!.logits);
    const reports: ConditionReport[] = [];
    // Per condition and head: the truth and top classes, for the paired drops.
    const answers: Record<string, { truth: number[]; predicted: number[] }>[] = [];
    let modelMs = 0;
    for (const condition of conditions) {
      const items: ModelInputItem[] = used.map((i) => ({
        path: images[i]!.path,
        id: images[i]!.id,
        ...(images[i]!.crop ? { crop: images[i]!.crop } : {}),
        ...(condition.perturbation ? { perturbation: condition.perturbation } : {}),
      }));
      const started = performance.now();
      const out = await runImages(model, items, outputs, {
        batchSize: request.batchSize ?? 8,
        card,
        onProgress: (done, total) => request.onProgress?.(condition.name, done, total),
      });
      if (condition.name === 'clean') modelMs = performance.now() - started;
      const conditionAnswers: Record<string, { truth: number[]; predicted: number[] }> = {};
      const headReports = heads.map((head) => {
        const spec = card.heads[head]!;
        const k = spec.labels.length;
        const all = out[spec.logits]!;
        if (all.length !== used.length * k) {
          throw new ModelError(
            `model card field 'heads.${head}.labels': ${k} labels, but the graph's '${spec.logits}' gives ${all.length / used.length} values per image`,
          );
        }
        const mine = scored[head]!;
        const logits = new Float32Array(mine.length * k);
        mine.forEach((image, j) => logits.set(all.subarray(row.get(image)! * k, (row.get(image)! + 1) * k), j * k));
        const truth = mine.map((image) => spec.labels.indexOf(images[image]!.labels[head]!));
        conditionAnswers[head] = { truth, predicted: topClasses(logits, k).predicted };
        return evaluateHead(
          head,
          spec.labels,
          truth,
          logits,
          mine.map((image) => images[image]!.source),
          spec.uncertainBelow,
        );
      });
      reports.push({ condition: condition.name, description: condition.description, heads: headReports });
      answers.push(conditionAnswers);
    }
    const clean = reports[0]!;
    reports.slice(1).forEach((r, i) => {
      r.dropPoints = Object.fromEntries(
        r.heads.map((h, j) => [h.head, Number((100 * (clean.heads[j]!.overall.weightedAccuracy - h.overall.weightedAccuracy)).toFixed(2))]),
      );
      r.drop = Object.fromEntries(
        heads.map((head) => [head, pairedDrop(answers[0]![head]!.truth, answers[0]![head]!.predicted, answers[i + 1]![head]!.predicted)]),
      );
    });
    const trainedFrom = typeof card.provenance.trainedFrom === 'string' ? card.provenance.trainedFrom : undefined;
    const baselineModel =
      request.baseline === false || fixed
        ? undefined
        : (request.baseline ?? (trainedFrom && existsSync(trainedFrom) ? trainedFrom : undefined));
    const baseline = baselineModel
      ? await evaluateOn(
          { ...request, model: baselineModel, baseline: false, robustness: false, task: request.task ?? 'both' },
          { images, scored, how },
        )
      : undefined;
    return {
      model: request.model,
      data: request.data,
      images: used.length,
      scored: how,
      inputSizePx: { width: card.input.width, height: card.input.height },
      // Wall time per image of the clean pass, decoding and cutting included (they overlap the model).
      msPerImage: used.length ? modelMs / used.length : NaN,
      conditions: reports,
      ...(baseline ? { baseline } : {}),
    };
  } finally {
    await model.close();
  }
}
