/**
 * A map of the run (GeoJSON, RFC 7946: WGS 84 longitude, latitude): each segment of each head as a
 * line along the vehicle's track (a habitat map: where the sand starts and the mud ends), and each
 * frame as a point with its labels. Positions come from the navigation log; frames without one are
 * left off the map. Results are collected as they pass (a few numbers a frame) and the file is
 * written once at the end, however the run ends, so all inputs of a run share one map.
 */
import { tap, type MonoTypeOperatorFunction } from 'rxjs';
import type { FrameResult } from '../types.js';
import { timecode } from './columns.js';
import { writeOutputFile } from './row-file.js';
import { segmentTrack, type SegmentOptions } from './segments.js';

interface MapSample {
  frameIndex: number;
  ptsSeconds: number;
  time?: string;
  /** [longitude, latitude], or undefined where the log had no position. */
  position?: [number, number];
  heads: Record<string, { label: string; confidence: number }>;
  nav: Record<string, number>;
}

export interface MapOptions extends SegmentOptions {
  /** The log's latitude and longitude columns. */
  latitude: string;
  longitude: string;
}

type Geometry = { type: 'Point'; coordinates: [number, number] } | { type: 'LineString'; coordinates: [number, number][] };

interface Feature {
  type: 'Feature';
  geometry: Geometry;
  properties: Record<string, string | number>;
}

const round = (x: number, digits: number) => Number(x.toFixed(digits));

export class TrackMap {
  private readonly sources = new Map<string, MapSample[]>();

  constructor(
    private readonly heads: readonly string[],
    private readonly options: MapOptions,
  ) {}

  /** Passes results on unchanged, keeping what the map needs of each. */
  collect(): MonoTypeOperatorFunction<FrameResult> {
    return tap((result) => {
      const { frame, nav } = result;
      let samples = this.sources.get(frame.sourceId);
      if (!samples) this.sources.set(frame.sourceId, (samples = []));
      const lat = nav?.values[this.options.latitude];
      const lon = nav?.values[this.options.longitude];
      samples.push({
        frameIndex: frame.index,
        ptsSeconds: frame.ptsSeconds,
        ...(nav ? { time: nav.time } : {}),
        ...(lat !== undefined && lon !== undefined ? { position: [round(lon, 7), round(lat, 7)] as [number, number] } : {}),
        heads: Object.fromEntries(
          this.heads.flatMap((h) => {
            const p = result.heads[h];
            return p ? [[h, { label: p.label, confidence: p.confidence }]] : [];
          }),
        ),
        nav: nav?.values ?? {},
      });
    });
  }

  /** The map: segment lines first (per source, per head), then frame points. */
  features(): Feature[] {
    const lines: Feature[] = [];
    const points: Feature[] = [];
    for (const [source, samples] of this.sources) {
      for (const head of this.heads) {
        const track = samples.flatMap((s) => {
          const p = s.heads[head];
          return p ? [{ ptsSeconds: s.ptsSeconds, label: p.label, confidence: p.confidence, sample: s }] : [];
        });
        for (const segment of segmentTrack(track, this.options)) {
          // Along the track from the segment's first frame to where the next one starts.
          const last = Math.min(segment.lastSample + 1, track.length - 1);
          const coordinates = track.slice(segment.firstSample, last + 1).flatMap((t) => (t.sample.position ? [t.sample.position] : []));
          if (!coordinates.length) continue;
          lines.push({
            type: 'Feature',
            geometry: coordinates.length === 1 ? { type: 'Point', coordinates: coordinates[0]! } : { type: 'LineString', coordinates },
            properties: {
              kind: 'segment',
              source,
              track: head,
              label: segment.label,
              start: timecode(segment.startSeconds),
              end: timecode(segment.endSeconds),
              start_seconds: round(segment.startSeconds, 3),
              end_seconds: round(segment.endSeconds, 3),
              duration_seconds: round(segment.endSeconds - segment.startSeconds, 3),
              frames: segment.frames,
              mean_confidence: round(segment.meanConfidence, 4),
            },
          });
        }
      }
      for (const s of samples) {
        if (!s.position) continue;
        points.push({
          type: 'Feature',
          geometry: { type: 'Point', coordinates: s.position },
          properties: {
            kind: 'frame',
            source,
            frame_index: s.frameIndex,
            pts_seconds: round(s.ptsSeconds, 3),
            timecode: timecode(s.ptsSeconds),
            ...(s.time ? { time: s.time } : {}),
            ...Object.fromEntries(
              Object.entries(s.heads).flatMap(([h, p]) => [
                [h, p.label],
                [`${h}_confidence`, round(p.confidence, 4)],
              ]),
            ),
            ...Object.fromEntries(Object.entries(s.nav).map(([k, v]) => [`nav_${k}`, round(v, 7)])),
          },
        });
      }
    }
    return [...lines, ...points];
  }

  write(path: string): void {
    writeOutputFile(path, `${JSON.stringify({ type: 'FeatureCollection', features: this.features() })}\n`);
  }
}
