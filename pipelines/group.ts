/**
 * The group pipeline: recordings and image folders to near-duplicate groups, across files.
 *
 *   video:  decode (ffmpeg: sample + crop + resize) -> skipDuplicates(infer) -> groupFrames
 *           -> consecutive runs -> scene index (revisits, also across files) -> groups
 *   images: read (sharp: crop + resize) -> infer -> all-pairs linking (groupImages)
 *           -> linked sets -> the same scene index -> groups
 *
 * The model is optional: without one, frames are grouped by perceptual hash alone.
 * Memory: per frame a small record (~150 bytes); per run its hashes and a running embedding sum;
 * per scene SceneIndex.bytesPerScene; per group one thumbnail JPEG (~10 kB). Pixels are not kept.
 */
import { DecodeError, ExitCode, InputError } from '../src/errors.js';
import { extname } from 'node:path';
import { existsSync, statSync } from 'node:fs';
import { concatMap, lastValueFrom, map, toArray, type Observable } from 'rxjs';
import sharp from 'sharp';
import { defaultGrouping, defaultRevisit, defaultSkip, type GroupingOptions, type RevisitOptions } from '../src/config/grouping.js';
import type { RelativeCrop } from '../src/geometry.js';
import type { ModelSession } from '../src/model/session.js';
import { groupFrames } from '../src/operators/group.js';
import { infer } from '../src/operators/infer.js';
import { skipDuplicates, type SkipStats } from '../src/operators/skip-duplicates.js';
import { frameHash } from '../src/similarity/frame-hash.js';
import { groupImages } from '../src/similarity/group-images.js';
import { hashToHex } from '../src/similarity/hash.js';
import { SceneIndex, sceneSignature } from '../src/similarity/scene-index.js';
import { normalized } from '../src/similarity/vector.js';
import type { FrameRecord, GroupRecord } from '../src/sinks/groups-csv.js';
import { frameToJpeg } from '../src/sinks/contact-sheet.js';
import { decodeVideo } from '../src/sources/ffmpeg.js';
import { IMAGE_EXTENSIONS, listImages, readImageFrame, readImages } from '../src/sources/images.js';
import type { Frame, FrameResult, Size } from '../src/types.js';

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
}

export interface GroupContext {
  model?: ModelSession;
  options: GroupPipelineOptions;
  /** Called once per input as it finishes. */
  onInput?: (input: string, frames: number) => void;
  /** Called for an input (video or image) that cannot be read; without it, the run fails on it. */
  onSkip?: (input: string, message: string, exitCode: number) => void;
}

export interface GroupingReport {
  frames: FrameRecord[];
  groups: GroupRecord[];
  skip: SkipStats;
  /** Bytes the scene index holds, to size archives. */
  indexBytes: number;
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

/** Folders and image files are read as images; everything else goes to ffmpeg. */
export function isImageInput(path: string): boolean {
  if (existsSync(path) && statSync(path).isDirectory()) return true;
  return (IMAGE_EXTENSIONS as readonly string[]).includes(extname(path).slice(1).toLowerCase());
}

interface Member {
  record: FrameRecord;
  hash: bigint;
}

/** Collects runs (segments) and merges them into groups through the scene index. */
class SceneCollector {
  readonly frames: FrameRecord[] = [];
  readonly groups: GroupRecord[] = [];
  private readonly index: SceneIndex | undefined;
  private segmentCount = 0;
  private readonly groupOfScene = new Map<number, GroupRecord>();
  private embeddingLength = 0;

  constructor(options: GroupPipelineOptions) {
    if (options.revisits) this.index = new SceneIndex({ hashBits: options.revisitHashBits, minCosine: options.revisitMinCosine });
  }

  get indexBytes(): number {
    return this.index ? this.index.size * SceneIndex.bytesPerScene(this.embeddingLength) : 0;
  }

  /** One finished run: its members in order, their embedding sum, the thumbnail of its first member. */
  addSegment(members: Member[], embeddingSum: Float32Array | undefined, thumbnail: Buffer | undefined): void {
    if (!members.length) return;
    const segmentId = this.segmentCount++;
    if (embeddingSum) this.embeddingLength = embeddingSum.length;
    const signature = { ...sceneSignature(members), ...(embeddingSum ? { embedding: normalized(embeddingSum) } : {}) };
    const sceneId = this.index ? this.index.assign(signature).sceneId : segmentId;
    let group = this.groupOfScene.get(sceneId);
    const first = members[0]!.record;
    const last = members[members.length - 1]!.record;
    const place = (r: FrameRecord) => ({ sourceId: r.sourceId, index: r.index, ptsSeconds: r.ptsSeconds });
    if (!group) {
      group = {
        groupId: this.groups.length,
        members: 0,
        segments: 0,
        sources: [],
        first: place(first),
        last: place(last),
        representative: place(first),
        ...(thumbnail ? { thumbnail } : {}),
      };
      this.groups.push(group);
      this.groupOfScene.set(sceneId, group);
    }
    group.members += members.length;
    group.segments++;
    group.last = place(last);
    for (const m of members) if (!group.sources.includes(m.record.sourceId)) group.sources.push(m.record.sourceId);
    for (const m of members) {
      m.record.segmentId = segmentId;
      m.record.groupId = group.groupId;
      this.frames.push(m.record);
    }
  }
}

function thumbnail(frame: Frame, width: number): Promise<Buffer> {
  if (frame.width <= width) return frameToJpeg(frame, 85);
  return sharp(Buffer.from(frame.pixels.buffer, frame.pixels.byteOffset, frame.pixels.byteLength), {
    raw: { width: frame.width, height: frame.height, channels: 3 },
  })
    .resize({ width })
    .jpeg({ quality: 85 })
    .toBuffer();
}

const unitAdd = (sum: Float32Array | undefined, embedding: Float32Array | undefined): Float32Array | undefined => {
  if (!embedding) return sum;
  const unit = normalized(embedding);
  const out = sum ?? new Float32Array(unit.length);
  for (let i = 0; i < unit.length; i++) out[i]! += unit[i]!;
  return out;
};

/** Results of one video: model results where there is a model, else bare frames; then grouped. */
export function videoResults(input: string, ctx: GroupContext, skip: SkipStats): Observable<FrameResult> {
  const { model, options } = ctx;
  const frames = decodeVideo(input, { everySeconds: options.every, crop: options.crop, outputSize: options.size });
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

async function groupVideo(input: string, ctx: GroupContext, collector: SceneCollector, skip: SkipStats): Promise<number> {
  let members: Member[] = [];
  let sum: Float32Array | undefined;
  let thumb: Buffer | undefined;
  let openId = -1;
  let count = 0;
  const close = () => {
    collector.addSegment(members, sum, thumb);
    members = [];
    sum = undefined;
    thumb = undefined;
  };
  await lastValueFrom(
    videoResults(input, ctx, skip).pipe(
      concatMap(async (result) => {
        const g = result.group!;
        if (g.groupId !== openId) {
          close();
          openId = g.groupId;
          thumb = ctx.options.thumbnailWidth > 0 ? await thumbnail(result.frame, ctx.options.thumbnailWidth) : undefined;
        }
        count++;
        const { frame } = result;
        members.push({
          hash: frameHash(frame, ctx.options.hash),
          record: {
            sourceId: frame.sourceId,
            index: frame.index,
            ptsSeconds: frame.ptsSeconds,
            segmentId: -1,
            groupId: -1,
            ...(g.duplicateOf !== undefined ? { duplicateOf: g.duplicateOf } : {}),
            reused: g.reused,
            hash: g.hash!,
          },
        });
        sum = unitAdd(sum, result.embedding);
      }),
    ),
    { defaultValue: undefined },
  );
  close();
  return count;
}

async function groupImageInputs(inputs: string[], ctx: GroupContext, collector: SceneCollector): Promise<number> {
  const { model, options } = ctx;
  const paths = await listImages(inputs);
  // An unreadable image is skipped and said, as timeline does with a bad video; the others go on.
  const frames = readImages(paths, {
    crop: options.crop,
    outputSize: options.size,
    ...(ctx.onSkip ? { onUnreadable: (path: string, message: string) => ctx.onSkip!(path, message, ExitCode.inputInvalid) } : {}),
  });
  const results = model
    ? frames.pipe(infer(model, { batchSize: options.batch, cams: false }))
    : frames.pipe(map((frame): FrameResult => ({ frame, heads: {} })));
  // Each item keeps its image's place in `paths` (skipped images leave gaps).
  const items: { at: number; hash: bigint; embedding?: Float32Array }[] = [];
  await lastValueFrom(
    results.pipe(
      map((r) => {
        items.push({ at: r.frame.index, hash: frameHash(r.frame, options.hash), ...(r.embedding ? { embedding: r.embedding } : {}) });
        ctx.onInput?.(r.frame.sourceId, 1);
      }),
    ),
    { defaultValue: undefined },
  );
  const ids = groupImages(items, options);
  const byGroup = new Map<number, number[]>();
  ids.forEach((id, i) => byGroup.set(id, [...(byGroup.get(id) ?? []), i]));
  for (const members of byGroup.values()) {
    const first = members[0]!;
    // Images are re-read for the representative's thumbnail rather than kept in memory.
    const thumb =
      options.thumbnailWidth > 0
        ? await thumbnail(
            await readImageFrame(paths[items[first]!.at]!, items[first]!.at, { crop: options.crop, outputSize: options.size }),
            options.thumbnailWidth,
          )
        : undefined;
    let sum: Float32Array | undefined;
    for (const i of members) sum = unitAdd(sum, items[i]!.embedding);
    collector.addSegment(
      members.map((i) => ({
        hash: items[i]!.hash,
        record: {
          sourceId: paths[items[i]!.at]!,
          index: items[i]!.at,
          ptsSeconds: 0,
          segmentId: -1,
          groupId: -1,
          ...(i !== first ? { duplicateOf: items[first]!.at } : {}),
          reused: false,
          hash: hashToHex(items[i]!.hash),
        },
      })),
      sum,
      thumb,
    );
  }
  return paths.length;
}

/** Groups every input together: images first (as one set), then videos in order. */
export async function groupInputs(inputs: readonly string[], ctx: GroupContext): Promise<GroupingReport> {
  const collector = new SceneCollector(ctx.options);
  const skip: SkipStats = { frames: 0, inferred: 0, reused: 0 };
  const images = inputs.filter(isImageInput);
  if (images.length) await groupImageInputs(images, ctx, collector);
  for (const input of inputs.filter((i) => !isImageInput(i))) {
    let frames: number;
    try {
      frames = await groupVideo(input, ctx, collector, skip);
    } catch (error) {
      // A video that is missing, not video, or stops part-way is skipped and said; the others go on.
      if (!ctx.onSkip || !(error instanceof InputError || error instanceof DecodeError)) throw error;
      ctx.onSkip(input, error.message, error.exitCode);
      continue;
    }
    ctx.onInput?.(input, frames);
  }
  return { frames: collector.frames, groups: collector.groups, skip, indexBytes: collector.indexBytes };
}

/**
 * Near-duplicate group ids for image files, for group-aware train/validation splits
 * (see splitByGroup in src/similarity/group-images.ts). Hash only unless a model is given.
 */
export async function groupImageFiles(
  paths: readonly string[],
  options: { model?: ModelSession; crop?: RelativeCrop; size?: Size; hashBits?: number; minCosine?: number } = {},
): Promise<Int32Array> {
  const collector = new SceneCollector(defaultGroupPipelineOptions({ revisits: false }));
  const ctx: GroupContext = {
    ...(options.model ? { model: options.model } : {}),
    options: defaultGroupPipelineOptions({
      revisits: false,
      ...(options.crop ? { crop: options.crop } : {}),
      size:
        options.size ??
        (options.model ? { width: options.model.card.input.width, height: options.model.card.input.height } : { width: 128, height: 128 }),
      ...(options.hashBits !== undefined ? { hashBits: options.hashBits } : {}),
      ...(options.minCosine !== undefined ? { minCosine: options.minCosine } : {}),
      thumbnailWidth: 0,
    }),
  };
  await groupImageInputs([...paths], ctx, collector);
  const ids = new Int32Array(paths.length);
  for (const f of collector.frames) ids[f.index] = f.groupId;
  return ids;
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
}

/** Frames (or images) with their embeddings and predictions, for clustering; one per group when deduplicating. */
export async function collectForClusters(
  inputs: readonly string[],
  model: ModelSession,
  options: CollectOptions,
): Promise<{ items: ClusterItem[]; seen: number; kept: number }> {
  const size = { width: model.card.input.width, height: model.card.input.height };
  const items: ClusterItem[] = [];
  let seen = 0;
  let kept = 0;
  let groupBase = 0;
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
      thumbnail: await thumbnail(r.frame, options.thumbnailWidth),
    });
  };
  const images = inputs.filter(isImageInput);
  if (images.length) {
    const results = await lastValueFrom(
      readImages(await listImages(images), { crop: options.crop, outputSize: size }).pipe(
        infer(model, { batchSize: options.batch, cams: false }),
        toArray(),
      ),
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
    await lastValueFrom(
      decodeVideo(input, { everySeconds: options.every, crop: options.crop, outputSize: size }).pipe(
        skipDuplicates({ hash: options.grouping.hash, enabled: options.dedupe }, infer(model, { batchSize: options.batch, cams: false })),
        groupFrames(options.grouping),
        concatMap(async (r) => {
          seen++;
          const groupId = groupBase + r.group!.groupId;
          top = Math.max(top, groupId + 1);
          if (options.dedupe && r.group!.duplicateOf !== undefined) return;
          await keep(r, groupId);
        }),
      ),
      { defaultValue: undefined },
    );
    groupBase = top;
  }
  return { items, seen, kept };
}
