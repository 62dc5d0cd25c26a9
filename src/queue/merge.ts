/**
 * Joining chunk results into the rows of one run. Pure.
 *
 * Two pieces of state run from frame to frame. Near-duplicate reuse: a frame that went to the model
 * leaves nothing of the frames before it in that state, so from a frame both the run so far and the
 * next chunk sent to the model, the chunk's results (labels, probabilities, heatmaps, embeddings,
 * reuse) are the run's. The join is the first such frame they share. Grouping, the other, is then run
 * again over the joined rows (`regroup`, the pipeline's own grouping stage, on the hashes and
 * embeddings the chunks kept), so group ids and `duplicate_of` are those of one run however long a
 * group lasts.
 */
import { from, lastValueFrom, toArray } from 'rxjs';
import { groupFrames } from '../operators/group.js';
import type { FrameResult } from '../types.js';

/** Went to the model: its result is not a copy of an earlier frame's. */
export function inferred(result: FrameResult): boolean {
  return result.group !== undefined && !result.group.reused;
}

export interface Join {
  /** Rows of the run so far that stay: [0, keep). */
  keep: number;
  /** Rows of the chunk that follow: [from, end). */
  from: number;
}

/** Where `next` joins `merged`: the first frame both sent to the model. Undefined when there is none. */
export function findJoin(merged: readonly FrameResult[], next: readonly FrameResult[]): Join | undefined {
  const byIndex = new Map<number, number>();
  merged.forEach((r, i) => byIndex.set(r.frame.index, i));
  for (let j = 0; j < next.length; j++) {
    const candidate = next[j]!;
    const i = byIndex.get(candidate.frame.index);
    if (i === undefined) continue;
    const known = merged[i]!;
    if (known.frame.ptsSeconds === candidate.frame.ptsSeconds && inferred(known) && inferred(candidate)) return { keep: i, from: j };
  }
  return undefined;
}

export function applyJoin(merged: readonly FrameResult[], next: readonly FrameResult[], join: Join): FrameResult[] {
  return [...merged.slice(0, join.keep), ...next.slice(join.from)];
}

/** The last row that went to the model: a run decoded from exactly there joins at it. */
export function lastInferred(merged: readonly FrameResult[]): FrameResult | undefined {
  for (let i = merged.length - 1; i >= 0; i--) if (inferred(merged[i]!)) return merged[i];
  return undefined;
}

/**
 * The grouping stage over joined rows. Their pixels are gone: each frame's hash must have been
 * remembered for it (`rememberFrameHash`, as chunk files do when read).
 */
export async function regroup(rows: readonly FrameResult[]): Promise<FrameResult[]> {
  return lastValueFrom(from(rows).pipe(groupFrames(), toArray()));
}
