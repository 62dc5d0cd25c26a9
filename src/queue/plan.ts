/**
 * How a recording is cut into time chunks for the queue, and the warm-up that makes the chunks add
 * up to one run. Pure: times in, plan out.
 *
 * Chunk k emits [emitFromSeconds, emitToSeconds) of the recording. It decodes from a warm-up start
 * before that (its sampler, near-duplicate reuse and grouping settle there) and on past its end by a
 * few samples (so the grouping's hysteresis has decided its last frames). The merge joins two
 * neighbours where both agree (see merge.ts). Decode starts sit on a keyframe when one is known, and
 * on a sampling slot boundary (a multiple of --every), so a chunk samples the very frames one run does.
 */

export interface ChunkPlan {
  index: number;
  /** First instant this chunk's rows stand for (the recording's start for the first chunk). */
  emitFromSeconds: number;
  /** End of this chunk's rows; undefined for the last chunk (the recording's end). */
  emitToSeconds?: number;
  /** Where decoding starts: 0 for the first chunk (exactly as a single run), else the warm-up start. */
  decodeFromSeconds: number;
  /** Where decoding stops; undefined: the end of the recording. */
  decodeToSeconds?: number;
}

export interface PlanOptions {
  chunkSeconds: number;
  warmupSeconds: number;
  /** Seconds between sampled frames (0: every frame). */
  everySeconds: number;
  fps: number;
  /** Frames the grouping holds before it decides (its confirmFrames). */
  confirmFrames: number;
  /** Keyframe times near the cut points, ascending, when known. */
  keyframes?: readonly number[];
}

/** A chunk shorter than this fraction of --chunk-minutes is not worth its own job: it joins the one before. */
const SMALLEST_LAST_CHUNK = 0.25;

export function planChunks(durationSeconds: number | undefined, options: PlanOptions): ChunkPlan[] {
  const { chunkSeconds } = options;
  if (durationSeconds === undefined || !(durationSeconds > chunkSeconds * (1 + SMALLEST_LAST_CHUNK))) {
    return [{ index: 0, emitFromSeconds: 0, decodeFromSeconds: 0 }];
  }
  const cuts: number[] = [];
  for (let t = chunkSeconds; t < durationSeconds - chunkSeconds * SMALLEST_LAST_CHUNK; t += chunkSeconds) {
    const cut = atKeyframe(t, options.keyframes);
    if (cut > (cuts[cuts.length - 1] ?? 0)) cuts.push(cut);
  }
  const tail = tailSeconds(options);
  const bounds = [0, ...cuts];
  return bounds.map((from, index) => {
    const to = bounds[index + 1];
    return {
      index,
      emitFromSeconds: from,
      ...(to !== undefined ? { emitToSeconds: to, decodeToSeconds: to + tail } : {}),
      decodeFromSeconds: index === 0 ? 0 : warmupStart(from, options),
    };
  });
}

/** Decoding past a chunk's end for this long lets the grouping decide the chunk's last frames. */
export function tailSeconds(options: Pick<PlanOptions, 'everySeconds' | 'fps' | 'confirmFrames'>): number {
  const step = Math.max(options.everySeconds, 1 / Math.max(1, options.fps));
  return step * (options.confirmFrames + 2);
}

/** The start of the sampling slot holding `seconds`: a decode from there samples what a run from 0 samples. */
export function slotStart(seconds: number, everySeconds: number): number {
  if (everySeconds <= 0) return seconds;
  return Math.max(0, Math.floor(seconds / everySeconds + 1e-6) * everySeconds);
}

function warmupStart(emitFrom: number, options: PlanOptions): number {
  const wanted = Math.max(0, emitFrom - options.warmupSeconds);
  return slotStart(atKeyframe(wanted, options.keyframes), options.everySeconds);
}

/** The last keyframe at or before `seconds`, when keyframes are known. */
function atKeyframe(seconds: number, keyframes: readonly number[] | undefined): number {
  let best: number | undefined;
  for (const k of keyframes ?? []) if (k <= seconds + 1e-9) best = k;
  return best ?? seconds;
}
