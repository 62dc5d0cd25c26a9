/**
 * What every export format is built from: each video of a run with its records, each record's real
 * frame number in the stream, and the runs of the same label per head (segments).
 */
import { basename } from 'node:path';
import { InputError } from '../errors.js';
import { streamFrameNumbers } from './frame-numbers.js';
import { locateInput, recordsOf, type Run, type RunInput, type RunRecord } from './run-file.js';

export interface ExportFrame {
  record: RunRecord;
  /** The frame's number in the stream (0-based), as annotation tools count. */
  frame: number;
  /** Presentation time, seconds from the start of the video. */
  seconds: number;
}

export interface ExportVideo {
  run: Run;
  input: RunInput;
  /** Where the video is now, when it was found. */
  path?: string;
  /** The file name annotation tools know the video by. */
  name: string;
  width: number;
  height: number;
  fps: number;
  /** One per record, in time order, one per stream frame. */
  frames: ExportFrame[];
}

/** A run of consecutive frames with the same label of one head. Indices into ExportVideo.frames, inclusive. */
export interface Segment {
  head: string;
  label: string;
  first: number;
  last: number;
}

export interface VideoOptions {
  /** Folders to look in for videos that moved. */
  videoFolders?: readonly string[];
  /** The format needs the video file itself (its hash, its frames): a missing one is refused. */
  needVideo?: boolean;
  /** Where a line for the user goes (default: standard error). */
  notice?: (line: string) => void;
}

const defaultNotice = (line: string) => process.stderr.write(`${line}\n`);

/** Every video of the runs, with exact frame numbers; a video that is needed and missing is refused. */
export async function exportVideos(runs: readonly Run[], options: VideoOptions = {}): Promise<ExportVideo[]> {
  const videos: ExportVideo[] = [];
  for (const run of runs) {
    for (const input of run.header.inputs) {
      const records = recordsOf(run, input);
      let path: string | undefined;
      let missing: InputError | undefined;
      try {
        path = locateInput(run, input, options.videoFolders);
      } catch (error) {
        if (!(error instanceof InputError)) throw error;
        missing = error;
      }
      if (missing && options.needVideo) throw missing;
      if (missing && !run.header.sampling.frameIndexExact && !input.probe.variableFrameRate) {
        // Containers do not always say that a rate varies (Matroska): the estimate is said, not hidden.
        (options.notice ?? defaultNotice)(
          `rovlens: ${missing.message}; its frame numbers are estimated as time x ${input.probe.fps} fps (exact at a constant frame rate)`,
        );
      }
      const frameOf = await streamFrameNumbers(run.header, input, path, () => {
        throw missing!;
      });
      const frames: ExportFrame[] = [];
      for (const record of records) {
        const frame = frameOf(record);
        // Two records can only meet on one frame when a clock rounds; annotation tools take one box per frame and track.
        if (frames.length && frames[frames.length - 1]!.frame >= frame) continue;
        frames.push({ record, frame, seconds: record.ptsSeconds });
      }
      videos.push({
        run,
        input,
        path,
        name: basename(input.absolutePath),
        width: input.probe.width,
        height: input.probe.height,
        fps: input.probe.fps,
        frames,
      });
    }
  }
  return videos;
}

/** Runs of the same label for one head ('uncertain' included: it is what the run said). */
export function segmentsOf(video: ExportVideo, head: string): Segment[] {
  const segments: Segment[] = [];
  video.frames.forEach(({ record }, i) => {
    const label = record.heads[head]?.label;
    if (label === undefined) return;
    const open = segments[segments.length - 1];
    if (open && open.label === label && open.last === i - 1) open.last = i;
    else segments.push({ head, label, first: i, last: i });
  });
  return segments;
}

/** A head's classes with this record's probabilities, best first. */
export function rankedClasses(record: RunRecord, head: string): [string, number][] {
  const probabilities = record.heads[head]?.probabilities ?? {};
  return Object.entries(probabilities).sort((a, b) => b[1] - a[1]);
}

/** The heads of the run's model, in its order. */
export function headsOf(video: ExportVideo): string[] {
  return Object.keys(video.run.header.model.heads);
}

/** Every element box of a record: the element's heatmap boxes, then those asked for with --cam-also. */
export function boxesOf(record: RunRecord): { target: string; localisation: NonNullable<RunRecord['localisation']> }[] {
  const all = record.localisation ? [{ target: `${record.localisation.head}:predicted`, localisation: record.localisation }] : [];
  for (const [target, localisation] of Object.entries(record.extraLocalisations ?? {})) all.push({ target, localisation });
  return all;
}

/** Seconds as HH:MM:SS.ffffff (VIAME's video timestamp). */
export function clockTime(seconds: number): string {
  const micros = Math.max(0, Math.round(seconds * 1e6));
  const pad = (n: number, w = 2) => String(n).padStart(w, '0');
  const s = Math.floor(micros / 1e6);
  return `${pad(Math.floor(s / 3600))}:${pad(Math.floor(s / 60) % 60)}:${pad(s % 60)}.${pad(micros % 1e6, 6)}`;
}
