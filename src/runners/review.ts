/**
 * `rovlens review` as a library call: classify and group the inputs (or read a timeline's JSON
 * lines), order the groups for review, then either print the queue (`--list`) or serve the review
 * page until Ctrl-C, every decision saved to the labels manifest as it is made.
 */
import { existsSync, readFileSync, rmSync } from 'node:fs';
import { from, type Observable } from 'rxjs';
import { resolve } from 'node:path';
import { defaultReviewer, type ReviewOptions } from '../config/review.js';
import { ExitCode, ModelError, UsageError } from '../errors.js';
import type { RelativeCrop } from '../geometry.js';
import { openWithCams } from '../model-building/add-cam-outputs.js';
import { loadModelCard, type ModelCard } from '../model/card.js';
import { ModelSession } from '../model/session.js';
import { modelOrBundled } from '../model/bundled.js';
import { csvRow } from '../sinks/csv.js';
import { formatCrop, frameKey, ManifestWriter, parseManifest, readManifest } from '../review/manifest.js';
import { reviewOrder, type ReviewGroup, type ReviewItem } from '../review/order.js';
import { collectReviewGroups, ReviewPictures } from '../../pipelines/review.js';
import { isTimelineJsonl, readTimelineGroups, type ReviewInput } from '../review/timeline-groups.js';
import { ReviewServer } from '../review/server.js';
import { checkOutputPlan, modelInputs } from './output-plan.js';
import { MANIFEST_HEADS, ReviewSession } from '../review/session.js';
import { stopRequest } from './stop-request.js';

export interface ReviewHooks {
  /** Status lines. Default: stderr. */
  notice?: (line: string) => void;
  /** Where --list prints. Default: stdout. */
  print?: (text: string) => void;
  onListening?: (server: ReviewServer) => void;
  /** Resolve it to stop (as Ctrl-C does); for tests and embedding applications. */
  stop?: Promise<void>;
  /** Stop on SIGINT/SIGTERM (default true). */
  handleSignals?: boolean;
}

const labelsOf = (card: ModelCard): Record<string, readonly string[]> =>
  Object.fromEntries(Object.entries(card.heads).map(([head, spec]) => [head, spec.labels]));

/** `--list manifest.csv`: the manifest's recordings and images are the inputs, its crop the crop. */
function inputsOf(inputs: readonly string[], options: ReviewOptions): { inputs: string[]; crop?: RelativeCrop; manifest?: string } {
  if (inputs.length === 1 && /\.csv$/i.test(inputs[0]!)) {
    if (!options.list)
      throw new UsageError(`${inputs[0]} is a labels manifest: review its recordings (pass them), or list its queue with --list`);
    const rows = readManifest(inputs[0]!);
    if (!rows.length) throw new UsageError(`${inputs[0]} holds no labelled frames, so it names no recordings to list`);
    const sources = [...new Set(rows.map((r) => r.source))];
    return { inputs: sources, crop: rows[0]!.crop, manifest: inputs[0]! };
  }
  if (inputs.some(isTimelineJsonl) && inputs.length > 1) {
    throw new UsageError('review a timeline .jsonl on its own (it names its recordings), or pass recordings and image folders');
  }
  return { inputs: [...inputs] };
}

async function collect(
  inputs: string[],
  model: ModelSession | ModelCard,
  crop: RelativeCrop,
  options: ReviewOptions,
  notice: (line: string) => void,
  until?: Observable<unknown>,
): Promise<ReviewInput> {
  if (inputs.length === 1 && isTimelineJsonl(inputs[0]!)) {
    const card = model instanceof ModelSession ? model.card : model;
    return readTimelineGroups(inputs[0]!, labelsOf(card));
  }
  if (!(model instanceof ModelSession)) throw new Error('a model session is needed to classify the inputs');
  let last = Date.now();
  const collected = await collectReviewGroups(inputs, model, {
    everySeconds: options.every,
    crop,
    batch: options.batch,
    grouping: { hashBits: options.hashBits, minCosine: options.minCosine },
    ...(until ? { until } : {}),
    onProgress: (frames) => {
      if (options.quiet || Date.now() - last < 5000) return;
      last = Date.now();
      notice(`rovlens review: ${frames} frames classified`);
    },
  });
  return collected;
}

/** The queue for --list: CSV (or a JSON array) of one representative per group, in page order. */
export function formatQueue(items: readonly ReviewItem[], heads: readonly string[], json: boolean, reviewed: Set<string>): string {
  const record = (item: ReviewItem, rank: number) => ({
    rank,
    group: item.group,
    size: item.size,
    path: item.representative.source,
    ...(item.representative.ptsSeconds !== undefined ? { pts_seconds: item.representative.ptsSeconds } : {}),
    uncertainty: Number(item.uncertainty.toFixed(4)),
    predictions: Object.fromEntries(
      heads.map((h) => [
        h,
        {
          label: item.consensus[h]?.label,
          confidence: Number((item.representative.predictions[h]?.confidence ?? 0).toFixed(4)),
          agreement: Number((item.consensus[h]?.agreement ?? 0).toFixed(4)),
        },
      ]),
    ),
    reviewed: reviewed.has(item.group),
  });
  if (json)
    return `${JSON.stringify(
      items.map((item, i) => record(item, i + 1)),
      null,
      1,
    )}\n`;
  const header = [
    'rank',
    'group',
    'size',
    'path',
    'pts_seconds',
    ...heads.flatMap((h) => [`predicted_${h}`, `${h}_confidence`, `${h}_agreement`]),
    'uncertainty',
    'reviewed',
  ];
  return (
    csvRow(header) +
    items
      .map((item, i) => {
        const r = record(item, i + 1);
        return csvRow([
          r.rank,
          r.group,
          r.size,
          r.path,
          r.pts_seconds?.toFixed(3),
          ...heads.flatMap((h) => [r.predictions[h]!.label, r.predictions[h]!.confidence, r.predictions[h]!.agreement]),
          r.uncertainty,
          r.reviewed ? 1 : 0,
        ]);
      })
      .join('')
  );
}

/**
 * Groups with at least one frame in the manifest at `path`. The listed manifest must read as one; the
 * --labels file only marks groups when it exists and does.
 */
function reviewedGroups(path: string, groups: readonly ReviewGroup[], mustRead: boolean): Set<string> {
  const reviewed = new Set<string>();
  if (!mustRead && !existsSync(path)) return reviewed;
  let keys: Set<string>;
  try {
    keys = new Set(parseManifest(readFileSync(path, 'utf8'), path).rows.map((r) => frameKey(r.source, r.ptsSeconds)));
  } catch (error) {
    if (mustRead) throw error;
    return reviewed;
  }
  for (const g of groups) if (g.frames.some((f) => keys.has(frameKey(f.source, f.ptsSeconds)))) reviewed.add(g.group);
  return reviewed;
}

export async function runReview(rawInputs: readonly string[], options: ReviewOptions, hooks: ReviewHooks = {}): Promise<number> {
  const notice = hooks.notice ?? ((line: string) => process.stderr.write(`${line}\n`));
  const print = hooks.print ?? ((text: string) => process.stdout.write(text));
  const { inputs, crop: manifestCrop, manifest: listedManifest } = inputsOf(rawInputs, options);
  const modelPath = modelOrBundled(options.model);
  const onlyTimeline = inputs.length === 1 && isTimelineJsonl(inputs[0]!);
  const { card: modelCard } = loadModelCard(modelPath);
  if (!MANIFEST_HEADS.some((h) => modelCard.heads[h])) {
    throw new ModelError(
      `the model card has no ${MANIFEST_HEADS.join(' or ')} head (it has ${Object.keys(modelCard.heads).join(', ')}): review labels those heads`,
    );
  }

  if (options.list) {
    const card = modelCard;
    const crop = options.crop ?? manifestCrop ?? card.crop;
    const model = onlyTimeline ? card : await ModelSession.open(modelPath, { device: options.device, notice });
    try {
      const { groups } = await collect(inputs, model, crop, options, notice);
      const items = reviewOrder(groups);
      const heads = Object.keys(card.heads);
      print(
        formatQueue(items, heads, options.json, reviewedGroups(listedManifest ?? options.labels, groups, listedManifest !== undefined)),
      );
      return ExitCode.ok;
    } finally {
      if (model instanceof ModelSession) await model.close();
    }
  }

  // The labels manifest is read and written as it goes, so it may be the manifest it resumes from,
  // but never a video, picture, timeline or the model.
  checkOutputPlan(
    [...inputs.map((path) => ({ flag: 'input', path })), ...modelInputs(modelPath)],
    [{ flag: '--labels', path: options.labels, kind: 'file' }],
  );
  // Listening before the labels file is touched: Ctrl-C at any point from here on stops the decoders,
  // releases the lock and never cuts a write short.
  const stop = stopRequest(hooks);
  // The lock first: a second reviewer is refused before minutes of classification.
  const labelsPath = resolve(options.labels);
  const created = !existsSync(labelsPath);
  let writer: ManifestWriter;
  try {
    writer = ManifestWriter.open(labelsPath);
  } catch (error) {
    stop.dispose();
    throw error;
  }
  let model: ModelSession | undefined;
  let server: ReviewServer | undefined;
  try {
    model = await openWithCams(modelPath, { device: options.device, notice });
    const card = model.card;
    const crop = options.crop ?? card.crop;
    const started = performance.now();
    const { groups, frames } = await collect(inputs, model, crop, options, notice, from(stop.stopped));
    if (stop.requested) {
      notice('rovlens review: stopped before the page opened; nothing was reviewed');
      if (created && writer.rows().length === 0) rmSync(labelsPath, { force: true });
      return stop.interrupted ? ExitCode.interrupted : ExitCode.ok;
    }
    const items = reviewOrder(groups);
    const labels = labelsOf(card);
    const session = new ReviewSession(items, groups, writer, {
      crop,
      reviewer: options.reviewer ?? defaultReviewer(),
      labels,
      manifestName: options.labels,
    });
    const resumed = session.progress();
    if (!options.quiet) {
      notice(
        `rovlens review: ${frames} frames in ${items.length} groups (${((performance.now() - started) / 1000).toFixed(1)} s); crop ${formatCrop(crop)}` +
          (resumed.groupsReviewed
            ? `; resuming: ${resumed.groupsReviewed} groups (${resumed.framesCovered} frames) already reviewed in ${options.labels}`
            : ''),
      );
    }
    const pictures = new ReviewPictures({ model, crop, displayWidth: options.displayWidth, jpegQuality: options.jpegQuality });
    server = await ReviewServer.start(
      {
        host: options.host,
        port: options.port,
        ...(options.token ? { token: options.token } : {}),
        allowOrigins: options.allowOrigin,
        modelName: card.name,
        labels,
        manifestName: options.labels,
        reviewer: options.reviewer ?? defaultReviewer(),
        notice: options.quiet ? () => undefined : notice,
      },
      session,
      pictures,
    );
    notice(
      `rovlens review: page at ${server.url}${options.token ? '?token=<token>' : ''}; labels saved to ${options.labels} as you go; Ctrl-C stops`,
    );
    hooks.onListening?.(server);
    await stop.stopped;
    const p = session.progress();
    notice(
      `rovlens review: ${p.groupsReviewed} of ${p.groups} groups reviewed (${p.framesCovered} of ${p.frames} frames) in ${options.labels}`,
    );
    return stop.interrupted ? ExitCode.interrupted : ExitCode.ok;
  } catch (error) {
    // A manifest this run created and never wrote to goes again, so a failed start leaves nothing behind.
    if (created && writer.rows().length === 0) rmSync(labelsPath, { force: true });
    throw error;
  } finally {
    stop.dispose();
    await server?.close();
    writer.close();
    await model?.close();
  }
}
