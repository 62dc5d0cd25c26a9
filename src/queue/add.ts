/**
 * `rovlens queue add`: one flow per recording (a merge job over its chunk jobs), skipped when the
 * same recording with the same flags and output is already queued or done.
 */
import { existsSync } from 'node:fs';
import { isAbsolute, join, resolve } from 'node:path';
import { FlowProducer, Job, Queue } from 'bullmq';
import fg from 'fast-glob';
import type { QueueAddOptions } from '../config/queue.js';
import { parseTimelineOptions } from '../config/timeline.js';
import { defaultGrouping } from '../config/grouping.js';
import { InputError, UsageError } from '../errors.js';
import { checkInputFile, isUrl, keyframeTimes, probeVideo } from '../sources/probe.js';
import { fileStems } from '../runners/timeline.js';
import { connect, reachable, redactUrl } from './connection.js';
import {
  CHUNK_JOB,
  MERGE_JOB,
  chunkJobId,
  doneMarker,
  mergeJobId,
  recordingKey,
  workFolder,
  type ChunkData,
  type RecordingData,
  type TimelineFlags,
} from './jobs.js';
import { planChunks } from './plan.js';

/** Timeline flags that name one output for a single run; the queue writes per recording into --out. */
const NOT_FOR_THE_QUEUE = ['output', 'segments', 'geojson', 'export', 'ifdoHeader', 'start', 'end'] as const;
/** Timeline flags that are paths: every worker must find them, so they travel absolute. */
const PATH_FLAGS = ['model', 'nav', 'pipeline'] as const;

/** Finished jobs do not pile up in Redis: chunks go after a day, recordings are capped. */
const KEEP_CHUNKS = { age: 24 * 3600, count: 10_000 };
const KEEP_RECORDINGS = { age: 7 * 24 * 3600, count: 1000 };

export interface AddSummary {
  added: number;
  chunks: number;
  skipped: number;
}

export async function addRecordings(patterns: string[], options: QueueAddOptions, rawFlags: TimelineFlags): Promise<AddSummary> {
  const flags = timelineFlags(rawFlags);
  const timeline = parseTimelineOptions(flags);
  const inputs = await expand(patterns);
  const out = resolve(options.out);
  const stems = fileStems(inputs);
  const connection = connect(options, { persistent: false });
  await reachable(connection, options);
  const queue = new Queue(options.queue, { connection });
  const flows = new FlowProducer({ connection });
  const summary: AddSummary = { added: 0, chunks: 0, skipped: 0 };
  try {
    for (const sourceId of inputs) {
      checkInputFile(sourceId);
      const input = resolve(sourceId);
      const stem = stems.get(sourceId)!;
      // Flags as the run sees them (defaults filled in, values parsed): `--every 1` is the default's key.
      const key = recordingKey(input, { ...timeline, quiet: undefined }, out, stem);
      if (existsSync(doneMarker(out, key))) {
        process.stderr.write(`rovlens: ${sourceId}: already done (${join(options.out, stem)}.*)\n`);
        summary.skipped++;
        continue;
      }
      const existing = await Job.fromId(queue, mergeJobId(key));
      if (existing) {
        const state = await existing.getState();
        if (state !== 'failed') {
          process.stderr.write(`rovlens: ${sourceId}: already ${state === 'completed' ? 'done' : 'queued'}\n`);
          summary.skipped++;
          continue;
        }
        await existing.remove({ removeChildren: true });
      }
      const info = await probeVideo(input, { keyframes: false }).catch(() => undefined);
      const fps = info?.fps || 25;
      const chunkSeconds = options.chunkMinutes * 60;
      const cutTimes: number[] = [];
      for (let t = chunkSeconds; info?.durationSeconds !== undefined && t < info.durationSeconds; t += chunkSeconds) cutTimes.push(t);
      const chunks = planChunks(info?.durationSeconds, {
        chunkSeconds,
        warmupSeconds: options.warmup,
        everySeconds: timeline.keyframes && timeline.every === 0 ? 0 : timeline.every,
        fps,
        confirmFrames: defaultGrouping.confirmFrames,
        keyframes: cutTimes.length ? await keyframesBefore(input, cutTimes, options.warmup) : undefined,
      });
      const recording: RecordingData = {
        input,
        sourceId,
        out,
        stem,
        flags,
        chunks,
        durationSeconds: info?.durationSeconds,
        fps,
        key,
        // Written into JSON lines headers: a Redis password stays out of the files.
        command: process.argv.slice(2).map((arg) => (/^rediss?:\/\//.test(arg) ? redactUrl(arg) : arg)),
      };
      await flows.add({
        name: MERGE_JOB,
        queueName: options.queue,
        data: recording,
        opts: { jobId: mergeJobId(key), attempts: 2, removeOnComplete: KEEP_RECORDINGS, removeOnFail: KEEP_RECORDINGS },
        children: chunks.map((chunk) => {
          const data: ChunkData = {
            input,
            flags,
            chunk,
            file: join(workFolder(out, key), `chunk-${chunk.index}.jsonl`),
            durationSeconds: info?.durationSeconds,
          };
          return {
            name: CHUNK_JOB,
            queueName: options.queue,
            data,
            opts: {
              jobId: chunkJobId(key, chunk.index),
              attempts: options.attempts,
              backoff: { type: 'exponential', delay: 1000 },
              failParentOnFailure: true,
              removeOnComplete: KEEP_CHUNKS,
              removeOnFail: KEEP_CHUNKS,
            },
          };
        }),
      });
      process.stderr.write(`rovlens: ${sourceId}: queued in ${chunks.length} chunk${chunks.length === 1 ? '' : 's'}\n`);
      summary.added++;
      summary.chunks += chunks.length;
    }
  } finally {
    await flows.close();
    await queue.close();
    connection.disconnect();
  }
  return summary;
}

function timelineFlags(raw: TimelineFlags): TimelineFlags {
  const flags: TimelineFlags = {};
  for (const [name, value] of Object.entries(raw)) {
    if (value === undefined) continue;
    if ((NOT_FOR_THE_QUEUE as readonly string[]).includes(name)) {
      const flag = name === 'output' ? '-o/--output' : `--${name}`;
      throw new UsageError(`${flag}: not for the queue: it writes <stem>.timeline and <stem>.segments per recording into --out`);
    }
    flags[name] =
      (PATH_FLAGS as readonly string[]).includes(name) && typeof value === 'string' && !isAbsolute(value) ? resolve(value) : value;
  }
  delete flags.quiet;
  return flags;
}

/** Literal paths stay as given (a missing one is reported); globs expand, sorted. */
async function expand(patterns: string[]): Promise<string[]> {
  const inputs: string[] = [];
  for (const pattern of patterns) {
    if (isUrl(pattern)) throw new UsageError(`${pattern}: the queue takes recordings on storage every worker can read, not streams`);
    if (existsSync(pattern) || !fg.isDynamicPattern(pattern)) inputs.push(pattern);
    else {
      const matches = (await fg(pattern, { onlyFiles: true })).sort();
      if (!matches.length) throw new InputError(`no files match ${pattern}`, 'missing');
      inputs.push(...matches);
    }
  }
  return inputs;
}

/**
 * The keyframe at or before each cut and each warm-up start, read from packet flags around them
 * (ffprobe seeks, reads a packet, no decoding): chunks start where decoding can.
 */
async function keyframesBefore(input: string, cuts: number[], warmupSeconds: number): Promise<number[] | undefined> {
  const points = cuts.flatMap((t) => [t, Math.max(0, t - warmupSeconds)]);
  try {
    return await keyframeTimes(input, points.map((t) => `${t}%+#1`).join(','));
  } catch {
    return undefined;
  }
}
