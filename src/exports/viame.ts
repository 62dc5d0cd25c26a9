/**
 * VIAME CSV and DIVE annotation JSON (version 2): what VIAME and its annotator DIVE import.
 *
 * Tracks, in order: for each head (floor, element) its segments, one track per segment with a
 * whole-frame detection at each sampled frame (so DIVE's timeline shows the segments); then every
 * element heatmap box as a track of one detection. Frame numbers are the stream's own.
 *
 * DIVE's importer is strict, and the files are written to pass it: no byte-order mark, every row
 * with at least 9 columns, integer track ids and frames, each track's label on its last row (DIVE
 * keeps that row's), every row with a species, and no top-level `fps` in the JSON (DIVE would take
 * the file for a configuration and skip its tracks).
 */
import { csvRow } from '../sinks/csv.js';
import { boxesOf, clockTime, headsOf, rankedClasses, segmentsOf, type ExportVideo } from './export-video.js';
import { rovlensVersion, type RunLocalisation } from './run-file.js';

export const VIAME_LEGEND = [
  '# 1: Detection or Track-id',
  '2: Video or Image Identifier',
  '3: Unique Frame Identifier',
  '4-7: Img-bbox(TL_x',
  'TL_y',
  'BR_x',
  'BR_y)',
  '8: Detection or Length Confidence',
  '9: Target Length (0 or -1 if invalid)',
  '10-11+: Repeated Species',
  'Confidence Pairs or Attributes',
];

interface Detection {
  frame: number;
  seconds: number;
  /** TL x, TL y, BR x, BR y in source pixels. */
  bounds: [number, number, number, number];
  confidence: number;
  /** Class and score, best first. */
  classes: [string, number][];
  attributes: Record<string, string | number | boolean>;
}

interface Track {
  id: number;
  attributes: Record<string, string | number | boolean>;
  detections: Detection[];
  /** Whole-frame segments are held between samples; boxes are where they were only at their frame. */
  interpolate: boolean;
}

const round = (x: number, digits = 4) => Number(x.toFixed(digits));

function boxDetection(frame: number, seconds: number, l: RunLocalisation, classes: [string, number][], target: string): Detection[] {
  return l.boxes.map((box) => ({
    frame,
    seconds,
    bounds: [box.x, box.y, box.x + box.width, box.y + box.height],
    confidence: classes[0]?.[1] ?? 1,
    classes,
    attributes: { cam_target: target, cam_method: l.method, area_fraction: round(l.areaFraction) },
  }));
}

/** The tracks of one video: segments per head, then heatmap boxes. */
export function videoTracks(video: ExportVideo): Track[] {
  const tracks: Track[] = [];
  const fullFrame: [number, number, number, number] = [0, 0, video.width, video.height];
  for (const head of headsOf(video)) {
    for (const segment of segmentsOf(video, head)) {
      const detections = video.frames.slice(segment.first, segment.last + 1).map(({ record, frame, seconds }): Detection => {
        const prediction = record.heads[head]!;
        return {
          frame,
          seconds,
          bounds: fullFrame,
          confidence: round(prediction.confidence),
          classes: rankedClasses(record, head).map(([label, p]) => [label, round(p)]),
          attributes: prediction.uncertain ? { uncertain: true } : {},
        };
      });
      tracks.push({ id: tracks.length, attributes: { head, segment_label: segment.label }, detections, interpolate: true });
    }
  }
  for (const { record, frame, seconds } of video.frames) {
    for (const { target, localisation } of boxesOf(record)) {
      const all = rankedClasses(record, localisation.head).map(([label, p]): [string, number] => [label, round(p)]);
      // A heatmap asked for one class (--cam-also element:waste) shows that class, whatever was predicted.
      const chosen = target.endsWith(':predicted') ? all : all.filter(([label]) => label === localisation.label);
      // A row without a class would become DIVE's 'unknown': the heatmap's own label stands in.
      const classes: [string, number][] = chosen.length ? chosen : [[localisation.label, 1]];
      for (const detection of boxDetection(frame, seconds, localisation, classes, target)) {
        tracks.push({ id: tracks.length, attributes: { head: localisation.head }, detections: [detection], interpolate: false });
      }
    }
  }
  return tracks;
}

/** The fps DIVE shows the video at: the stream's average rate, at full precision. */
function exactFps(video: ExportVideo): number {
  return video.fps;
}

/** VIAME CSV of one video. */
export function viameCsv(video: ExportVideo): string {
  // Written as is (not as CSV cells): DIVE reads each `key: value` after the marker, value as JSON where it parses.
  const metadata = `# metadata,fps: ${JSON.stringify(exactFps(video))},exported_by: rovlens ${rovlensVersion()}\r\n`;
  const rows: { frame: number; id: number; line: string }[] = [];
  for (const track of videoTracks(video)) {
    for (const d of track.detections) {
      const cells: (string | number)[] = [
        track.id,
        clockTime(d.seconds),
        d.frame,
        ...d.bounds.map((v) => round(v, 2)),
        d.confidence,
        -1,
        ...d.classes.flat(),
        ...Object.entries(d.attributes).map(([k, v]) => `(atr) ${k} ${String(v)}`),
        ...Object.entries(track.attributes).map(([k, v]) => `(trk-atr) ${k} ${String(v)}`),
      ];
      rows.push({ frame: d.frame, id: track.id, line: csvRow(cells) });
    }
  }
  rows.sort((a, b) => a.frame - b.frame || a.id - b.id);
  return csvRow(VIAME_LEGEND) + metadata + rows.map((r) => r.line).join('');
}

/** DIVE annotation JSON (version 2) of one video. */
export function diveJson(video: ExportVideo): string {
  const tracks: Record<string, unknown> = {};
  for (const track of videoTracks(video)) {
    const first = track.detections[0]!;
    const last = track.detections[track.detections.length - 1]!;
    tracks[String(track.id)] = {
      id: track.id,
      begin: first.frame,
      end: last.frame,
      // DIVE labels a track by its confidence pairs: the last detection's, as its CSV import does.
      confidencePairs: last.classes,
      attributes: track.attributes,
      features: track.detections.map((d) => ({
        frame: d.frame,
        bounds: d.bounds.map(Math.round),
        keyframe: true,
        interpolate: track.interpolate,
        attributes: { ...d.attributes, confidence: d.confidence },
      })),
    };
  }
  return `${JSON.stringify({ tracks, groups: {}, version: 2 })}\n`;
}
