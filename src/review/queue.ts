/**
 * What a review is made of: the near-duplicate groups of recordings and image folders with each
 * frame's predictions, from a run of the model (recordings: sampled, near-duplicates reuse inference,
 * consecutive grouping; images: all-pairs linking), or read back from a `rovlens timeline --format
 * jsonl` file (no model run).
 */
import { existsSync, readFileSync, statSync } from 'node:fs';
import { dirname, extname, resolve } from 'node:path';
import { concatMap, lastValueFrom, map } from 'rxjs';
import { defaultGrouping, defaultSkip } from '../config/grouping.js';
import { InputError } from '../errors.js';
import type { RelativeCrop } from '../geometry.js';
import type { ModelSession } from '../model/session.js';
import { groupFrames } from '../operators/group.js';
import { infer } from '../operators/infer.js';
import { frameHash, skipDuplicates } from '../operators/skip-duplicates.js';
import { groupImages } from '../similarity/group-images.js';
import { decodeVideo } from '../sources/ffmpeg.js';
import { IMAGE_EXTENSIONS, listImages, readImages } from '../sources/images.js';
import { checkInputFile } from '../sources/probe.js';
import type { FrameResult } from '../types.js';
import type { ReviewFrame, ReviewGroup, ReviewPrediction } from './order.js';

export interface CollectOptions {
  /** Seconds between sampled video frames (0: every frame). */
  everySeconds: number;
  crop: RelativeCrop;
  batch: number;
  /** Called as frames are classified, with the count so far. */
  onProgress?: (frames: number) => void;
}

export interface ReviewInput {
  groups: ReviewGroup[];
  /** Frames over all groups. */
  frames: number;
}

/** Folders and image files are read as images; everything else goes to ffmpeg. */
export function isImageInput(path: string): boolean {
  if (existsSync(path) && statSync(path).isDirectory()) return true;
  return (IMAGE_EXTENSIONS as readonly string[]).includes(extname(path).slice(1).toLowerCase());
}

export function isTimelineJsonl(path: string): boolean {
  return /\.jsonl$/i.test(path);
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
  const groups: ReviewGroup[] = [];
  let frames = 0;
  const images = inputs.filter(isImageInput);
  const videos = inputs.filter((i) => !isImageInput(i));
  for (const video of videos) checkInputFile(video);

  for (const video of videos) {
    const source = resolve(video);
    const byRunGroup = new Map<number, ReviewFrame[]>();
    await lastValueFrom(
      decodeVideo(video, { everySeconds: options.everySeconds, crop: options.crop, outputSize: size }).pipe(
        skipDuplicates(
          { hash: defaultGrouping.hash, enabled: true, duplicateBits: defaultSkip.duplicateBits },
          infer(model, { batchSize: options.batch, cams: false }),
        ),
        groupFrames({ ...defaultGrouping, useEmbeddings: true }),
        map((result) => {
          const id = result.group!.groupId;
          const members = byRunGroup.get(id) ?? [];
          if (!members.length) byRunGroup.set(id, members);
          members.push({ source, ptsSeconds: Number(result.frame.ptsSeconds.toFixed(3)), predictions: predictionsOf(result) });
          options.onProgress?.(++frames);
        }),
      ),
      { defaultValue: undefined },
    );
    for (const members of byRunGroup.values()) groups.push({ group: String(groups.length), frames: members });
  }

  if (images.length) {
    const paths = await listImages(images);
    const results: FrameResult[] = [];
    await lastValueFrom(
      readImages(paths, { crop: options.crop, outputSize: size }).pipe(
        infer(model, { batchSize: options.batch, cams: false }),
        concatMap(async (r) => {
          results.push(r);
          options.onProgress?.(++frames);
        }),
      ),
      { defaultValue: undefined },
    );
    const ids = groupImages(
      results.map((r) => ({ hash: frameHash(r.frame, defaultGrouping.hash), ...(r.embedding ? { embedding: r.embedding } : {}) })),
      defaultGrouping,
    );
    const byLinkedSet = new Map<number, ReviewFrame[]>();
    results.forEach((r, i) => {
      const members = byLinkedSet.get(ids[i]!) ?? [];
      if (!members.length) byLinkedSet.set(ids[i]!, members);
      members.push({ source: resolve(paths[i]!), predictions: predictionsOf(r) });
    });
    for (const members of byLinkedSet.values()) groups.push({ group: String(groups.length), frames: members });
  }
  return { groups, frames };
}

interface TimelineRecord {
  source?: unknown;
  ptsSeconds?: unknown;
  heads?: Record<string, { probabilities?: Record<string, number>; label?: string; confidence?: number }>;
  group?: { groupId?: unknown };
}

/**
 * Groups from a `rovlens timeline --format jsonl` file: its frames, predictions and group ids as the
 * timeline found them. A source is looked up as written, then beside the timeline file.
 */
export function readTimelineGroups(path: string, labels: Record<string, readonly string[]>): ReviewInput {
  if (!existsSync(path)) throw new InputError(`${path} does not exist`, 'missing');
  const text = readFileSync(path, 'utf8');
  const byGroup = new Map<string, ReviewFrame[]>();
  const located = new Map<string, string>();
  let frames = 0;
  text.split('\n').forEach((line, i) => {
    if (!line.trim()) return;
    const bad = (what: string) => new InputError(`${path}: line ${i + 1}: ${what} (expected the JSON lines of rovlens timeline --format jsonl)`);
    let record: TimelineRecord;
    try {
      record = JSON.parse(line) as TimelineRecord;
    } catch {
      throw bad('not JSON');
    }
    if (typeof record.source !== 'string' || typeof record.ptsSeconds !== 'number') throw bad('no source or ptsSeconds');
    if (!record.group || typeof record.group.groupId !== 'number') throw bad('no group (was the timeline written with grouping on?)');
    let source = located.get(record.source);
    if (!source) {
      const candidates = [resolve(record.source), resolve(dirname(path), record.source)];
      source = candidates.find((c) => existsSync(c));
      if (!source) throw new InputError(`${path}: its recording ${record.source} is not found (looked in ${candidates.join(', ')})`, 'missing');
      located.set(record.source, source);
    }
    const predictions: Record<string, ReviewPrediction> = {};
    for (const [head, p] of Object.entries(record.heads ?? {})) {
      if (!labels[head]) continue;
      // The top class from the raw probabilities: the record's label may say 'uncertain'.
      const probabilities = Object.entries(p.probabilities ?? {});
      const top = probabilities.sort((a, b) => b[1] - a[1])[0];
      if (!top) throw bad(`head ${head} has no probabilities`);
      if (!labels[head]!.includes(top[0])) {
        throw new InputError(`${path}: line ${i + 1}: ${head} '${top[0]}' is not a label of the model card (${labels[head]!.join(', ')}): was the timeline made with another model? pass it with --model`);
      }
      predictions[head] = { label: top[0], confidence: top[1] };
    }
    const key = String(record.group.groupId);
    const members = byGroup.get(key) ?? [];
    if (!members.length) byGroup.set(key, members);
    members.push({ source, ptsSeconds: Number(record.ptsSeconds.toFixed(3)), predictions });
    frames++;
  });
  if (frames === 0) throw new InputError(`${path} holds no frames`);
  return { groups: [...byGroup.entries()].map(([group, members]) => ({ group, frames: members })), frames };
}
