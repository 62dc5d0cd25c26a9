/**
 * The vehicle's track as an SVG plot (no map tiles: the report works offline), each leg coloured by
 * the floor type of the row it starts at. Positions come from the navigation log joined by
 * `rovlens timeline --nav`: the first columns named like lat / lon, as the join itself picks them.
 *
 * Projection: equirectangular around the mean latitude (x = longitude x cos(mean latitude)), which
 * keeps distances true to well under 1 % over the few kilometres of a dive.
 */
import type { SampledRow } from './summary.js';

export interface TrackPoint {
  latitude: number;
  longitude: number;
  /** The label the colour comes from (the floor head's). */
  label: string;
}

export interface VideoTrack {
  source: string;
  points: TrackPoint[];
}

/** The position columns of a row's nav values, if it has both. */
export function positionKeys(values: Record<string, number>): { latitude: string; longitude: string } | undefined {
  const names = Object.keys(values);
  const latitude = names.find((f) => /^lat/i.test(f));
  const longitude = names.find((f) => /^lon/i.test(f));
  return latitude && longitude ? { latitude, longitude } : undefined;
}

/** Rows with a position, in time order; rows outside the log (no values) are left out. */
export function trackOf(source: string, rows: readonly SampledRow[], head: string): VideoTrack {
  const points: TrackPoint[] = [];
  for (const row of [...rows].sort((a, b) => a.ptsSeconds - b.ptsSeconds)) {
    const values = row.nav?.values;
    const keys = values && positionKeys(values);
    if (!values || !keys) continue;
    const latitude = values[keys.latitude]!;
    const longitude = values[keys.longitude]!;
    if (!Number.isFinite(latitude) || !Number.isFinite(longitude)) continue;
    points.push({ latitude, longitude, label: row.heads[head]?.label ?? '' });
  }
  return { source, points };
}

const escape = (s: string) => s.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);

/**
 * The plot: `size` pixels on its longer side, a margin for the scale bar and the labels, legs as
 * coloured lines, each video's start marked and named. Undefined when no video has two positions.
 */
export function trackSvg(tracks: readonly VideoTrack[], colourOf: (label: string) => string, size = 640): string | undefined {
  const points = tracks.flatMap((t) => t.points);
  if (points.filter((p, i) => i === 0 || p.latitude !== points[0]!.latitude || p.longitude !== points[0]!.longitude).length < 2)
    return undefined;
  const meanLatitude = points.reduce((s, p) => s + p.latitude, 0) / points.length;
  const xScale = Math.cos((meanLatitude * Math.PI) / 180);
  const xs = points.map((p) => p.longitude * xScale);
  const ys = points.map((p) => p.latitude);
  const [minX, maxX, minY, maxY] = [Math.min(...xs), Math.max(...xs), Math.min(...ys), Math.max(...ys)];
  const spanDegrees = Math.max(maxX - minX, maxY - minY, 1e-9);
  const margin = 40;
  const scale = (size - 2 * margin) / spanDegrees;
  const width = Math.round((maxX - minX) * scale + 2 * margin);
  const height = Math.round((maxY - minY) * scale + 2 * margin);
  const project = (p: TrackPoint) => ({
    x: margin + (p.longitude * xScale - minX) * scale,
    // North up: latitude grows upwards, SVG's y downwards.
    y: height - margin - (p.latitude - minY) * scale,
  });
  const legs: string[] = [];
  const starts: string[] = [];
  for (const track of tracks) {
    track.points.forEach((point, i) => {
      const next = track.points[i + 1];
      if (!next) return;
      const [a, b] = [project(point), project(next)];
      legs.push(
        `<line x1="${a.x.toFixed(1)}" y1="${a.y.toFixed(1)}" x2="${b.x.toFixed(1)}" y2="${b.y.toFixed(1)}" stroke="${colourOf(point.label)}"><title>${escape(point.label)}</title></line>`,
      );
    });
    const first = track.points[0];
    if (first) {
      const p = project(first);
      starts.push(
        `<circle cx="${p.x.toFixed(1)}" cy="${p.y.toFixed(1)}" r="4" class="start"/><text x="${(p.x + 6).toFixed(1)}" y="${(p.y - 6).toFixed(1)}">${escape(baseName(track.source))}</text>`,
      );
    }
  }
  // A scale bar of a round number of metres, about a quarter of the plot wide.
  const metresPerDegree = 111_320;
  const plotMetres = ((width - 2 * margin) / scale) * metresPerDegree;
  const barMetres = roundDown(Math.max(plotMetres / 4, 1));
  const barPixels = (barMetres / metresPerDegree) * scale;
  const bar = `<g class="scale"><line x1="${margin}" y1="${height - 12}" x2="${(margin + barPixels).toFixed(1)}" y2="${height - 12}"/><text x="${margin}" y="${height - 18}">${barMetres >= 1000 ? `${barMetres / 1000} km` : `${barMetres} m`}</text></g>`;
  const extent = `<text class="extent" x="${width - margin}" y="14" text-anchor="end">lat ${minY.toFixed(5)} to ${maxY.toFixed(5)}, lon ${(minX / xScale).toFixed(5)} to ${(maxX / xScale).toFixed(5)}</text>`;
  return `<svg class="track" xmlns="http://www.w3.org/2000/svg" viewBox="0 0 ${width} ${height}" width="${width}" height="${height}" role="img" aria-label="vehicle track coloured by floor type"><g class="legs" stroke-width="3" stroke-linecap="round">${legs.join('')}</g>${starts.join('')}${bar}${extent}</svg>`;
}

function roundDown(metres: number): number {
  const power = 10 ** Math.floor(Math.log10(metres));
  const mantissa = metres / power;
  return (mantissa >= 5 ? 5 : mantissa >= 2 ? 2 : 1) * power;
}

function baseName(path: string): string {
  return path.split(/[\\/]/).pop() || path;
}
