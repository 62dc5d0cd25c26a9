/**
 * The review order: which near-duplicate group a reviewer sees next. Pure: takes the groups of a run
 * (their frames' predictions and times) and returns one representative frame per group, most
 * informative first.
 *
 * Informative means the model is unsure about the group: a low top-class confidence, or frames of
 * the same group that disagree about the label. Among groups about as uncertain as each other, the
 * order spreads over the dive (coverage): a group far in time from those already queued comes before
 * one next to them, so the first minutes of review see the whole recording, not one long hover.
 * Coverage applies to recordings only: where an image sits in a folder listing says nothing about
 * where it was taken, and on the development images (bench/review-order.ts) spreading over the
 * listing found fewer of the model's mistakes in the first groups than uncertainty alone.
 *
 * The order also spreads its first groups over strata (spread): over sources (a recording, or for
 * images the folder they sit in, which is usually one camera or one dive) and over the labels the
 * model predicts. Each group already queued from the same source, or with the same predicted label on
 * a head, makes the next one of that stratum wait a little longer, so one camera or one kind of scene
 * the model happens to doubt most does not fill the first groups. Uncertainty still ranks the groups
 * within a stratum. Spread only reorders: with one source and one predicted label everywhere it
 * changes nothing, and every group is still queued once.
 *
 * Where the groups carry embeddings (rovlens review gives each the mean of its frames'), the order
 * also prefers representative groups: one whose neighbourhood (the groups within a cover radius of it,
 * in the model's own embedding) holds many groups not yet near a queued one. Once queued, its
 * neighbours no longer count for anyone, so the next pick comes from another part of the dive's
 * scenes. Uncertainty alone goes for the model's oddest doubts first; a few reviewed groups teach
 * a model more where they stand for many others (on the development cameras it took the element gain
 * of the first 20 groups from +14 to +37 points, DEFAULT_REPRESENTATIVE_WEIGHT).
 */
import { dirname } from 'node:path';

/** What the model said about one frame for one head (a name from the model card: 'floor', 'element'). */
export interface ReviewPrediction {
  label: string;
  /** Probability of `label`, 0..1. */
  confidence: number;
}

export interface ReviewFrame {
  /** The video or image file. */
  source: string;
  /** Presentation time in the video, in seconds; undefined for an image. */
  ptsSeconds?: number;
  /** Keyed by head name. */
  predictions: Record<string, ReviewPrediction>;
}

export interface ReviewGroup {
  /** The near-duplicate group id, unique in the run. */
  group: string;
  /** The group's frames in time (or file) order; at least one. */
  frames: readonly ReviewFrame[];
  /** What the group looks like to the model: its frames' mean embedding, L2-normalised (see EmbeddingMean). */
  embedding?: Float32Array;
}

export interface ReviewItem {
  group: string;
  /** The frame a reviewer is shown for the whole group. */
  representative: ReviewFrame;
  /** Frames in the group: how many frames one decision labels. */
  size: number;
  /** Per head: the group's majority label, the share of frames agreeing with it and their mean confidence. */
  consensus: Record<string, GroupConsensus>;
  /** 0..1: how unsure the model is about the group, before coverage is taken into account. */
  uncertainty: number;
}

export interface GroupConsensus {
  label: string;
  /** Share of the group's frames whose top label is `label`, 0..1. */
  agreement: number;
  /** Mean confidence of the frames agreeing with `label`, 0..1. */
  meanConfidence: number;
}

export interface ReviewOrderOptions {
  /**
   * 0..1: how much coverage of a recording weighs against uncertainty. 0 orders by uncertainty alone;
   * at 1 a group right next to one already queued waits until everything else of similar uncertainty
   * is queued. Default 0.25: coverage comes second, it only reorders groups of similar uncertainty.
   */
  coverageWeight?: number;
  /**
   * 0..1: how much a group's source (its recording, or for an image its folder) already being in the
   * queue holds it back. A group of a source with n groups queued is worth 1 - w + w / (1 + n) of its
   * uncertainty. 0 ignores sources. Default 1 (DEFAULT_SOURCE_WEIGHT says where it was chosen).
   */
  sourceWeight?: number;
  /**
   * 0..1: the same for the labels the model predicts: per head, a group whose majority label already
   * heads n queued groups is worth 1 - w + w / (1 + n), averaged over the heads. 0 ignores labels.
   * Default 0.5 (DEFAULT_LABEL_WEIGHT).
   */
  labelWeight?: number;
  /**
   * 0..1: how much representativeness weighs, where every group has an embedding. A group is worth
   * 1 - w + w x gain / best gain of its uncertainty, gain being how many groups not yet near a queued
   * one lie within the cover radius of it. 0 ignores embeddings. Default 1.
   */
  representativeWeight?: number;
  /** 0..1: the cover radius, as the quantile of the distances between pairs of groups. Default 0.05. */
  coverQuantile?: number;
}

/** Per head, the majority label among the frames, its agreement and mean confidence. */
export function groupConsensus(frames: readonly ReviewFrame[]): Record<string, GroupConsensus> {
  const heads = new Set(frames.flatMap((f) => Object.keys(f.predictions)));
  const consensus: Record<string, GroupConsensus> = {};
  for (const head of [...heads].sort()) {
    const counts = new Map<string, { n: number; confidenceSum: number }>();
    let voters = 0;
    for (const frame of frames) {
      const p = frame.predictions[head];
      if (!p) continue;
      voters++;
      const c = counts.get(p.label) ?? { n: 0, confidenceSum: 0 };
      c.n++;
      c.confidenceSum += p.confidence;
      counts.set(p.label, c);
    }
    // Majority label; ties go to the higher total confidence, then the label name, so the result is stable.
    const [label, best] = [...counts.entries()].sort(
      (a, b) => b[1].n - a[1].n || b[1].confidenceSum - a[1].confidenceSum || (a[0] < b[0] ? -1 : 1),
    )[0]!;
    consensus[head] = { label, agreement: best.n / voters, meanConfidence: best.confidenceSum / best.n };
  }
  return consensus;
}

/**
 * 0..1. Per head, 1 - agreement x mean confidence: a group whose frames all say the same thing at
 * 0.95 scores 0.05; one split half and half at 0.6 scores 0.7. The group's score is the mean over heads.
 */
export function groupUncertainty(consensus: Record<string, GroupConsensus>): number {
  const heads = Object.values(consensus);
  if (heads.length === 0) return 0;
  return heads.reduce((sum, c) => sum + (1 - c.agreement * c.meanConfidence), 0) / heads.length;
}

/**
 * The frame shown for the group: one that carries the majority label on the most heads, and among
 * those the one nearest the middle of the group (in time, or in file order for images).
 */
export function representativeFrame(frames: readonly ReviewFrame[], consensus: Record<string, GroupConsensus>): ReviewFrame {
  const middle = (frames.length - 1) / 2;
  let best = 0;
  let bestScore = -Infinity;
  frames.forEach((frame, i) => {
    const agreeing = Object.entries(consensus).filter(([head, c]) => frame.predictions[head]?.label === c.label).length;
    // Agreement dominates; distance from the middle only breaks ties.
    const score = agreeing * frames.length - Math.abs(i - middle);
    if (score > bestScore) {
      bestScore = score;
      best = i;
    }
  });
  return frames[best]!;
}

/**
 * The defaults, chosen by bench/site-adaptation.ts on selection splits inside the review pool of the
 * development data's five real seabed cameras (UWTV towed camera, JAMSTEC ROV, RUIE seabed robot,
 * top-down towed camera, fixed camera; the held-out groups play no part). Weighted accuracy of heads
 * retrained on public photos plus the first 20 groups in the order, averaged over 3 splits, floor /
 * element: uncertainty alone 50.9 / 46.7 %; spread over sources and labels (1, 1) 75.7 / 54.3; with
 * representativeness (source 1, label 0.5, representativeness 1, cover quantile 0.05) 75.2 / 59.4, the
 * best mean of the candidates (source 0.5 and label 1: 74.9 / 58.8; a cover quantile of 0.1 raised
 * the element to about 62 but dropped the floor to about 67). 20 random groups on the same splits:
 * 58.9 / 58.5. On the held-out groups (rovlens train's defaults, `--views 3`), the first 20 groups over
 * all five cameras took the element from 29.0 % to 66.1 % and the floor from 44.2 % to 89.9 % (spread
 * alone: 43.0 / 58.1; 20 random groups, 5 seeds: 62.3 / 63.6): see the README's site-adaptation
 * section.
 */
export const DEFAULT_SOURCE_WEIGHT: number = 1;
export const DEFAULT_LABEL_WEIGHT: number = 0.5;
export const DEFAULT_REPRESENTATIVE_WEIGHT: number = 1;
export const DEFAULT_COVER_QUANTILE: number = 0.05;

interface Candidate {
  item: ReviewItem;
  /** The recording the group is in; undefined for images, which coverage does not apply to. */
  track: string | undefined;
  position: number;
  /** Distance to the nearest group already queued on the same track (Infinity before the first). */
  nearestQueued: number;
  /** The source stratum: the recording, or the folder of an image. */
  stratum: string;
  /** Per head, `head=label` of the group's majority label. */
  labelStrata: string[];
}

/** The review queue: one item per group, most informative first. Deterministic for the same input. */
export function reviewOrder(groups: readonly ReviewGroup[], options: ReviewOrderOptions = {}): ReviewItem[] {
  const unit = (v: number) => Math.min(1, Math.max(0, v));
  const coverageWeight = unit(options.coverageWeight ?? 0.25);
  const sourceWeight = unit(options.sourceWeight ?? DEFAULT_SOURCE_WEIGHT);
  const labelWeight = unit(options.labelWeight ?? DEFAULT_LABEL_WEIGHT);
  const representativeWeight = unit(options.representativeWeight ?? DEFAULT_REPRESENTATIVE_WEIGHT);
  const candidates: Candidate[] = groups
    .filter((g) => g.frames.length > 0)
    .map((g, index) => {
      const consensus = groupConsensus(g.frames);
      const times = g.frames.map((f) => f.ptsSeconds).filter((t): t is number => t !== undefined);
      const isVideo = times.length === g.frames.length;
      return {
        item: {
          group: g.group,
          representative: representativeFrame(g.frames, consensus),
          size: g.frames.length,
          consensus,
          uncertainty: groupUncertainty(consensus),
        },
        track: isVideo ? g.frames[0]!.source : undefined,
        position: isVideo ? (Math.min(...times) + Math.max(...times)) / 2 : index,
        nearestQueued: Infinity,
        stratum: isVideo ? g.frames[0]!.source : dirname(g.frames[0]!.source),
        labelStrata: Object.entries(consensus).map(([head, c]) => `${head}=${c.label}`),
      };
    });

  const tracks = new Map<string, { min: number; max: number; queued: number }>();
  for (const c of candidates) {
    if (c.track === undefined) continue;
    const t = tracks.get(c.track) ?? { min: Infinity, max: -Infinity, queued: 0 };
    t.min = Math.min(t.min, c.position);
    t.max = Math.max(t.max, c.position);
    tracks.set(c.track, t);
  }

  // Coverage of a candidate, 0..1: its distance to the nearest group already queued on its track,
  // against the spacing of the queued groups had they been spread evenly over the track (capped at 1:
  // the first group queued makes the far end of the track worth 1 and its middle 0.5).
  const coverage = (c: Candidate): number => {
    if (c.track === undefined) return 1;
    const track = tracks.get(c.track)!;
    const extent = track.max - track.min;
    if (track.queued === 0 || extent === 0) return 1;
    return Math.min(1, c.nearestQueued / (extent / track.queued));
  };

  // Per source and per predicted `head=label`: groups queued so far and groups still to queue.
  const sources = new Map<string, { queued: number; left: number }>();
  const labels = new Map<string, { queued: number; left: number }>();
  const count = (strata: Map<string, { queued: number; left: number }>, key: string) => {
    const stratum = strata.get(key) ?? { queued: 0, left: 0 };
    strata.set(key, stratum);
    return stratum;
  };
  // Groups with no predictions have no label strata: their label factor stays 1.
  let unlabelledLeft = 0;
  for (const c of candidates) {
    count(sources, c.stratum).left++;
    for (const k of c.labelStrata) count(labels, k).left++;
    if (!c.labelStrata.length) unlabelledLeft++;
  }
  const sourceFactor = (queued: number) => 1 - sourceWeight + sourceWeight / (1 + queued);
  const labelFactor = (queued: number) => 1 - labelWeight + labelWeight / (1 + queued);
  // Spread of a candidate, 0..1: 1 while nothing of its strata is queued, shrinking as they fill.
  const spread = (c: Candidate): number => {
    const label = c.labelStrata.length
      ? c.labelStrata.reduce((sum, k) => sum + labelFactor(labels.get(k)!.queued), 0) / c.labelStrata.length
      : 1;
    return sourceFactor(sources.get(c.stratum)!.queued) * label;
  };
  // The largest spread any group still to queue can have: that of the least queued source and label
  // with groups left (a mean over heads is at most its largest term; 1 while an unlabelled group is left).
  const spreadBound = (): number => {
    const leastQueued = (strata: Map<string, { queued: number; left: number }>) => {
      let least = Infinity;
      for (const s of strata.values()) if (s.left > 0) least = Math.min(least, s.queued);
      return least === Infinity ? 0 : least;
    };
    return sourceFactor(leastQueued(sources)) * (unlabelledLeft > 0 ? 1 : labelFactor(leastQueued(labels)));
  };

  // Representativeness of a candidate, 0..1: how many groups not yet covered lie within the cover
  // radius of it (its gain), against the largest gain of any group left.
  const cover =
    representativeWeight > 0 && candidates.length <= MAX_COVER_GROUPS
      ? coverGraph(
          groups.filter((g) => g.frames.length > 0),
          options.coverQuantile ?? DEFAULT_COVER_QUANTILE,
        )
      : undefined;
  const gain = cover ? Int32Array.from(cover, (near) => near.length) : undefined;
  const covered = new Uint8Array(candidates.length);
  let bestGain = 0;
  const representative = (index: number) =>
    gain && bestGain > 0 ? 1 - representativeWeight + (representativeWeight * gain[index]!) / bestGain : 1;

  const order: ReviewItem[] = [];
  // Most uncertain first: a priority never exceeds its group's uncertainty times the spread bound
  // (coverage and representativeness are at most 1), so the scan stops at the first group too certain
  // to beat the best found.
  const remaining = candidates
    .map((c, index) => ({ c, index }))
    .sort((a, b) => b.c.item.uncertainty - a.c.item.uncertainty || a.index - b.index);
  const EPSILON = 1e-12;
  while (remaining.length > 0) {
    let bestAt = 0;
    let bestPriority = -Infinity;
    const bound = spreadBound();
    if (gain) bestGain = remaining.reduce((best, { index }) => Math.max(best, gain[index]!), 0);
    for (let i = 0; i < remaining.length; i++) {
      const { c, index } = remaining[i]!;
      if (c.item.uncertainty * bound < bestPriority - EPSILON) break;
      const priority = c.item.uncertainty * (1 - coverageWeight + coverageWeight * coverage(c)) * spread(c) * representative(index);
      // On equal priority the earlier group (input order) goes first.
      if (priority > bestPriority + EPSILON || (priority >= bestPriority - EPSILON && index < remaining[bestAt]!.index)) {
        bestPriority = Math.max(priority, bestPriority);
        bestAt = i;
      }
    }
    const { c: picked, index: pickedIndex } = remaining.splice(bestAt, 1)[0]!;
    // Everything within the cover radius of the queued group is covered: it adds to no one's gain any more.
    if (cover && gain) {
      for (const near of cover[pickedIndex]!) {
        if (covered[near]) continue;
        covered[near] = 1;
        for (const other of cover[near]!) gain[other]!--;
      }
    }
    for (const stratum of [sources.get(picked.stratum)!, ...picked.labelStrata.map((k) => labels.get(k)!)]) {
      stratum.queued++;
      stratum.left--;
    }
    if (!picked.labelStrata.length) unlabelledLeft--;
    if (picked.track !== undefined) {
      tracks.get(picked.track)!.queued++;
      for (const { c } of remaining) {
        if (c.track === picked.track) c.nearestQueued = Math.min(c.nearestQueued, Math.abs(c.position - picked.position));
      }
    }
    order.push(picked.item);
  }
  return order;
}

/**
 * Beyond this many groups representativeness is left out and the order goes by doubts and spread:
 * comparing every pair of embeddings grows with the square (bench/review-order-size.ts: 2000 groups of
 * 1280 values took 6.0 s, 1000 took 1.9 s, against 0.04 s without it). A longer dive can be reviewed
 * in parts, or with a coarser `--every`.
 */
export const MAX_COVER_GROUPS = 2000;

/**
 * For each group, the groups within the cover radius of it (itself included): the radius is the
 * `quantile` of the cosine distances between pairs of group embeddings (every pair up to about 600
 * groups, an even sample of 200 000 pairs beyond, so a long dive's radius costs no more memory).
 * Undefined where a group has no embedding, or they differ in length: representativeness then plays
 * no part.
 */
function coverGraph(groups: readonly ReviewGroup[], quantile: number): number[][] | undefined {
  const n = groups.length;
  const length = groups[0]?.embedding?.length;
  if (!length || groups.some((g) => g.embedding?.length !== length)) return undefined;
  const distance = (i: number, j: number) => {
    const a = groups[i]!.embedding!;
    const b = groups[j]!.embedding!;
    let dot = 0;
    for (let t = 0; t < length; t++) dot += a[t]! * b[t]!;
    return 1 - dot;
  };
  const pairs = (n * (n - 1)) / 2;
  const stride = Math.max(1, Math.ceil(pairs / 200_000));
  const sample: number[] = [];
  let k = 0;
  for (let i = 0; i < n; i++) {
    for (let j = i + 1; j < n; j++, k++) if (k % stride === 0) sample.push(distance(i, j));
  }
  sample.sort((a, b) => a - b);
  const radius = sample.length ? sample[Math.floor(Math.min(1, Math.max(0, quantile)) * (sample.length - 1))]! : 0;
  const near: number[][] = Array.from({ length: n }, (_, i) => [i]);
  for (let i = 0; i < n; i++) {
    for (let j = i + 1; j < n; j++) {
      if (distance(i, j) <= radius) {
        near[i]!.push(j);
        near[j]!.push(i);
      }
    }
  }
  return near;
}

/**
 * A group's embedding for the review order, added up frame by frame so a long dive keeps one sum per
 * group, not every frame's embedding: the mean, L2-normalised.
 */
export class EmbeddingMean {
  private sum: Float64Array | undefined;
  private mismatched = false;

  add(embedding: Float32Array): void {
    this.sum ??= new Float64Array(embedding.length);
    if (embedding.length !== this.sum.length) this.mismatched = true;
    else for (let t = 0; t < embedding.length; t++) this.sum[t]! += embedding[t]!;
  }

  /** Undefined when no frame had an embedding (or they differed in length, or all were zero). */
  value(): Float32Array | undefined {
    if (!this.sum || this.mismatched) return undefined;
    let norm = 0;
    for (const v of this.sum) norm += v * v;
    norm = Math.sqrt(norm);
    return norm > 0 ? Float32Array.from(this.sum, (v) => v / norm) : undefined;
  }
}
