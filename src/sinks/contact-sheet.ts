/**
 * Contact sheets: a JPEG grid of images with a caption under each, so a person can review one
 * representative per group or cluster at a glance. Tiles keep their aspect ratio (letterboxed
 * into equal cells); captions are SVG text rendered by sharp (librsvg), so they need a font
 * installed (DejaVu in CI).
 */
import sharp, { type OverlayOptions } from 'sharp';
import type { Frame } from '../types.js';

export interface ContactTile {
  /** Any image sharp decodes (JPEG, PNG, WebP, ...). */
  image: Buffer;
  caption?: string;
}

export interface ContactSheetOptions {
  /** Tiles per row; default: enough for a roughly square sheet, at most 8. */
  columns?: number;
  /** Width of each cell in pixels; the image area is tileWidth x tileWidth * 3/4. */
  tileWidth?: number;
  /** JPEG quality 1..100. */
  quality?: number;
}

const GAP_PX = 4;
const BACKGROUND = { r: 24, g: 24, b: 24 };

export async function contactSheet(tiles: readonly ContactTile[], options: ContactSheetOptions = {}): Promise<Buffer> {
  if (tiles.length === 0) throw new Error('a contact sheet needs at least one tile');
  const tileWidth = Math.max(16, Math.round(options.tileWidth ?? 192));
  const imageHeight = Math.round((tileWidth * 3) / 4);
  const fontPx = Math.max(9, Math.round(tileWidth / 14));
  const hasCaptions = tiles.some((t) => t.caption);
  const captionHeight = hasCaptions ? Math.round(fontPx * 1.6) : 0;
  const columns = Math.max(1, Math.min(tiles.length, Math.round(options.columns ?? Math.min(8, Math.ceil(Math.sqrt(tiles.length))))));
  const rows = Math.ceil(tiles.length / columns);
  const cellHeight = imageHeight + captionHeight;
  const width = columns * tileWidth + (columns + 1) * GAP_PX;
  const height = rows * cellHeight + (rows + 1) * GAP_PX;

  const layers: OverlayOptions[] = [];
  for (const [i, tile] of tiles.entries()) {
    const left = GAP_PX + (i % columns) * (tileWidth + GAP_PX);
    const top = GAP_PX + Math.floor(i / columns) * (cellHeight + GAP_PX);
    const input = await sharp(tile.image)
      .resize(tileWidth, imageHeight, { fit: 'contain', background: BACKGROUND })
      .removeAlpha()
      .png()
      .toBuffer();
    layers.push({ input, left, top });
    if (tile.caption) {
      layers.push({ input: captionSvg(tile.caption, tileWidth, captionHeight, fontPx), left, top: top + imageHeight });
    }
  }
  return sharp({ create: { width, height, channels: 3, background: BACKGROUND } })
    .composite(layers)
    .jpeg({ quality: options.quality ?? 85 })
    .toBuffer();
}

/** A frame's RGB pixels as a JPEG, for tiles. */
export function frameToJpeg(frame: Frame, quality = 90): Promise<Buffer> {
  return sharp(Buffer.from(frame.pixels.buffer, frame.pixels.byteOffset, frame.pixels.byteLength), {
    raw: { width: frame.width, height: frame.height, channels: 3 },
  })
    .jpeg({ quality })
    .toBuffer();
}

/** A frame as a JPEG tile `width` pixels wide (aspect kept); a frame no wider is encoded as it is. */
export function frameThumbnail(frame: Frame, width: number): Promise<Buffer> {
  if (frame.width <= width) return frameToJpeg(frame, 85);
  return sharp(Buffer.from(frame.pixels.buffer, frame.pixels.byteOffset, frame.pixels.byteLength), {
    raw: { width: frame.width, height: frame.height, channels: 3 },
  })
    .resize({ width })
    .jpeg({ quality: 85 })
    .toBuffer();
}

function captionSvg(caption: string, width: number, height: number, fontPx: number): Buffer {
  // Roughly 0.6 em per character in DejaVu Sans: cut long captions rather than overflow the cell.
  const maxChars = Math.max(4, Math.floor(width / (fontPx * 0.6)));
  const text = caption.length > maxChars ? `${caption.slice(0, maxChars - 1)}…` : caption;
  const svg =
    `<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${height}">` +
    `<text x="3" y="${Math.round(height * 0.72)}" font-family="DejaVu Sans, sans-serif" font-size="${fontPx}" fill="#f0f0f0">` +
    `${escapeXml(text)}</text></svg>`;
  return Buffer.from(svg);
}

function escapeXml(text: string): string {
  return text.replace(/[<>&'"]/g, (c) => ({ '<': '&lt;', '>': '&gt;', '&': '&amp;', "'": '&apos;', '"': '&quot;' })[c]!);
}
