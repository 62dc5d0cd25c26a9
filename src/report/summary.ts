/**
 * What a cruise saw, in numbers: per video and for the whole run, the time, share and frames of each
 * class of each head. Pure maths over the sampled rows of `rovlens timeline --format jsonl`.
 *
 * Time: each sampled row stands for the time until the next sample of the same video; the last row of
 * a video stands for the median sampling interval (cut at the video's end when its duration is known),
 * as the segments' last end does; a video's only row stands for the rest of the video, or for nothing
 * when its duration is unknown. So a run sampled every 2 s counts 2 s per row, and keyframe scans
 * with uneven gaps count each gap once.
 */

/** One head's answer in a sampled row (the JSON lines record's `heads.<name>`). */
export interface SampledHead {
  label: string;
  confidence: number;
  uncertain?: boolean;
  /** Raw probabilities by label. */
  probabilities: Record<string, number>;
}

/** One sampled row of a video. */
export interface SampledRow {
  ptsSeconds: number;
  frameIndex: number;
  heads: Record<string, SampledHead>;
  /** Where the vehicle was, when a navigation log was joined. */
  nav?: { time: string; values: Record<string, number> };
  /** Its near-duplicate group (the gallery shows one frame per group where it can). */
  group?: { groupId: number };
}

/** One video of a run: its rows in any order (they are sorted by time here). */
export interface SampledVideo {
  source: string;
  rows: readonly SampledRow[];
  /** The video's duration, when it was probed: the last row's time is cut there. */
  durationSeconds?: number;
}

/** The label a head gives below its confidence threshold: a class of its own in the summary. */
export const UNCERTAIN = 'uncertain';

/** A class of a head, in one video or in the whole run. */
export interface ClassSummary {
  head: string;
  /** A label of the head, or `uncertain`. */
  label: string;
  /** Seconds of video the rows with this label stand for. */
  seconds: number;
  /** `seconds` over all the seconds of the video (or run): the shares of one head add up to 1. */
  share: number;
  /** Sampled rows with this label. */
  frames: number;
  /**
   * Sampled rows where this class had the head's highest probability, whether or not it cleared the
   * head's threshold (MaxN-style: counted in frames, each frame once). Undefined for `uncertain`.
   */
  mainFrames: number | undefined;
  /** First and last rows with this label: video and seconds from that video's start. */
  firstSeen?: { source: string; ptsSeconds: number };
  lastSeen?: { source: string; ptsSeconds: number };
}

export interface VideoSummary {
  source: string;
  /** Seconds all its rows stand for. */
  seconds: number;
  frames: number;
  classes: ClassSummary[];
}

export interface RunSummary {
  videos: VideoSummary[];
  /** The whole run: every video together. */
  overall: VideoSummary;
}

/** Heads and their labels in the model card's order: the rows of the summary. */
export type HeadLabels = Record<string, readonly string[]>;

/** The rows of a video sorted by time, each with the seconds it stands for. */
export function rowSeconds(video: SampledVideo): { row: SampledRow; seconds: number }[] {
  const rows = [...video.rows].sort((a, b) => a.ptsSeconds - b.ptsSeconds);
  const gaps = rows
    .slice(1)
    .map((r, i) => r.ptsSeconds - rows[i]!.ptsSeconds)
    .filter((g) => g > 0)
    .sort((a, b) => a - b);
  // A lone row has no interval: it stands for the rest of the video when its duration is known.
  const interval = gaps.length ? gaps[Math.floor(gaps.length / 2)]! : video.durationSeconds === undefined ? 0 : Infinity;
  return rows.map((row, i) => {
    if (i + 1 < rows.length) return { row, seconds: rows[i + 1]!.ptsSeconds - row.ptsSeconds };
    const toEnd = video.durationSeconds === undefined ? Infinity : Math.max(0, video.durationSeconds - row.ptsSeconds);
    return { row, seconds: Math.min(interval, toEnd) };
  });
}

function topLabel(head: SampledHead, labels: readonly string[]): string | undefined {
  let best: string | undefined;
  let bestP = -Infinity;
  for (const label of labels) {
    const p = head.probabilities[label];
    if (p !== undefined && p > bestP) ((best = label), (bestP = p));
  }
  return best;
}

interface Tally {
  seconds: number;
  frames: number;
  mainFrames: number;
  firstSeen?: { source: string; ptsSeconds: number };
  lastSeen?: { source: string; ptsSeconds: number };
}

const emptyTally = (): Tally => ({ seconds: 0, frames: 0, mainFrames: 0 });
const key = (head: string, label: string) => `${head}\u0000${label}`;

function classSummaries(heads: HeadLabels, tallies: Map<string, Tally>, totalSeconds: number): ClassSummary[] {
  return Object.entries(heads).flatMap(([head, labels]) =>
    [...labels, UNCERTAIN].map((label) => {
      const t = tallies.get(key(head, label)) ?? emptyTally();
      return {
        head,
        label,
        seconds: t.seconds,
        share: totalSeconds > 0 ? t.seconds / totalSeconds : 0,
        frames: t.frames,
        mainFrames: label === UNCERTAIN ? undefined : t.mainFrames,
        ...(t.firstSeen ? { firstSeen: t.firstSeen } : {}),
        ...(t.lastSeen ? { lastSeen: t.lastSeen } : {}),
      };
    }),
  );
}

/** Tallies one video's rows into `tallies` (shared with the whole run's); returns its seconds and frames. */
function tallyVideo(video: SampledVideo, heads: HeadLabels, into: Map<string, Tally>[]): { seconds: number; frames: number } {
  let seconds = 0;
  const timed = rowSeconds(video);
  for (const { row, seconds: rowSec } of timed) {
    seconds += rowSec;
    for (const [head, labels] of Object.entries(heads)) {
      const answer = row.heads[head];
      if (!answer) continue;
      const main = topLabel(answer, labels);
      const seen = { source: video.source, ptsSeconds: row.ptsSeconds };
      for (const tallies of into) {
        const labelled = tallies.get(key(head, answer.label)) ?? emptyTally();
        tallies.set(key(head, answer.label), labelled);
        labelled.seconds += rowSec;
        labelled.frames++;
        labelled.firstSeen ??= seen;
        labelled.lastSeen = seen;
        if (main !== undefined) {
          const top = tallies.get(key(head, main)) ?? emptyTally();
          tallies.set(key(head, main), top);
          top.mainFrames++;
        }
      }
    }
  }
  return { seconds, frames: timed.length };
}

/** Per video and for the whole run (videos in the order given), every class of every head. */
export function summariseRun(videos: readonly SampledVideo[], heads: HeadLabels): RunSummary {
  const runTallies = new Map<string, Tally>();
  let runSeconds = 0;
  let runFrames = 0;
  const perVideo = videos.map((video) => {
    const tallies = new Map<string, Tally>();
    const { seconds, frames } = tallyVideo(video, heads, [tallies, runTallies]);
    runSeconds += seconds;
    runFrames += frames;
    return { source: video.source, seconds, frames, tallies };
  });
  return {
    videos: perVideo.map((v) => ({
      source: v.source,
      seconds: v.seconds,
      frames: v.frames,
      classes: classSummaries(heads, v.tallies, v.seconds),
    })),
    overall: { source: '', seconds: runSeconds, frames: runFrames, classes: classSummaries(heads, runTallies, runSeconds) },
  };
}
