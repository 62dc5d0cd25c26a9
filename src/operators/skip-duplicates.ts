/**
 * Skips inference on near-duplicates: each (model-sized) frame is hashed; a frame within
 * `duplicateBits` of the last frame that went to the model does not go to `infer` and gets a copy
 * of that frame's result (its own `frame`, `group.reused = true`, `group.duplicateOf` = the index
 * of the frame whose result it reuses). Comparing with the last *inferred* frame, not the previous
 * frame, means a slow drift re-runs the model once it has moved far enough; `maxReuseFrames` bounds
 * how long a result is reused even without drift.
 *
 * Order is preserved although `infer` batches: results wait in a queue until the results they
 * depend on arrive. Until the grouping stage renumbers them, frames that share an inferred frame
 * share a `groupId` (the inferred frames' ordinal).
 */
import { Observable, Subject, type OperatorFunction } from 'rxjs';
import { defaultSkip, type SkipOptions } from '../config/grouping.js';
import { frameHash } from '../similarity/frame-hash.js';
import { hashDistance, hashToHex } from '../similarity/hash.js';
import type { Frame, FrameResult } from '../types.js';

/** Kept importable from here; the hash itself is similarity maths (src/similarity/frame-hash.ts). */
export { frameHash };

export interface SkipStats {
  frames: number;
  inferred: number;
  reused: number;
}

export interface SkipDuplicatesOptions extends Partial<SkipOptions> {
  /** Off: every frame goes to the model (still hashed, so the grouping stage need not hash again). */
  enabled?: boolean;
  /** Counts, updated as frames pass; read them at the end for the "inference saved" report. */
  stats?: SkipStats;
}

interface Slot {
  frame: Frame;
  hash: bigint;
  runId: number;
  /** The slot whose result this one copies; itself for inferred frames. */
  source: Slot;
  result?: FrameResult;
}

export function skipDuplicates(
  options: SkipDuplicatesOptions,
  inferStage: OperatorFunction<Frame, FrameResult>,
): OperatorFunction<Frame, FrameResult> {
  const { hash: method, duplicateBits, maxReuseFrames } = { ...defaultSkip, ...options };
  const enabled = options.enabled ?? true;
  return (source) =>
    new Observable<FrameResult>((subscriber) => {
      const stats = options.stats;
      const toModel = new Subject<Frame>();
      const queue: Slot[] = [];
      const awaiting: Slot[] = [];
      let lastInferred: Slot | undefined;
      let reusesInRow = 0;
      let runs = 0;
      let sourceDone = false;
      let sourceError: { error: unknown } | undefined;

      const drain = () => {
        while (queue.length && queue[0]!.source.result) {
          const slot = queue.shift()!;
          const base = slot.source.result!;
          const reused = slot.source !== slot;
          subscriber.next({
            ...base,
            frame: slot.frame,
            group: {
              groupId: slot.runId,
              ...(reused ? { duplicateOf: slot.source.frame.index } : {}),
              reused,
              hash: hashToHex(slot.hash),
            },
          });
        }
        if (!queue.length && sourceDone && !awaiting.length) {
          if (sourceError) subscriber.error(sourceError.error);
          else subscriber.complete();
        }
      };

      const results = toModel.pipe(inferStage).subscribe({
        next: (result) => {
          const slot = awaiting.shift();
          if (!slot) return subscriber.error(new Error('the inference stage returned more results than frames it was given'));
          slot.result = result;
          drain();
        },
        error: (error) => subscriber.error(error),
        complete: () => {
          if (awaiting.length) subscriber.error(new Error(`the inference stage completed with ${awaiting.length} frames unanswered`));
          else drain();
        },
      });

      const input = source.subscribe({
        next: (frame) => {
          const hash = frameHash(frame, method);
          if (stats) stats.frames++;
          const reuse =
            enabled &&
            lastInferred !== undefined &&
            lastInferred.frame.sourceId === frame.sourceId &&
            (maxReuseFrames === 0 || reusesInRow < maxReuseFrames) &&
            hashDistance(hash, lastInferred.hash) <= duplicateBits;
          if (reuse) {
            reusesInRow++;
            if (stats) stats.reused++;
            queue.push({ frame, hash, runId: lastInferred!.runId, source: lastInferred! });
            drain();
            return;
          }
          reusesInRow = 0;
          if (stats) stats.inferred++;
          const slot = { frame, hash, runId: runs++ } as Slot;
          slot.source = slot;
          lastInferred = slot;
          queue.push(slot);
          awaiting.push(slot);
          toModel.next(frame);
        },
        error: (error) => {
          // Frames already decoded still get their results before the error goes on.
          sourceDone = true;
          sourceError = { error };
          toModel.complete();
        },
        complete: () => {
          sourceDone = true;
          toModel.complete();
        },
      });

      return () => {
        input.unsubscribe();
        results.unsubscribe();
      };
    });
}
