/**
 * The report page: one HTML file with everything inside it (styles, SVG plots, thumbnails as data
 * URIs), no scripts, and a Content-Security-Policy that forbids fetching anything, so it opens the
 * same from a USB stick on a ship as from a web server. Pure: data in, text out.
 */
import { timecode } from '../sinks/columns.js';
import type { Segment } from '../sinks/segments.js';
import type { ClassGallery, RowRef } from './gallery.js';
import { roundSeconds, roundShare } from './summary-csv.js';
import {
  rowSeconds,
  UNCERTAIN,
  type ClassSummary,
  type HeadLabels,
  type RunSummary,
  type SampledVideo,
  type VideoSummary,
} from './summary.js';
import { thumbnailKey } from './thumbnails.js';
import { trackSvg, type VideoTrack } from './track-svg.js';

/** A segment of one head in one video, with the time its thumbnail shows (its middle row). */
export interface ReportSegment {
  source: string;
  head: string;
  segment: Segment;
  thumbnailAtSeconds: number;
}

/** What the model card says about itself: the report shows its measured accuracy and known weaknesses. */
export interface ReportModel {
  name?: string;
  provenance?: Record<string, unknown>;
}

export interface ReportPageData {
  title: string;
  heads: HeadLabels;
  summary: RunSummary;
  videos: readonly SampledVideo[];
  segments: readonly ReportSegment[];
  gallery: readonly ClassGallery[];
  tracks: readonly VideoTrack[];
  /** The head whose labels colour the track (the floor's). */
  trackHead?: string;
  thumbnails: ReadonlyMap<string, string>;
  model: ReportModel;
  /** The command lines that made the runs, as recorded in them. */
  commandLines: readonly string[];
  /** The command line that made this page. */
  reportCommandLine?: string;
  /** Said at the top of the page (thumbnails left out, and why). */
  notes: readonly string[];
  generatedAt: string;
}

/** Okabe-Ito colours (distinguishable with the common colour-vision deficiencies); grey for uncertain. */
const PALETTE = ['#E69F00', '#56B4E9', '#009E73', '#F0E442', '#0072B2', '#D55E00', '#CC79A7', '#7F3C8D', '#3969AC', '#80BA5A'];
const UNCERTAIN_COLOUR = '#B8B8B8';

export function colourFor(heads: HeadLabels, head: string, label: string): string {
  const i = heads[head]?.indexOf(label) ?? -1;
  return i < 0 ? UNCERTAIN_COLOUR : PALETTE[i % PALETTE.length]!;
}

const escape = (value: unknown) => String(value ?? '').replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);
const baseName = (path: string) => path.split(/[\\/]/).pop() || path;
const percent = (share: number) => `${(roundShare(share) * 100).toFixed(2)} %`;

const STYLE = `
:root { color-scheme: light; --ink: #1d2731; --muted: #5b6770; --rule: #d9dee2; --band: #f4f6f7; }
* { box-sizing: border-box; }
body { font: 14px/1.45 system-ui, -apple-system, "Segoe UI", Roboto, sans-serif; color: var(--ink); margin: 0; padding: 24px 32px 64px; max-width: 1280px; }
h1 { font-size: 24px; margin: 0 0 4px; } h2 { font-size: 19px; margin: 36px 0 8px; border-bottom: 2px solid var(--ink); padding-bottom: 4px; }
h3 { font-size: 16px; margin: 24px 0 6px; } h4 { font-size: 14px; margin: 16px 0 6px; color: var(--muted); }
p.meta, .muted { color: var(--muted); }
.notes { background: #fff4d6; border-left: 4px solid #E69F00; padding: 8px 12px; margin: 12px 0; }
table { border-collapse: collapse; margin: 6px 0 12px; }
th, td { padding: 3px 10px; text-align: left; border-bottom: 1px solid var(--rule); vertical-align: middle; }
th { background: var(--band); font-weight: 600; }
td.num, th.num { text-align: right; font-variant-numeric: tabular-nums; }
.swatch { display: inline-block; width: 12px; height: 12px; border-radius: 2px; margin-right: 6px; vertical-align: -1px; border: 1px solid rgba(0,0,0,.2); }
.heads { display: flex; flex-wrap: wrap; gap: 0 32px; }
.shares { display: flex; height: 14px; width: 100%; margin: 4px 0 6px; background: var(--band); border-radius: 2px; overflow: hidden; }
.shares span { display: block; height: 100%; }
.strip { width: 100%; height: auto; display: block; margin: 2px 0 10px; }
.strip text { font-size: 11px; fill: var(--muted); }
img.thumb { display: block; border-radius: 2px; }
.gallery { display: grid; grid-template-columns: repeat(auto-fill, minmax(520px, 1fr)); gap: 8px 24px; }
.gallery img.thumb { width: 120px; }
.gallery figure { margin: 0; display: inline-block; margin-right: 6px; font-size: 11px; color: var(--muted); }
.frames { display: flex; flex-wrap: wrap; align-items: flex-start; min-height: 20px; }
.nothumb { width: 120px; height: 68px; background: var(--band); display: flex; align-items: center; justify-content: center; color: var(--muted); font-size: 11px; }
svg.track { max-width: 100%; height: auto; border: 1px solid var(--rule); background: #fbfcfd; }
svg.track text { font-size: 11px; fill: var(--ink); } svg.track .start { fill: var(--ink); }
svg.track .scale line { stroke: var(--ink); stroke-width: 2; }
pre { background: var(--band); padding: 8px 12px; white-space: pre-wrap; word-break: break-all; }
`;

export function renderReportPage(data: ReportPageData): string {
  const { summary } = data;
  const body = [
    `<h1>${escape(data.title)}</h1>`,
    `<p class="meta">${summary.videos.length} video${summary.videos.length === 1 ? '' : 's'}, ${timecode(summary.overall.seconds)} of video in ${summary.overall.frames} sampled frames; made ${escape(data.generatedAt)} by rovlens report.</p>`,
    data.notes.length ? `<div class="notes">${data.notes.map((n) => `<p>${escape(n)}</p>`).join('')}</div>` : '',
    legend(data.heads),
    `<h2 id="overall">Whole run</h2>`,
    `<p class="muted">Time per class: each sampled frame stands for the time until the next sampled frame of its video (the last one for the usual sampling interval, up to the video's end). Share: of all that time; the classes of a head add up to 100 %. Main in frames: frames where the class had the highest probability, sure or not.</p>`,
    summaryTables(data.heads, 'run', summary.overall),
    ...summary.videos.map((video, i) => videoSection(data, video, data.videos[i]!)),
    gallerySection(data),
    trackSection(data),
    modelSection(data.model, Object.keys(data.heads)),
    `<h2 id="commands">How this was made</h2><p class="muted">The command lines recorded in the run files, exactly:</p>${
      data.commandLines.length ? data.commandLines.map((c) => `<pre>${escape(c)}</pre>`).join('') : '<p>none recorded</p>'
    }${data.reportCommandLine ? `<p class="muted">and this page:</p><pre>${escape(data.reportCommandLine)}</pre>` : ''}`,
  ];
  return `<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta http-equiv="Content-Security-Policy" content="default-src 'none'; img-src data:; style-src 'unsafe-inline'">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>${escape(data.title)}</title>
<style>${STYLE}</style>
</head>
<body>
${body.filter(Boolean).join('\n')}
</body>
</html>
`;
}

function legend(heads: HeadLabels): string {
  const items = Object.entries(heads).map(
    ([head, labels]) =>
      `<p><strong>${escape(head)}</strong>: ${[...labels, UNCERTAIN]
        .map((l) => `<span class="swatch" style="background:${colourFor(heads, head, l)}"></span>${escape(l)}`)
        .join(' &nbsp; ')}</p>`,
  );
  return `<div class="legend">${items.join('')}</div>`;
}

function seen(at: ClassSummary['firstSeen'], scope: 'video' | 'run'): string {
  if (!at) return '';
  return scope === 'run' ? `${escape(baseName(at.source))} ${timecode(at.ptsSeconds)}` : timecode(at.ptsSeconds);
}

/** One table per head: the numbers of summary.csv, rounded as there (seconds, share as a percentage). */
function summaryTables(heads: HeadLabels, scope: 'video' | 'run', video: VideoSummary): string {
  const tables = Object.keys(heads).map((head) => {
    const rows = video.classes
      .filter((c) => c.head === head)
      .map(
        (c) =>
          `<tr data-scope="${scope}" data-video="${escape(scope === 'run' ? '' : video.source)}" data-head="${escape(c.head)}" data-class="${escape(c.label)}">` +
          `<td><span class="swatch" style="background:${colourFor(heads, head, c.label)}"></span>${escape(c.label)}</td>` +
          `<td class="num">${timecode(c.seconds)}</td>` +
          `<td class="num" data-col="seconds">${roundSeconds(c.seconds)}</td>` +
          `<td class="num" data-col="share">${percent(c.share)}</td>` +
          `<td class="num" data-col="frames">${c.frames}</td>` +
          `<td class="num" data-col="main_frames">${c.mainFrames ?? ''}</td>` +
          `<td data-col="first_seen">${seen(c.firstSeen, scope)}</td>` +
          `<td data-col="last_seen">${seen(c.lastSeen, scope)}</td></tr>`,
      );
    const shares = video.classes
      .filter((c) => c.head === head && c.share > 0)
      .map(
        (c) =>
          `<span style="width:${(c.share * 100).toFixed(3)}%;background:${colourFor(heads, head, c.label)}" title="${escape(c.label)} ${percent(c.share)}"></span>`,
      );
    return `<div><h4>${escape(head)}</h4><div class="shares" role="img" aria-label="${escape(head)}: share of time per class">${shares.join('')}</div><table class="summary"><thead><tr><th>class</th><th class="num">time</th><th class="num">seconds</th><th class="num">share</th><th class="num">frames</th><th class="num" title="frames where it had the highest probability, sure or not">main in frames</th><th>first seen</th><th>last seen</th></tr></thead><tbody>${rows.join('')}</tbody></table></div>`;
  });
  return `<div class="heads">${tables.join('')}</div>`;
}

/** The labels along the video, one band per head: each row drawn for the time it stands for. */
function timelineStrip(heads: HeadLabels, video: SampledVideo, head: string): string {
  const timed = rowSeconds(video);
  const first = timed[0]?.row.ptsSeconds ?? 0;
  const last = timed.length ? timed[timed.length - 1]!.row.ptsSeconds + timed[timed.length - 1]!.seconds : 0;
  const span = Math.max(last - first, 1e-9);
  const width = 1000;
  const x = (t: number) => ((t - first) / span) * width;
  const rects: string[] = [];
  let runStart = 0;
  for (let i = 0; i < timed.length; i++) {
    const label = timed[i]!.row.heads[head]?.label ?? '';
    const next = timed[i + 1];
    if (next && (next.row.heads[head]?.label ?? '') === label) continue;
    const start = timed[runStart]!.row.ptsSeconds;
    const end = timed[i]!.row.ptsSeconds + timed[i]!.seconds;
    rects.push(
      `<rect x="${x(start).toFixed(2)}" y="0" width="${Math.max(x(end) - x(start), 0.5).toFixed(2)}" height="18" fill="${colourFor(heads, head, label)}"><title>${escape(label)} ${timecode(start)}-${timecode(end)}</title></rect>`,
    );
    runStart = i + 1;
  }
  const ticks = [0, 0.25, 0.5, 0.75, 1].map((f) => {
    const anchor = f === 0 ? 'start' : f === 1 ? 'end' : 'middle';
    return `<text x="${f * width}" y="32" text-anchor="${anchor}">${timecode(first + f * span)}</text>`;
  });
  return `<svg class="strip" viewBox="0 0 ${width} 36" preserveAspectRatio="none" role="img" aria-label="${escape(head)} along the video">${rects.join('')}${ticks.join('')}</svg>`;
}

function thumbnail(data: ReportPageData, source: string, ptsSeconds: number, alt: string): string {
  const uri = data.thumbnails.get(thumbnailKey(source, ptsSeconds));
  return uri ? `<img class="thumb" src="${uri}" alt="${escape(alt)}" width="160">` : `<div class="nothumb">no picture</div>`;
}

function videoSection(data: ReportPageData, video: VideoSummary, sampled: SampledVideo): string {
  const heads = Object.keys(data.heads);
  const strips = heads.map((h) => `<h4>${escape(h)} along the video</h4>${timelineStrip(data.heads, sampled, h)}`).join('');
  const segmentRows = data.segments
    .filter((s) => s.source === video.source)
    .map(
      ({ head, segment: s, thumbnailAtSeconds }) =>
        `<tr data-head="${escape(head)}" data-label="${escape(s.label)}"><td>${thumbnail(data, video.source, thumbnailAtSeconds, `${s.label} at ${timecode(thumbnailAtSeconds)}`)}</td><td>${escape(head)}</td>` +
        `<td><span class="swatch" style="background:${colourFor(data.heads, head, s.label)}"></span>${escape(s.label)}</td>` +
        `<td class="num">${timecode(s.startSeconds)}</td><td class="num">${timecode(s.endSeconds)}</td>` +
        `<td class="num">${roundSeconds(s.endSeconds - s.startSeconds)}</td><td class="num">${s.frames}</td><td class="num">${s.meanConfidence.toFixed(3)}</td></tr>`,
    );
  return `<section class="video"><h2 id="video-${escape(baseName(video.source))}">${escape(baseName(video.source))}</h2>
<p class="meta">${escape(video.source)}: ${timecode(video.seconds)} in ${video.frames} sampled frames</p>
${summaryTables(data.heads, 'video', video)}
${strips}
<h3>Segments</h3>
<table class="segments"><thead><tr><th>picture (middle)</th><th>head</th><th>label</th><th class="num">start</th><th class="num">end</th><th class="num">seconds</th><th class="num">frames</th><th class="num">mean confidence</th></tr></thead><tbody>${segmentRows.join('')}</tbody></table>
</section>`;
}

function figure(data: ReportPageData, ref: RowRef, head: string, label: string): string {
  const p = ref.row.heads[head]?.probabilities[label] ?? 0;
  const caption = `${baseName(ref.source)} ${timecode(ref.row.ptsSeconds)} · p=${p.toFixed(3)}${ref.row.heads[head]?.label === UNCERTAIN ? ' (uncertain)' : ''}`;
  return `<figure>${thumbnail(data, ref.source, ref.row.ptsSeconds, caption)}<figcaption>${escape(caption)}</figcaption></figure>`;
}

function gallerySection(data: ReportPageData): string {
  const blocks = data.gallery.map((g) => {
    const frames = (refs: RowRef[]) =>
      refs.length ? `<div class="frames">${refs.map((r) => figure(data, r, g.head, g.label)).join('')}</div>` : '<p class="muted">none</p>';
    return `<div class="class"><h3><span class="swatch" style="background:${colourFor(data.heads, g.head, g.label)}"></span>${escape(g.head)}: ${escape(g.label)}</h3>
<h4>most confident</h4>${frames(g.mostConfident)}<h4>least certain (top class, lowest probability)</h4>${frames(g.leastCertain)}</div>`;
  });
  return `<h2 id="gallery">Frames per class</h2><div class="gallery">${blocks.join('')}</div>`;
}

function trackSection(data: ReportPageData): string {
  const head = data.trackHead;
  if (!head) return '';
  const svg = trackSvg(data.tracks, (label) => colourFor(data.heads, head, label));
  if (!svg) return '';
  return `<h2 id="track">Vehicle track</h2><p class="muted">From the navigation log joined to each frame; each leg is coloured by the ${escape(head)} at its start. North is up.</p>${svg}`;
}

const isRecord = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);
const number = (v: unknown) => (typeof v === 'number' ? String(Number(v.toFixed(4))) : '');

/**
 * The card's measured metrics, whatever model made them: its texts (what it was measured on) as
 * paragraphs, then a row per head with the head's numbers and any per-class numbers (recall) inline.
 */
function metricsBlock(metrics: unknown, headNames: readonly string[]): string {
  if (!isRecord(metrics)) return escape(metrics);
  const texts = Object.entries(metrics).filter(([, v]) => typeof v === 'string');
  const numeric = Object.entries(metrics).filter(([, v]) => isRecord(v) && Object.values(v).some((x) => typeof x === 'number'));
  // Rows for the model's heads when the card keys its metrics by head (other entries, timings say, are not accuracy).
  const byHead = numeric.filter(([k]) => headNames.includes(k));
  const heads = byHead.length ? byHead : numeric;
  const columns = [
    ...new Set(
      heads.flatMap(([, v]) =>
        Object.entries(v as object)
          .filter(([, x]) => typeof x === 'number')
          .map(([k]) => k),
      ),
    ),
  ];
  const perClass = [
    ...new Set(
      heads.flatMap(([, v]) =>
        Object.entries(v as object)
          .filter(([, x]) => isRecord(x) && Object.values(x).every((n) => typeof n === 'number'))
          .map(([k]) => k),
      ),
    ),
  ];
  const rows = heads.map(([head, v]) => {
    const m = v as Record<string, unknown>;
    const cells = columns.map((c) => `<td class="num">${number(m[c])}</td>`);
    const classes = perClass.map(
      (c) =>
        `<td>${
          isRecord(m[c])
            ? Object.entries(m[c])
                .map(([k, x]) => `${escape(k)} ${number(x)}`)
                .join(', ')
            : ''
        }</td>`,
    );
    return `<tr><td>${escape(head)}</td>${cells.join('')}${classes.join('')}</tr>`;
  });
  const table = heads.length
    ? `<table class="metrics"><thead><tr><th>head</th>${columns.map((c) => `<th class="num">${escape(c)}</th>`).join('')}${perClass.map((c) => `<th>${escape(c)}</th>`).join('')}</tr></thead><tbody>${rows.join('')}</tbody></table>`
    : '';
  return `${table}${texts.map(([k, v]) => `<p class="muted"><strong>${escape(k)}</strong>: ${escape(v)}</p>`).join('')}`;
}

/** Known weaknesses: texts as paragraphs, per-head notes as lists of class: note. */
function weaknessesBlock(weaknesses: unknown): string {
  if (!isRecord(weaknesses)) return `<p>${escape(weaknesses)}</p>`;
  return Object.entries(weaknesses)
    .map(([k, v]) =>
      isRecord(v)
        ? `<p><strong>${escape(k)}</strong></p><ul>${Object.entries(v)
            .map(([c, note]) => `<li><strong>${escape(c)}</strong>: ${escape(typeof note === 'string' ? note : JSON.stringify(note))}</li>`)
            .join('')}</ul>`
        : `<p><strong>${escape(k)}</strong>: ${escape(typeof v === 'string' ? v : JSON.stringify(v))}</p>`,
    )
    .join('');
}

function modelSection(model: ReportModel, headNames: readonly string[]): string {
  const provenance = model.provenance ?? {};
  const metrics = provenance.metrics ?? provenance.validation;
  const weaknesses = provenance.knownWeaknesses;
  return `<h2 id="model">The model</h2>
<p><strong>${escape(model.name ?? 'unnamed model')}</strong></p>
<h3>Measured accuracy</h3>${metrics === undefined ? '<p>The model card records none: measure it with rovlens evaluate.</p>' : metricsBlock(metrics, headNames)}
<h3>Known weaknesses</h3>${weaknesses === undefined ? '<p>The model card records none.</p>' : weaknessesBlock(weaknesses)}`;
}
