/**
 * One `rovlens group` run: the model (optional), every input through the stages of
 * pipelines/group.ts, their runs collected into groups (revisits merged across files by the scene
 * collector), then the groups CSV, frames CSV and contact sheets, and a summary line.
 * Memory: per frame a small record (~150 bytes); per run its hashes and a running embedding sum;
 * per scene SceneIndex.bytesPerScene; per group one thumbnail JPEG (~10 kB). Pixels are not kept.
 */
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { lastValueFrom, map } from 'rxjs';
import type { GroupCommandOptions } from '../config/grouping.js';
import { cropSchema } from '../config/timeline.js';
import { DecodeError, ExitCode, InputError, OutputError, UsageError } from '../errors.js';
import { DEFAULT_MODEL } from '../paths.js';
import { ModelSession } from '../model/session.js';
import { bundledModelIfPresent } from '../model/bundled.js';
import type { SkipStats } from '../operators/skip-duplicates.js';
import { frameHash } from '../similarity/frame-hash.js';
import { groupImages } from '../similarity/group-images.js';
import { hashToHex } from '../similarity/hash.js';
import { SceneCollector, type RunMember } from '../similarity/scene-collector.js';
import { addUnit } from '../similarity/vector.js';
import { frameThumbnail } from '../sinks/contact-sheet.js';
import { writeFramesCsv, writeGroupSheets, writeGroupsCsv } from '../sinks/groups-csv.js';
import { isImageInput, listImages, readImageFrame } from '../sources/images.js';
import type { FrameRecord, GroupRecord } from '../types.js';
import { defaultGroupPipelineOptions, imageResults, videoResults, type GroupContext } from '../../pipelines/group.js';
import { drain } from './drain.js';
import { checkOutputPlan, modelInputs } from './output-plan.js';

export async function runGroup(inputs: string[], options: GroupCommandOptions): Promise<number> {
  const crop = options.crop === undefined ? undefined : parseCrop(options.crop);
  // Said before decoding: an output that is an input, or a folder that cannot take the files.
  checkOutputPlan(
    [...inputs.map((path) => ({ flag: 'input', path })), ...(options.embeddings ? modelInputs(options.model ?? DEFAULT_MODEL) : [])],
    [{ flag: '-o', path: options.output, kind: 'folder', files: ['groups.csv', 'frames.csv'].map((f) => join(options.output, f)) }],
  );
  const model = await openModel(options);
  try {
    const size = model ? { width: model.card.input.width, height: model.card.input.height } : { width: options.size, height: options.size };
    const pipelineOptions = defaultGroupPipelineOptions({
      ...options,
      crop: crop ?? model?.card.crop ?? defaultGroupPipelineOptions().crop,
      size,
      thumbnailWidth: options.tileWidth,
      truncation: options.allowTruncated ? 'warn' : 'error',
    });
    try {
      mkdirSync(options.output, { recursive: true });
    } catch (error) {
      throw new OutputError(`cannot create ${options.output}: ${(error as NodeJS.ErrnoException).code ?? (error as Error).message}`);
    }
    const started = performance.now();
    // A bad input is said in one line and skipped, as timeline does; the exit code is the worst one's.
    let skipped = 0;
    let exitCode: number = ExitCode.ok;
    const onSkip = (input: string, message: string, code: number, kept = 0) => {
      // A recording that stopped part-way keeps what was decoded: it is not skipped, but it still fails the run.
      if (!kept) skipped++;
      exitCode = Math.max(exitCode, code);
      const line = message.includes(input) ? message : `${input}: ${message}`;
      process.stderr.write(`rovlens: ${line}${kept ? `; its ${kept} decoded frame(s) are grouped` : ' (skipped)'}\n`);
    };
    const report = await groupInputs(inputs, { ...(model ? { model } : {}), options: pipelineOptions, onSkip });
    writeGroupsCsv(join(options.output, 'groups.csv'), report.groups);
    writeFramesCsv(join(options.output, 'frames.csv'), report.frames);
    const sheets = await writeGroupSheets(options.output, report.groups, {
      columns: options.sheetColumns,
      tileWidth: options.tileWidth,
      maxTiles: options.maxTiles,
    });
    if (!options.quiet) {
      const seconds = (performance.now() - started) / 1000;
      const merged = report.groups.reduce((n, g) => n + g.segments - 1, 0);
      const saved = report.skip.frames
        ? `; model run on ${report.skip.inferred}, reused on ${report.skip.reused} (${Math.round((100 * report.skip.reused) / report.skip.frames)} % of inference saved)`
        : '';
      process.stderr.write(
        `rovlens: ${report.frames.length} frames from ${inputs.length} input(s)${skipped ? ` (${skipped} skipped)` : ''} -> ${report.groups.length} groups (${merged} revisits merged)${saved}; ` +
          `${model ? 'hash + embedding' : 'hash only'}; ${seconds.toFixed(1)} s; wrote ${join(options.output, 'groups.csv')}, frames.csv, ${sheets.length} contact sheet(s)\n`,
      );
    }
    return exitCode;
  } finally {
    await model?.close();
  }
}

function parseCrop(text: string) {
  const parsed = cropSchema.safeParse(text);
  if (!parsed.success) throw new UsageError(`--crop: ${parsed.error.issues[0]!.message}`);
  return parsed.data;
}

async function openModel(options: GroupCommandOptions): Promise<ModelSession | undefined> {
  if (!options.embeddings) return undefined;
  if (options.model) return ModelSession.open(options.model);
  const bundled = bundledModelIfPresent();
  if (bundled) return ModelSession.open(bundled);
  if (!options.quiet)
    process.stderr.write('rovlens: the bundled model is missing; grouping by perceptual hash only (pass --model for embeddings)\n');
  return undefined;
}

export interface GroupRunContext extends GroupContext {
  /** Called once per input as it finishes. */
  onInput?: (input: string, frames: number) => void;
  /**
   * Called for an input (video or image) that cannot be read, or a video that stopped part-way (with
   * the frames decoded before, which are grouped); without it, the run fails on it.
   */
  onSkip?: (input: string, message: string, exitCode: number, keptFrames?: number) => void;
}

export interface GroupingReport {
  frames: FrameRecord[];
  groups: GroupRecord[];
  skip: SkipStats;
  /** Bytes the scene index holds, to size archives. */
  indexBytes: number;
}

/** Groups every input together: images first (as one set), then videos in order. */
export async function groupInputs(inputs: readonly string[], ctx: GroupRunContext): Promise<GroupingReport> {
  const { options } = ctx;
  const collector = new SceneCollector(
    options.revisits ? { hashBits: options.revisitHashBits, minCosine: options.revisitMinCosine } : undefined,
  );
  const skip: SkipStats = { frames: 0, inferred: 0, reused: 0 };
  const images = inputs.filter(isImageInput);
  if (images.length) await groupImageInputs(images, ctx, collector);
  for (const input of inputs.filter((i) => !isImageInput(i))) {
    const decoded = { frames: 0 };
    try {
      await groupVideo(input, ctx, collector, skip, decoded);
    } catch (error) {
      // A video that is missing or not video is skipped and said; one that stops part-way keeps the
      // frames decoded before; the others go on.
      if (!ctx.onSkip || !(error instanceof InputError || error instanceof DecodeError)) throw error;
      ctx.onSkip(input, error.message, error.exitCode, decoded.frames);
      continue;
    }
    ctx.onInput?.(input, decoded.frames);
  }
  return { frames: collector.frames, groups: collector.groups, skip, indexBytes: collector.indexBytes };
}

/**
 * A video's consecutive groups, each added to the collector as one run when the next begins; `decoded`
 * counts its frames as they come. Decoding that stops part-way still adds the run it was in.
 */
async function groupVideo(
  input: string,
  ctx: GroupRunContext,
  collector: SceneCollector,
  skip: SkipStats,
  decoded: { frames: number },
): Promise<void> {
  let members: RunMember[] = [];
  let sum: Float32Array | undefined;
  let thumb: Buffer | undefined;
  let openId = -1;
  const close = () => {
    collector.addSegment(members, sum, thumb);
    members = [];
    sum = undefined;
    thumb = undefined;
  };
  try {
    await drain(videoResults(input, ctx, skip), async (result) => {
      const g = result.group!;
      if (g.groupId !== openId) {
        close();
        openId = g.groupId;
        thumb = ctx.options.thumbnailWidth > 0 ? await frameThumbnail(result.frame, ctx.options.thumbnailWidth) : undefined;
      }
      decoded.frames++;
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
      sum = addUnit(sum, result.embedding);
    });
  } finally {
    close();
  }
}

/** All images linked pairwise (groupImages); each linked set is added to the collector as one run. */
async function groupImageInputs(inputs: string[], ctx: GroupRunContext, collector: SceneCollector): Promise<number> {
  const { model, options } = ctx;
  const paths = await listImages(inputs);
  // An unreadable image is skipped and said, as timeline does with a bad video; the others go on.
  const results = imageResults(paths, {
    ...(model ? { model } : {}),
    crop: options.crop,
    size: options.size,
    batch: options.batch,
    ...(ctx.onSkip ? { onUnreadable: (path: string, message: string) => ctx.onSkip!(path, message, ExitCode.inputInvalid) } : {}),
  });
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
        ? await frameThumbnail(
            await readImageFrame(paths[items[first]!.at]!, items[first]!.at, { crop: options.crop, outputSize: options.size }),
            options.thumbnailWidth,
          )
        : undefined;
    let sum: Float32Array | undefined;
    for (const i of members) sum = addUnit(sum, items[i]!.embedding);
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
