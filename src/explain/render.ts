/**
 * The annotated picture everyone shows (annotate, contact sheets, the live feed): the heatmap of the
 * localised class blended over the frame (turbo/viridis), the crop region the model saw, the boxes,
 * the peak, and each head's label with its confidence, as a JPEG.
 *
 * Works on any frame whose `region` says which source pixels it shows: a full decoded frame (the
 * heatmap then covers only the crop region, and the rest is dimmed) or the model-sized crop itself
 * (the heatmap covers it all). Localisation lives in source pixels, so one mapping serves both.
 */
import sharp from 'sharp';
import type { Frame, FrameResult, Rect } from '../types.js';
import { renderSchema, type RenderOptions } from '../config/explain.js';
import { timecode } from '../timecode.js';
import { bilinearResize } from './cam.js';
import { colormapTable } from './colormap.js';
import { heatmapOf } from './localise.js';
import { sourceToPicture } from './source-coords.js';

export interface Heat {
  /** ReLU'd, max-normalised map, row-major. */
  map: Float32Array;
  width: number;
  height: number;
  /** Source pixels the map covers. */
  region: Rect;
}

/** The heatmap to show: the localised head/class when there is a localisation, else none. */
export function heatOf(result: FrameResult): Heat | undefined {
  const l = result.localisation;
  const maps = l ? result.cams?.[l.head] : undefined;
  if (!l || !maps) return undefined;
  return { map: heatmapOf(maps, l.classIndex), width: maps.width, height: maps.height, region: l.region };
}

/** Integer pixel rectangle of `rect` clipped to a width x height picture (may be empty). */
function clip(rect: Rect, width: number, height: number): Rect {
  const x0 = Math.max(0, Math.round(rect.x));
  const y0 = Math.max(0, Math.round(rect.y));
  const x1 = Math.min(width, Math.round(rect.x + rect.width));
  const y1 = Math.min(height, Math.round(rect.y + rect.height));
  return { x: x0, y: y0, width: Math.max(0, x1 - x0), height: Math.max(0, y1 - y0) };
}

/**
 * Blends the heatmap into `pixels` (RGB HWC, width x height) over `target` (picture pixels), with
 * opacity growing with the heat, and dims everything outside `target`. Pure; mutates `pixels`.
 */
export function blendHeat(
  pixels: Uint8Array,
  width: number,
  height: number,
  heat: Heat | undefined,
  target: Rect,
  options: Pick<RenderOptions, 'colormap' | 'heatmapOpacity' | 'outsideDimming'>,
): void {
  const inside = clip(target, width, height);
  const keep = 1 - options.outsideDimming;
  if (keep < 1) {
    for (let y = 0; y < height; y++) {
      const rowInside = y >= inside.y && y < inside.y + inside.height;
      for (let x = 0; x < width; x++) {
        if (rowInside && x >= inside.x && x < inside.x + inside.width) continue;
        const i = (y * width + x) * 3;
        pixels[i] = pixels[i]! * keep;
        pixels[i + 1] = pixels[i + 1]! * keep;
        pixels[i + 2] = pixels[i + 2]! * keep;
      }
    }
  }
  if (!heat || inside.width === 0 || inside.height === 0) return;
  // Resample the map over the whole target (which may extend past the picture), then read the clipped part.
  const fullWidth = Math.max(1, Math.round(target.width));
  const fullHeight = Math.max(1, Math.round(target.height));
  const up = bilinearResize(heat.map, heat.width, heat.height, fullWidth, fullHeight);
  const lut = colormapTable(options.colormap);
  const ox = inside.x - Math.round(target.x);
  const oy = inside.y - Math.round(target.y);
  for (let y = 0; y < inside.height; y++) {
    const row = Math.min(fullHeight - 1, y + oy) * fullWidth;
    for (let x = 0; x < inside.width; x++) {
      const v = up[row + Math.min(fullWidth - 1, x + ox)]!;
      const a = options.heatmapOpacity * v;
      if (a <= 0) continue;
      const c = Math.round(v * 255) * 3;
      const i = ((inside.y + y) * width + inside.x + x) * 3;
      pixels[i] = pixels[i]! + (lut[c]! - pixels[i]!) * a;
      pixels[i + 1] = pixels[i + 1]! + (lut[c + 1]! - pixels[i + 1]!) * a;
      pixels[i + 2] = pixels[i + 2]! + (lut[c + 2]! - pixels[i + 2]!) * a;
    }
  }
}

const escapeXml = (s: string) => s.replace(/[<>&"']/g, (ch) => `&#${ch.charCodeAt(0)};`);

/**
 * Text lines for the label panel: the time, where the vehicle was (with a navigation log: its time,
 * then the log's values two to a line), one line per head, then what the heatmap shows.
 */
export function labelLines(result: FrameResult, heatmapNote?: string): string[] {
  const lines = [timecode(result.frame.ptsSeconds)];
  if (result.nav) {
    lines.push(result.nav.time);
    const values = Object.entries(result.nav.values).map(([name, v]) => `${name} ${Number(v.toFixed(6))}`);
    for (let i = 0; i < values.length; i += 2) lines.push(values.slice(i, i + 2).join('  '));
  }
  for (const [head, p] of Object.entries(result.heads)) {
    const top = p.labels[p.topIndex] ?? p.label;
    lines.push(`${head}: ${p.uncertain ? `uncertain (${top})` : p.label} ${(p.confidence * 100).toFixed(0)}%`);
  }
  const l = result.localisation;
  if (l) {
    const label = result.heads[l.head]?.labels[l.classIndex] ?? `class ${l.classIndex}`;
    lines.push(`heatmap: ${l.head}/${label} (${l.method})`);
    if (heatmapNote) lines.push(`heatmap ${heatmapNote}`);
  }
  return lines;
}

function overlaySvg(width: number, height: number, result: FrameResult, picture: Frame, heatmapNote?: string): string {
  const font = Math.max(11, Math.round(width / 64));
  const stroke = Math.max(1.5, width / 640);
  const parts: string[] = [];
  const l = result.localisation;
  const toPicture = (r: Rect) => sourceToPicture(r, picture.region, width, height);
  const region = toPicture(l?.region ?? result.frame.region);
  // The crop region only needs a frame when it is not the whole picture.
  if (region.x > 0.5 || region.y > 0.5 || region.width < width - 1 || region.height < height - 1) {
    parts.push(
      `<rect x="${region.x}" y="${region.y}" width="${region.width}" height="${region.height}" fill="none" stroke="#ffffff" stroke-opacity="0.8" stroke-width="${stroke}" stroke-dasharray="${stroke * 6} ${stroke * 4}"/>`,
    );
  }
  if (l) {
    const label = result.heads[l.head]?.labels[l.classIndex] ?? `class ${l.classIndex}`;
    l.boxes.forEach((box, i) => {
      const b = toPicture(box);
      const w = i === 0 ? stroke * 2 : stroke;
      parts.push(
        `<rect x="${b.x}" y="${b.y}" width="${b.width}" height="${b.height}" fill="none" stroke="#000000" stroke-opacity="0.6" stroke-width="${w + 2}"/>`,
      );
      parts.push(`<rect x="${b.x}" y="${b.y}" width="${b.width}" height="${b.height}" fill="none" stroke="#ffffff" stroke-width="${w}"/>`);
      if (i === 0) {
        const ty = b.y > font * 1.4 ? b.y - font * 0.35 : b.y + font * 1.1;
        parts.push(
          `<text x="${b.x + stroke}" y="${ty}" font-family="DejaVu Sans" font-size="${font}" fill="#ffffff" stroke="#000000" stroke-width="${font / 8}" paint-order="stroke">${escapeXml(label)}</text>`,
        );
      }
    });
    const p = toPicture({ x: l.peak.x, y: l.peak.y, width: 0, height: 0 });
    const r = font * 0.6;
    parts.push(`<circle cx="${p.x}" cy="${p.y}" r="${r}" fill="none" stroke="#000000" stroke-width="${stroke + 2}"/>`);
    parts.push(`<circle cx="${p.x}" cy="${p.y}" r="${r}" fill="none" stroke="#ffffff" stroke-width="${stroke}"/>`);
  }
  const lines = labelLines(result, heatmapNote);
  const pad = font * 0.4;
  const panelWidth = Math.max(...lines.map((s) => s.length)) * font * 0.62 + 2 * pad;
  const panelHeight = lines.length * font * 1.25 + 2 * pad;
  // Bottom-left: boxes and their labels more often touch the top edge (the element is ahead of the ROV).
  const panelTop = Math.max(0, height - panelHeight);
  parts.push(`<rect x="0" y="${panelTop}" width="${panelWidth}" height="${panelHeight}" fill="#000000" fill-opacity="0.55"/>`);
  lines.forEach((line, i) => {
    parts.push(
      `<text x="${pad}" y="${panelTop + pad + (i + 0.95) * font * 1.25 - font * 0.25}" font-family="DejaVu Sans Mono" font-size="${font}" fill="#ffffff">${escapeXml(line)}</text>`,
    );
  });
  return `<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${height}">${parts.join('')}</svg>`;
}

export interface RenderedPicture {
  width: number;
  height: number;
  /** RGB HWC, after blending and before the vector overlay. */
  pixels: Uint8Array;
}

/**
 * Renders `result` over `frame` (the frame to draw on: full-size or model-sized) as a JPEG. The
 * picture is scaled to maxWidthPixels (or up to minWidthPixels) first, so the blend costs the same
 * for any source and labels stay legible on model-sized frames.
 */
export async function renderAnnotated(frame: Frame, result: FrameResult, options: Partial<RenderOptions> = {}): Promise<Buffer> {
  const o = renderSchema.parse(options);
  const scale =
    frame.width > o.maxWidthPixels ? o.maxWidthPixels / frame.width : frame.width < o.minWidthPixels ? o.minWidthPixels / frame.width : 1;
  const width = Math.max(1, Math.round(frame.width * scale));
  const height = Math.max(1, Math.round(frame.height * scale));
  const raw = { width: frame.width, height: frame.height, channels: 3 as const };
  const pixels =
    scale !== 1
      ? new Uint8Array(await sharp(frame.pixels, { raw }).resize(width, height, { kernel: 'linear' }).raw().toBuffer())
      : frame.pixels.slice();
  const heat = heatOf(result);
  const covered = sourceToPicture(heat?.region ?? result.localisation?.region ?? result.frame.region, frame.region, width, height);
  blendHeat(pixels, width, height, heat, covered, o);
  return sharp(pixels, { raw: { width, height, channels: 3 } })
    .composite([{ input: Buffer.from(overlaySvg(width, height, result, frame, o.heatmapNote)), left: 0, top: 0 }])
    .jpeg({ quality: o.jpegQuality })
    .toBuffer();
}
