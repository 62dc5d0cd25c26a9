/**
 * Joining chunk results into the rows of one run. Pure.
 *
 * A run's state at a frame is the near-duplicate reuse (the last frame that went to the model) and
 * the open group (its recent members). At a frame that both went to the model and opened a group,
 * that state holds nothing from before the frame, so from there on a chunk that decoded from an
 * earlier warm-up start gives exactly the rows the run gives. The join is the first such frame that
 * the rows so far and the next chunk share; group ids after it are renumbered to continue the run's.
 */
import type { FrameResult } from '../types.js';

/** Went to the model (not a reused result) and opened a group (points at no earlier frame). */
export function startsAfresh(result: FrameResult): boolean {
  const group = result.group;
  return group !== undefined && !group.reused && group.duplicateOf === undefined;
}

export interface Join {
  /** Rows of the run so far that stay: [0, keep). */
  keep: number;
  /** Rows of the chunk that follow: [from, end). */
  from: number;
  /** Added to the chunk's group ids. */
  groupIdOffset: number;
}

/**
 * Where `next` joins `merged`. Only the first `trusted` rows of `merged` are final (the grouping may
 * still have been holding the last few when its chunk stopped). Undefined when no frame qualifies.
 */
export function findJoin(merged: readonly FrameResult[], trusted: number, next: readonly FrameResult[]): Join | undefined {
  const byIndex = new Map<number, number>();
  for (let i = 0; i < Math.min(trusted, merged.length); i++) byIndex.set(merged[i]!.frame.index, i);
  for (let j = 0; j < next.length; j++) {
    const candidate = next[j]!;
    const i = byIndex.get(candidate.frame.index);
    if (i === undefined) continue;
    const known = merged[i]!;
    if (known.frame.ptsSeconds !== candidate.frame.ptsSeconds) continue;
    if (startsAfresh(known) && startsAfresh(candidate)) {
      return { keep: i, from: j, groupIdOffset: known.group!.groupId - candidate.group!.groupId };
    }
  }
  return undefined;
}

export function applyJoin(merged: readonly FrameResult[], next: readonly FrameResult[], join: Join): FrameResult[] {
  return [
    ...merged.slice(0, join.keep),
    ...next.slice(join.from).map((r) => (r.group ? { ...r, group: { ...r.group, groupId: r.group.groupId + join.groupIdOffset } } : r)),
  ];
}

/** The last frame of the trusted rows that starts afresh: a run decoded from exactly there joins at it. */
export function lastFreshStart(merged: readonly FrameResult[], trusted: number): FrameResult | undefined {
  for (let i = Math.min(trusted, merged.length) - 1; i >= 0; i--) if (startsAfresh(merged[i]!)) return merged[i];
  return undefined;
}

/** Rows whose time is before `seconds` (the end of the emitted range). */
export function before(rows: readonly FrameResult[], seconds: number | undefined): FrameResult[] {
  return seconds === undefined ? [...rows] : rows.filter((r) => r.frame.ptsSeconds < seconds - 1e-9);
}
