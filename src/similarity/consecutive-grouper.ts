/**
 * The consecutive grouping state machine: a frame joins the open group while it matches one of
 * the group's most recent members (hash distance and, where both have one, embedding cosine);
 * otherwise it is held as pending. Hysteresis: a new group starts only after `confirmFrames`
 * frames in a row fail to match, so one noisy frame (a flash, a fish across the lens, a
 * corrupt packet) does not split a group; the held frames then join the group as noise.
 * Comparing with recent members rather than the first lets a slow pan drift through one group.
 * Memory is bounded: `memoryFrames` members plus at most `confirmFrames - 1` pending frames.
 */
import { hashDistance } from './hash.js';
import { cosine } from './vector.js';

export interface GroupingThresholds {
  /** Most differing hash bits for two frames to count as the same scene. */
  hashBits: number;
  /** Least embedding cosine for two frames to count as the same scene (checked when both have embeddings). */
  minCosine: number;
  /** How many of the group's latest members a frame is compared with. */
  memoryFrames: number;
  /** Consecutive non-matching frames needed to start a new group (1: no hysteresis). */
  confirmFrames: number;
}

export interface GroupCandidate<T> {
  hash: bigint;
  embedding?: Float32Array;
  item: T;
}

export interface GroupAssignment<T> {
  item: T;
  groupId: number;
  /** The group's first member (this item itself when it opened the group). */
  first: T;
  opened: boolean;
  /** True for a frame that failed to match but was absorbed because the next frame matched again. */
  noise: boolean;
}

interface OpenGroup<T> {
  id: number;
  first: T;
  recent: GroupCandidate<T>[];
}

export function candidatesMatch(
  a: { hash: bigint; embedding?: Float32Array },
  b: { hash: bigint; embedding?: Float32Array },
  t: Pick<GroupingThresholds, 'hashBits' | 'minCosine'>,
): boolean {
  if (hashDistance(a.hash, b.hash) > t.hashBits) return false;
  return !a.embedding || !b.embedding || cosine(a.embedding, b.embedding) >= t.minCosine;
}

export class ConsecutiveGrouper<T> {
  private open: OpenGroup<T> | undefined;
  private pending: GroupCandidate<T>[] = [];
  private nextId: number;

  constructor(
    private readonly thresholds: GroupingThresholds,
    firstGroupId = 0,
  ) {
    if (thresholds.memoryFrames < 1 || thresholds.confirmFrames < 1)
      throw new RangeError('memoryFrames and confirmFrames must be at least 1');
    this.nextId = firstGroupId;
  }

  /** Feeds one frame; returns the assignments now decided (in input order), possibly for earlier held frames. */
  push(candidate: GroupCandidate<T>): GroupAssignment<T>[] {
    const out: GroupAssignment<T>[] = [];
    this.step(candidate, out);
    return out;
  }

  /** Decides every held frame (end of input). */
  flush(): GroupAssignment<T>[] {
    const out: GroupAssignment<T>[] = [];
    while (this.pending.length) this.startWithPending(out);
    return out;
  }

  /** Frames held while the grouper waits to see whether a group really ended. */
  get pendingCount(): number {
    return this.pending.length;
  }

  private step(candidate: GroupCandidate<T>, out: GroupAssignment<T>[]): void {
    const open = this.open;
    if (!open) {
      this.startGroup(candidate, out);
      return;
    }
    if (open.recent.some((member) => candidatesMatch(member, candidate, this.thresholds))) {
      for (const held of this.pending) out.push({ item: held.item, groupId: open.id, first: open.first, opened: false, noise: true });
      this.pending = [];
      out.push({ item: candidate.item, groupId: open.id, first: open.first, opened: false, noise: false });
      open.recent.push(candidate);
      if (open.recent.length > this.thresholds.memoryFrames) open.recent.shift();
      return;
    }
    this.pending.push(candidate);
    if (this.pending.length >= this.thresholds.confirmFrames) this.startWithPending(out);
  }

  private startWithPending(out: GroupAssignment<T>[]): void {
    const [head, ...rest] = this.pending;
    this.pending = [];
    this.startGroup(head!, out);
    for (const candidate of rest) this.step(candidate, out);
  }

  private startGroup(candidate: GroupCandidate<T>, out: GroupAssignment<T>[]): void {
    this.open = { id: this.nextId++, first: candidate.item, recent: [candidate] };
    out.push({ item: candidate.item, groupId: this.open.id, first: candidate.item, opened: true, noise: false });
  }
}
