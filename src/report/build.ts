/**
 * From runs to the report: merges the runs' videos, does the sums, picks the segments and frames to
 * show, takes their pictures, and renders the page and summary.csv. The only I/O is the thumbnails.
 */
import { segmentTrack } from '../sinks/segments.js';
import { pickGallery } from './gallery.js';
import { renderReportPage, type ReportModel, type ReportSegment } from './page.js';
import { summaryCsv } from './summary-csv.js';
import { summariseRun, type HeadLabels, type SampledRow, type SampledVideo, type RunSummary } from './summary.js';
import { makeThumbnails, type ThumbnailRequest } from './thumbnails.js';
import { trackOf } from './track-svg.js';

/** What the report needs of one run file. */
export interface ReportRun {
  /** The run file, for messages. */
  path: string;
  /** The command line that made it, as recorded. */
  commandLine?: string;
  /** Its model card: heads with their labels, and what the card says about accuracy and weaknesses. */
  model: ReportModel & { heads: Record<string, readonly string[]> };
  videos: readonly ReportVideo[];
}

/** A video of a run, and where its file is now (for thumbnails). */
export interface ReportVideo extends SampledVideo {
  /** The file now; undefined when it was not found. */
  file?: string;
  /** Why it was not found (one line), when it was not. */
  missing?: string;
}

export interface BuildReportOptions {
  title?: string;
  /** Merge segments shorter than this into their neighbour, as `rovlens timeline --min-segment`. */
  minSegmentSeconds?: number;
  /** Frames per class in each half of the gallery. */
  galleryPerClass?: number;
  thumbnailWidthPx?: number;
  /** False: no pictures at all (fast, and no videos needed). */
  thumbnails?: boolean;
  /** The command line that made the report, shown with the runs'. */
  commandLine?: string;
  /** The page's "made" time; fixed by tests. */
  generatedAt?: string;
}

export interface BuiltReport {
  html: string;
  csv: string;
  summary: RunSummary;
  /** One line each, for stderr: videos not found, pictures not taken. */
  warnings: string[];
}

/** Heads and labels of all runs' cards, in the first card's order; labels only a later card has come after. */
export function mergeHeads(runs: readonly ReportRun[]): HeadLabels {
  const heads: Record<string, string[]> = {};
  for (const run of runs) {
    for (const [head, headLabels] of Object.entries(run.model.heads)) {
      const labels = (heads[head] ??= []);
      for (const label of headLabels) if (!labels.includes(label)) labels.push(label);
    }
  }
  return heads;
}

/** Videos in run order; a video in several runs (parts of it run separately) becomes one, its rows merged by time. */
export function mergeVideos(runs: readonly ReportRun[]): ReportVideo[] {
  const bySource = new Map<string, { rows: Map<number, SampledRow>; durationSeconds?: number; file?: string; missing?: string }>();
  for (const run of runs) {
    for (const video of run.videos) {
      let merged = bySource.get(video.source);
      if (!merged) bySource.set(video.source, (merged = { rows: new Map() }));
      if (video.durationSeconds !== undefined) merged.durationSeconds = video.durationSeconds;
      if (video.file !== undefined) ((merged.file = video.file), delete merged.missing);
      else if (merged.file === undefined && video.missing) merged.missing ??= video.missing;
      for (const row of video.rows) merged.rows.set(row.ptsSeconds, row);
    }
  }
  return [...bySource].map(([source, v]) => ({
    source,
    rows: [...v.rows.values()].sort((a, b) => a.ptsSeconds - b.ptsSeconds),
    ...(v.durationSeconds === undefined ? {} : { durationSeconds: v.durationSeconds }),
    ...(v.file === undefined ? {} : { file: v.file }),
    ...(v.missing === undefined ? {} : { missing: v.missing }),
  }));
}

/** Segments of every head in every video, as the segments CSV has them, each with its middle row's time. */
export function reportSegments(videos: readonly SampledVideo[], heads: HeadLabels, minSegmentSeconds = 0): ReportSegment[] {
  return videos.flatMap((video) =>
    Object.keys(heads).flatMap((head) => {
      const rows = video.rows.filter((r) => r.heads[head]);
      const track = rows.map((r) => ({ ptsSeconds: r.ptsSeconds, label: r.heads[head]!.label, confidence: r.heads[head]!.confidence }));
      return segmentTrack(track, { minSegmentSeconds }).map((segment) => ({
        source: video.source,
        head,
        // The last segment ends one sampling interval after its last row: not past the video's end.
        segment: { ...segment, endSeconds: Math.min(segment.endSeconds, video.durationSeconds ?? Infinity) },
        thumbnailAtSeconds: rows[Math.floor((segment.firstSample + segment.lastSample) / 2)]!.ptsSeconds,
      }));
    }),
  );
}

export async function buildReport(runs: readonly ReportRun[], options: BuildReportOptions = {}): Promise<BuiltReport> {
  const heads = mergeHeads(runs);
  const videos = mergeVideos(runs);
  const summary = summariseRun(videos, heads);
  const segments = reportSegments(videos, heads, options.minSegmentSeconds);
  const gallery = pickGallery(videos, heads, options.galleryPerClass ?? 4);
  const trackHead = 'floor' in heads ? 'floor' : Object.keys(heads)[0];
  const tracks = trackHead ? videos.map((v) => trackOf(v.source, v.rows, trackHead)) : [];

  const warnings: string[] = [];
  const notes: string[] = [];
  const models = [...new Set(runs.map((r) => r.model.name ?? 'unnamed'))];
  if (models.length > 1)
    notes.push(`The runs were made with different models (${models.join(', ')}); the model section describes the first.`);
  let thumbnails = new Map<string, string>();
  if (options.thumbnails ?? true) {
    const files = new Map(videos.flatMap((v) => (v.file === undefined ? [] : [[v.source, v.file] as const])));
    const wanted = [
      ...segments.map((s) => ({ source: s.source, ptsSeconds: s.thumbnailAtSeconds })),
      ...gallery.flatMap((g) => [...g.mostConfident, ...g.leastCertain].map((r) => ({ source: r.source, ptsSeconds: r.row.ptsSeconds }))),
    ];
    const requests: ThumbnailRequest[] = wanted.flatMap((w) => (files.has(w.source) ? [{ ...w, file: files.get(w.source)! }] : []));
    const made = await makeThumbnails(requests, { widthPx: options.thumbnailWidthPx ?? 160 });
    thumbnails = made.images;
    for (const video of videos) {
      if (video.file !== undefined) continue;
      const line = `${video.missing ?? `video not found: ${video.source}`}; its thumbnails are left out`;
      warnings.push(line);
      notes.push(line);
    }
    if (made.failures.length) {
      warnings.push(`${made.failures.length} thumbnail(s) could not be made; the first: ${made.failures[0]}`);
      notes.push(`${made.failures.length} thumbnail(s) could not be made.`);
    }
  }

  const html = renderReportPage({
    title: options.title ?? defaultTitle(videos),
    heads,
    summary,
    videos,
    segments,
    gallery,
    tracks,
    ...(trackHead ? { trackHead } : {}),
    thumbnails,
    model: runs[0]?.model ?? {},
    commandLines: runs.flatMap((r) => (r.commandLine ? [r.commandLine] : [])),
    ...(options.commandLine ? { reportCommandLine: options.commandLine } : {}),
    notes,
    generatedAt: options.generatedAt ?? new Date().toISOString().replace(/\.\d+Z$/, 'Z'),
  });
  return { html, csv: summaryCsv(summary), summary, warnings };
}

function defaultTitle(videos: readonly SampledVideo[]): string {
  if (videos.length === 1) return `rovlens report: ${videos[0]!.source.split(/[\\/]/).pop()}`;
  return `rovlens report: ${videos.length} videos`;
}
