/**
 * The review pipeline: what a review is made of, and the pictures its page shows.
 *
 *   recordings:  decode (ffmpeg: sample + crop + resize) -> skipDuplicates(infer) -> groupFrames
 *                -> each frame's predictions, by near-duplicate group
 *   images:      read (sharp: crop + resize) -> infer -> all-pairs linking (groupImages) -> groups
 *   a picture:   one frame (ffmpeg seek, or the image), whole, scaled to the display width; with the
 *                heatmap: crop-resize -> infer -> gradCam -> rendered over the part the model sees
 *
 * Group ids count up over all inputs. Pictures are made on demand and kept in a small cache, so a long
 * dive costs no memory up front.
 */
import { resolve } from 'node:path';
import { concatMap, lastValueFrom, map, NEVER, of, take, takeUntil, type Observable } from 'rxjs';
import sharp from 'sharp';
import { defaultGrouping, type GroupingOptions } from '../src/config/grouping.js';
import { renderAnnotated } from '../src/explain/render.js';
import type { RelativeCrop } from '../src/geometry.js';
import type { ModelSession } from '../src/model/session.js';
import { cropResizeFrame } from '../src/operators/crop-resize.js';
import { gradCam } from '../src/operators/grad-cam.js';
import { infer } from '../src/operators/infer.js';
import { frameHash } from '../src/operators/skip-duplicates.js';
import { EmbeddingMean, type ReviewFrame, type ReviewGroup, type ReviewPrediction } from '../src/review/order.js';
import type { ReviewInput } from '../src/review/timeline-groups.js';
import { groupImages } from '../src/similarity/group-images.js';
import { frameToJpeg } from '../src/sinks/contact-sheet.js';
import { decodeVideo } from '../src/sources/ffmpeg.js';
import { isImageInput, listImages, readImageFrame, readImages } from '../src/sources/images.js';
import { checkInputFile } from '../src/sources/probe.js';
import type { Frame, FrameResult } from '../src/types.js';
import { defaultGroupPipelineOptions, videoResults } from './group.js';

export interface CollectOptions {
  /** Seconds between sampled video frames (0: every frame). */
  everySeconds: number;
  crop: RelativeCrop;
  batch: number;
  /** Near-duplicate thresholds over the defaults (those of `rovlens timeline` and `group`). */
  grouping?: Partial<GroupingOptions>;
  /** Called as frames are classified, with the count so far. */
  onProgress?: (frames: number) => void;
  /** Stops classifying when it emits (Ctrl-C): decoders are stopped, what was classified is returned. */
  until?: Observable<unknown>;
}

/** The top class of each head, whatever its uncertainty threshold made of the label. */
function predictionsOf(result: FrameResult): Record<string, ReviewPrediction> {
  return Object.fromEntries(
    Object.entries(result.heads).map(([head, p]) => [head, { label: p.labels[p.topIndex]!, confidence: p.probabilities[p.topIndex]! }]),
  );
}

/** Runs the model over recordings and image folders and groups their frames; group ids count up over all inputs. */
export async function collectReviewGroups(inputs: readonly string[], model: ModelSession, options: CollectOptions): Promise<ReviewInput> {
  const size = { width: model.card.input.width, height: model.card.input.height };
  const grouping: GroupingOptions = { ...defaultGrouping, ...options.grouping };
  const groups: ReviewGroup[] = [];
  const until = options.until ?? NEVER;
  let frames = 0;
  const images = inputs.filter(isImageInput);
  const videos = inputs.filter((i) => !isImageInput(i));
  for (const video of videos) checkInputFile(video);
  const skipStats = { frames: 0, inferred: 0, reused: 0 };

  for (const video of videos) {
    const source = resolve(video);
    const byRunGroup = new Map<number, { frames: ReviewFrame[]; embedding: EmbeddingMean }>();
    await lastValueFrom(
      // The consecutive runs of `rovlens group` (and the timeline's group ids), before revisits are merged.
      videoResults(
        video,
        {
          model,
          options: defaultGroupPipelineOptions({
            ...grouping,
            every: options.everySeconds,
            crop: options.crop,
            size,
            batch: options.batch,
            // A truncated recording is reviewed for what it holds, with a warning that it ends early.
            truncation: 'warn',
            truncationAccepted: 'its frames up to there are reviewed',
          }),
        },
        skipStats,
      ).pipe(
        map((result) => {
          const id = result.group!.groupId;
          let members = byRunGroup.get(id);
          if (!members) byRunGroup.set(id, (members = { frames: [], embedding: new EmbeddingMean() }));
          members.frames.push({ source, ptsSeconds: Number(result.frame.ptsSeconds.toFixed(3)), predictions: predictionsOf(result) });
          if (result.embedding) members.embedding.add(result.embedding);
          frames++;
          options.onProgress?.(frames);
        }),
        takeUntil(until),
      ),
      { defaultValue: undefined },
    );
    for (const { frames, embedding } of byRunGroup.values()) groups.push(reviewGroup(String(groups.length), frames, embedding));
  }

  if (images.length) {
    const paths = await listImages(images);
    const results: FrameResult[] = [];
    await lastValueFrom(
      readImages(paths, { crop: options.crop, outputSize: size }).pipe(
        infer(model, { batchSize: options.batch, cams: false }),
        concatMap(async (r) => {
          results.push(r);
          frames++;
          options.onProgress?.(frames);
        }),
        takeUntil(until),
      ),
      { defaultValue: undefined },
    );
    const ids = groupImages(
      results.map((r) => ({ hash: frameHash(r.frame, grouping.hash), ...(r.embedding ? { embedding: r.embedding } : {}) })),
      grouping,
    );
    const byLinkedSet = new Map<number, { frames: ReviewFrame[]; embedding: EmbeddingMean }>();
    results.forEach((r, i) => {
      let members = byLinkedSet.get(ids[i]!);
      if (!members) byLinkedSet.set(ids[i]!, (members = { frames: [], embedding: new EmbeddingMean() }));
      members.frames.push({ source: resolve(paths[i]!), predictions: predictionsOf(r) });
      if (r.embedding) members.embedding.add(r.embedding);
    });
    for (const { frames, embedding } of byLinkedSet.values()) groups.push(reviewGroup(String(groups.length), frames, embedding));
  }
  return { groups, frames };
}

/** A group with its mean embedding where its frames had one (the review order's representativeness). */
function reviewGroup(group: string, frames: ReviewFrame[], embedding: EmbeddingMean): ReviewGroup {
  const mean = embedding.value();
  return { group, frames, ...(mean ? { embedding: mean } : {}) };
}

export interface PictureOptions {
  model: ModelSession;
  crop: RelativeCrop;
  displayWidth: number;
  jpegQuality: number;
  /** Pictures kept (plain and heatmap count separately). */
  cacheSize?: number;
}

export class ReviewPictures {
  private readonly cache = new Map<string, Promise<Buffer>>();

  constructor(private readonly options: PictureOptions) {}

  /** JPEG of the frame; with `heat`, the element heatmap (Grad-CAM) blended over the model's crop. */
  picture(frame: ReviewFrame, heat: boolean): Promise<Buffer> {
    const key = `${heat ? 'heat' : 'plain'}:${frame.source}@${frame.ptsSeconds ?? ''}`;
    let cached = this.cache.get(key);
    if (cached) {
      // Most recently used last, so the oldest goes first.
      this.cache.delete(key);
      this.cache.set(key, cached);
      return cached;
    }
    cached = this.render(frame, heat);
    // A failure is not cached: the next request tries again.
    cached.catch(() => this.cache.delete(key));
    this.cache.set(key, cached);
    while (this.cache.size > (this.options.cacheSize ?? 24)) this.cache.delete(this.cache.keys().next().value!);
    return cached;
  }

  private async render(frame: ReviewFrame, heat: boolean): Promise<Buffer> {
    const display = await this.displayFrame(frame);
    if (!heat) return frameToJpeg(display, this.options.jpegQuality);
    const { model, crop } = this.options;
    const size = { width: model.card.input.width, height: model.card.input.height };
    const result = await lastValueFrom(
      of(await cropResizeFrame(display, crop, size)).pipe(infer(model, { batchSize: 1 }), gradCam({ fallback: 'none' })),
    );
    return renderAnnotated(display, result, {
      jpegQuality: this.options.jpegQuality,
      minWidthPixels: display.width,
      maxWidthPixels: Math.max(64, display.width),
    });
  }

  /** The whole frame, scaled down to the display width (never up). */
  private async displayFrame(frame: ReviewFrame): Promise<Frame> {
    const width = this.options.displayWidth;
    if (frame.ptsSeconds !== undefined) {
      // Times are kept to the millisecond: seeking half a millisecond early lands on the frame itself,
      // not the one after it, when rounding moved its time up.
      const startSeconds = Math.max(0, frame.ptsSeconds - 0.0005);
      return lastValueFrom(decodeVideo(frame.source, { startSeconds, fitWidth: width }).pipe(take(1)));
    }
    const full = await readImageFrame(frame.source, 0);
    if (full.width <= width) return full;
    const height = Math.max(1, Math.round((full.height * width) / full.width));
    const { data } = await sharp(full.pixels, { raw: { width: full.width, height: full.height, channels: 3 } })
      .resize(width, height, { fit: 'fill' })
      .raw()
      .toBuffer({ resolveWithObject: true });
    return { ...full, width, height, pixels: new Uint8Array(data.buffer, data.byteOffset, data.byteLength) };
  }
}
