/**
 * Ground truth for grouping: a clip made from distinct real images, each held for a few seconds
 * with a small pan, a slow zoom, pixel noise and a brightness drift, JPEG-compressed per frame and
 * re-encoded as H.264, interleaved with other images and with revisits. Used by the grouping test
 * (small) and bench/grouping.ts (large). The images come from the development data (never committed).
 */
import { spawnSync } from 'node:child_process';
import { mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { parse } from 'csv-parse/sync';
import sharp from 'sharp';
import { seededRandom } from '../src/random.js';
import { ffmpegPath } from '../src/sources/binaries.js';

export interface EvalClipOptions {
  /** Distinct images (one per manifest group, so no two are near-duplicates by construction). */
  images: number;
  /** Extra holds that show an earlier image again (never right after itself). */
  revisits: number;
  holdSeconds: number;
  fps: number;
  seed: number;
  width?: number;
  height?: number;
  /** Largest pan over a hold, as a fraction of the frame. */
  panFraction?: number;
  /** Zoom at the end of a hold (1.06 = 6 % closer). */
  zoom?: number;
  /** Peak pixel noise, in 8-bit levels. */
  noiseLevels?: number;
  /** Brightness factor drifts from 1 - drift to 1 + drift over a hold. */
  brightnessDrift?: number;
  crf?: number;
}

export interface EvalClip {
  path: string;
  /** Image id (manifest row) shown by each hold, in order. */
  holds: string[];
  holdSeconds: number;
  /** Truth for a frame at `ptsSeconds`: which hold and which image. */
  truthAt(ptsSeconds: number): { hold: number; image: string };
}

/** One image per manifest group, seeded, skipping images under 200 px wide (too small to pan). */
export function pickImages(dataDir: string, count: number, seed: number): { id: string; path: string }[] {
  const rows = parse(readFileSync(join(dataDir, 'manifest.csv'), 'utf8'), { columns: true }) as Record<string, string>[];
  const byGroup = new Map<string, Record<string, string>>();
  for (const r of rows) if (Number(r.width) >= 200 && !byGroup.has(r.group!)) byGroup.set(r.group!, r);
  const pool = [...byGroup.values()];
  const random = seededRandom(seed);
  for (let i = pool.length - 1; i > 0; i--) {
    const j = Math.floor(random() * (i + 1));
    [pool[i], pool[j]] = [pool[j]!, pool[i]!];
  }
  if (pool.length < count) throw new Error(`only ${pool.length} distinct images available, ${count} asked`);
  return pool.slice(0, count).map((r) => ({ id: r.id!, path: join(dataDir, r.path!) }));
}

export async function writeEvalClip(dataDir: string, folder: string, o: EvalClipOptions): Promise<EvalClip> {
  const width = o.width ?? 320;
  const height = o.height ?? 240;
  const pan = o.panFraction ?? 0.05;
  const zoom = o.zoom ?? 1.06;
  const noise = o.noiseLevels ?? 8;
  const drift = o.brightnessDrift ?? 0.1;
  const random = seededRandom(o.seed + 1000);
  const images = pickImages(dataDir, o.images, o.seed);
  // Every image once, in order, then revisits inserted at random places, never next to the same image.
  const order = images.map((_, i) => i);
  for (let r = 0; r < o.revisits; r++) {
    for (let attempt = 0; attempt < 50; attempt++) {
      const at = 1 + Math.floor(random() * order.length);
      const image = Math.floor(random() * images.length);
      if (order[at - 1] !== image && order[at] !== image) {
        order.splice(at, 0, image);
        break;
      }
    }
  }
  const frameDir = join(folder, 'frames');
  rmSync(frameDir, { recursive: true, force: true });
  mkdirSync(frameDir, { recursive: true });
  const framesPerHold = Math.round(o.holdSeconds * o.fps);
  // The source is scaled to cover a margin around the frame, so pans and zooms stay inside the picture.
  const margin = 1 + 2 * pan;
  const baseW = Math.round(width * margin);
  const baseH = Math.round(height * margin);
  let n = 0;
  const noiseRandom = seededRandom(o.seed + 2000);
  for (const imageIndex of order) {
    const base = await sharp(images[imageIndex]!.path).rotate().resize(baseW, baseH, { fit: 'cover' }).removeAlpha().raw().toBuffer();
    const [dx0, dy0, dx1, dy1] = [random(), random(), random(), random()].map((v) => (v - 0.5) * 2 * pan);
    for (let f = 0; f < framesPerHold; f++) {
      const t = framesPerHold > 1 ? f / (framesPerHold - 1) : 0;
      const scale = 1 + (zoom - 1) * t;
      const w = Math.round(width / scale);
      const h = Math.round(height / scale);
      const cx = baseW / 2 + (dx0! + (dx1! - dx0!) * t) * width;
      const cy = baseH / 2 + (dy0! + (dy1! - dy0!) * t) * height;
      const left = Math.max(0, Math.min(baseW - w, Math.round(cx - w / 2)));
      const top = Math.max(0, Math.min(baseH - h, Math.round(cy - h / 2)));
      const px = await sharp(base, { raw: { width: baseW, height: baseH, channels: 3 } })
        .extract({ left, top, width: w, height: h })
        .resize(width, height)
        .raw()
        .toBuffer();
      const gain = 1 - drift + 2 * drift * t;
      for (let i = 0; i < px.length; i++) px[i] = Math.max(0, Math.min(255, Math.round(px[i]! * gain + (noiseRandom() - 0.5) * 2 * noise)));
      await sharp(px, { raw: { width, height, channels: 3 } })
        .jpeg({ quality: 80 })
        .toFile(join(frameDir, `${String(n++).padStart(6, '0')}.jpg`));
    }
  }
  const path = join(folder, 'eval.mp4');
  const run = spawnSync(
    ffmpegPath(),
    [
      '-hide_banner',
      '-loglevel',
      'error',
      '-y',
      '-framerate',
      String(o.fps),
      '-i',
      join(frameDir, '%06d.jpg'),
      '-c:v',
      'libx264',
      '-preset',
      'veryfast',
      '-crf',
      String(o.crf ?? 28),
      '-pix_fmt',
      'yuv420p',
      path,
    ],
    { encoding: 'utf8' },
  );
  if (run.status !== 0) throw new Error(`ffmpeg failed: ${run.stderr}`);
  rmSync(frameDir, { recursive: true, force: true });
  const holds = order.map((i) => images[i]!.id);
  writeFileSync(join(folder, 'holds.json'), JSON.stringify({ holds, holdSeconds: o.holdSeconds }));
  return {
    path,
    holds,
    holdSeconds: o.holdSeconds,
    truthAt: (pts) => {
      // Half a frame of slack: a frame timed at exactly k * holdSeconds belongs to hold k.
      const hold = Math.min(holds.length - 1, Math.floor((pts + 0.5 / o.fps) / o.holdSeconds));
      return { hold, image: holds[hold]! };
    },
  };
}
