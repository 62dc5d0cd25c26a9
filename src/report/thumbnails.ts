/**
 * Thumbnails for the report, inlined as small JPEG data URIs so the page needs no other file: the
 * frame at a row's time from ffmpeg, scaled and encoded by sharp. A picture that cannot be taken is
 * counted, not fatal: the report is still written.
 */
import sharp from 'sharp';
import { stillFrame } from '../sources/still-frame.js';

export interface ThumbnailRequest {
  /** The video as the run names it (the key). */
  source: string;
  /** Where the video file is now. */
  file: string;
  ptsSeconds: number;
}

export const thumbnailKey = (source: string, ptsSeconds: number) => `${source}@${ptsSeconds}`;

export interface ThumbnailResult {
  /** Data URIs by `thumbnailKey`. */
  images: Map<string, string>;
  /** Pictures that could not be taken (a damaged file): one line each. */
  failures: string[];
}

export async function makeThumbnails(
  requests: readonly ThumbnailRequest[],
  { widthPx = 160, quality = 70, concurrency = 2 } = {},
): Promise<ThumbnailResult> {
  const images = new Map<string, string>();
  const failures: string[] = [];
  const unique = new Map<string, ThumbnailRequest>();
  for (const r of requests) unique.set(thumbnailKey(r.source, r.ptsSeconds), r);
  const queue = [...unique.entries()];
  // Two ffmpeg processes at a time: each seeks and decodes a little, and the machine has few cores.
  const worker = async () => {
    for (let next = queue.shift(); next; next = queue.shift()) {
      const [key, { file, ptsSeconds }] = next;
      try {
        // Decoded at twice the width and reduced by sharp, which keeps edges sharper than ffmpeg's bicubic.
        const png = await stillFrame(file, ptsSeconds, widthPx * 2);
        const jpeg = await sharp(png).resize({ width: widthPx, withoutEnlargement: true }).jpeg({ quality, mozjpeg: true }).toBuffer();
        images.set(key, `data:image/jpeg;base64,${jpeg.toString('base64')}`);
      } catch (error) {
        failures.push((error as Error).message.split('\n')[0]!);
      }
    }
  };
  await Promise.all(Array.from({ length: Math.max(1, concurrency) }, worker));
  return { images, failures };
}
