/**
 * The group pipeline: recordings and image folders to results with near-duplicate groups.
 *
 *   video:  decode (ffmpeg: sample + crop + resize) -> skipDuplicates(infer) -> groupFrames
 *   images: read (sharp: crop + resize) -> infer
 *   then, in the runner (src/runners/group.ts): consecutive runs (video) or all-pairs linking of the
 *   images (groupImages) -> scene index (revisits, also across files; SceneCollector) -> groups
 *   -> groups CSV, frames CSV, contact sheets
 *
 * `rovlens clusters` reads its frames through the same stages (clusterVideoResults, imageResults);
 * its runner (src/runners/clusters.ts) keeps one frame per group and clusters their embeddings.
 * The model is optional for `group`: without one, frames are grouped by perceptual hash alone.
 */
import { map, type Observable } from 'rxjs';
import { defaultGrouping, defaultRevisit, defaultSkip, type GroupingOptions, type RevisitOptions } from '../src/config/grouping.js';
import type { RelativeCrop } from '../src/geometry.js';
import type { ModelSession } from '../src/model/session.js';
import { groupFrames } from '../src/operators/group.js';
import { infer } from '../src/operators/infer.js';
import { skipDuplicates, type SkipStats } from '../src/operators/skip-duplicates.js';
import { decodeVideo } from '../src/sources/ffmpeg.js';
import { readImages } from '../src/sources/images.js';
import type { FrameResult, Size } from '../src/types.js';

export interface GroupPipelineOptions extends GroupingOptions, RevisitOptions {
  /** Seconds between sampled video frames (0: every frame). */
  every: number;
  crop: RelativeCrop;
  /** Frames are hashed (and fed to the model) at this size: the model's input size when there is a model. */
  size: Size;
  /** Merge runs that show a scene seen earlier. */
  revisits: boolean;
  batch: number;
  /** Reuse inference on near-duplicates inside a run (video only). */
  skipDuplicates: boolean;
  /** Width of stored thumbnails (contact sheet tiles); 0: none. */
  thumbnailWidth: number;
  /** A recording that ends short of its probed duration: an error (exit 7) or a warning; left out, not checked. */
  truncation?: 'error' | 'warn';
  /** Why a truncated recording is accepted, in its warning (see DecodeOptions). */
  truncationAccepted?: string;
}

export interface GroupContext {
  model?: ModelSession;
  options: GroupPipelineOptions;
}

export function defaultGroupPipelineOptions(overrides: Partial<GroupPipelineOptions> = {}): GroupPipelineOptions {
  return {
    ...defaultGrouping,
    ...defaultRevisit,
    every: 1,
    crop: { widthFraction: 0.67, heightFraction: 1 },
    size: { width: 128, height: 128 },
    revisits: true,
    batch: 8,
    skipDuplicates: true,
    thumbnailWidth: 192,
    ...overrides,
  };
}

/** Results of one video: model results where there is a model, else bare frames; then grouped. */
export function videoResults(input: string, ctx: GroupContext, skip: SkipStats): Observable<FrameResult> {
  const { model, options } = ctx;
  const frames = decodeVideo(input, {
    everySeconds: options.every,
    crop: options.crop,
    outputSize: options.size,
    ...(options.truncation ? { truncation: options.truncation } : {}),
    ...(options.truncationAccepted ? { truncationAccepted: options.truncationAccepted } : {}),
  });
  const results = model
    ? frames.pipe(
        skipDuplicates(
          { hash: options.hash, enabled: options.skipDuplicates, duplicateBits: defaultSkip.duplicateBits, stats: skip },
          infer(model, { batchSize: options.batch, cams: false }),
        ),
      )
    : frames.pipe(map((frame): FrameResult => ({ frame, heads: {} })));
  return results.pipe(groupFrames({ ...options, useEmbeddings: true }));
}

/**
 * Results of image files, in order: model results where there is a model, else bare frames. An image
 * that cannot be read goes to `onUnreadable` and the others go on; without it, the stream fails.
 */
export function imageResults(
  paths: readonly string[],
  stages: { model?: ModelSession; crop: RelativeCrop; size: Size; batch: number; onUnreadable?: (path: string, message: string) => void },
): Observable<FrameResult> {
  const frames = readImages(paths, {
    crop: stages.crop,
    outputSize: stages.size,
    ...(stages.onUnreadable ? { onUnreadable: stages.onUnreadable } : {}),
  });
  return stages.model
    ? frames.pipe(infer(stages.model, { batchSize: stages.batch, cams: false }))
    : frames.pipe(map((frame): FrameResult => ({ frame, heads: {} })));
}

/**
 * Results of one video for `rovlens clusters`, grouped: with `dedupe`, a near-duplicate of the last
 * inferred frame reuses its result (the runner keeps only each group's first frame anyway).
 */
export function clusterVideoResults(
  input: string,
  model: ModelSession,
  stages: {
    every: number;
    crop: RelativeCrop;
    batch: number;
    dedupe: boolean;
    grouping: GroupingOptions;
    truncation?: 'error' | 'warn';
  },
): Observable<FrameResult> {
  const size = { width: model.card.input.width, height: model.card.input.height };
  return decodeVideo(input, {
    everySeconds: stages.every,
    crop: stages.crop,
    outputSize: size,
    ...(stages.truncation ? { truncation: stages.truncation } : {}),
  }).pipe(
    skipDuplicates({ hash: stages.grouping.hash, enabled: stages.dedupe }, infer(model, { batchSize: stages.batch, cams: false })),
    groupFrames(stages.grouping),
  );
}
