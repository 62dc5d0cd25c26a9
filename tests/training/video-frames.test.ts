/** Labelled video frames: the right frame for each time, cut with the crop the timeline used. */
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import sharp from 'sharp';
import { describe, expect, it } from 'vitest';
import { extractVideoFrames } from '../../src/training/video-frames.js';
import { ffmpeg, tmpFile } from '../helpers/clips.js';

/**
 * A lossless clip (FFV1, RGB) at 10 frames/s whose pixels say where and when they are:
 * red = 4 x column, green = 8 x frame number (mod 256), blue = 4 x row.
 */
function codedClip(): string {
  const path = tmpFile('coded-frames-64x48-8s.mkv');
  ffmpeg([
    '-f',
    'lavfi',
    '-i',
    "color=c=black:s=64x48:r=10:d=8,format=rgb24,geq=r='X*4':g='mod(N*8,256)':b='Y*4'",
    '-c:v',
    'ffv1',
    '-pix_fmt',
    'bgr0',
    path,
  ]);
  return path;
}

async function pixel(path: string, x: number, y: number) {
  const { data, info } = await sharp(path).raw().toBuffer({ resolveWithObject: true });
  const at = (y * info.width + x) * info.channels;
  return { width: info.width, height: info.height, rgb: [data[at]!, data[at + 1]!, data[at + 2]!] };
}

describe('extractVideoFrames', () => {
  const clip = codedClip();

  it('takes the frame shown at each time, cut with the given relative centre crop', async () => {
    const cache = mkdtempSync(join(tmpdir(), 'rovlens-frames-'));
    const [first, middle, late] = await extractVideoFrames(
      clip,
      [{ ptsSeconds: 0 }, { ptsSeconds: 1.2, crop: { widthFraction: 0.5, heightFraction: 1 } }, { ptsSeconds: 2.7 }],
      cache,
    );
    expect(await pixel(first!, 10, 5)).toEqual({ width: 64, height: 48, rgb: [40, 0, 20] });
    // Frame 12; the crop keeps columns 16..47, so its first column is the clip's column 16.
    expect(await pixel(middle!, 0, 7)).toEqual({ width: 32, height: 48, rgb: [64, 96, 28] });
    // Frame 27, the last wanted: decoding stops just after it.
    expect((await pixel(late!, 63, 47)).rgb).toEqual([252, 216, 188]);
  });

  it('seeks to times far apart and still finds the exact frame', async () => {
    const cache = mkdtempSync(join(tmpdir(), 'rovlens-frames-'));
    // 7 s apart: two decoding passes, the second starting with a seek.
    const paths = await extractVideoFrames(
      clip,
      [
        { ptsSeconds: 7.3, crop: { widthFraction: 1, heightFraction: 0.5 } },
        { ptsSeconds: 0.1, crop: { widthFraction: 1, heightFraction: 0.5 } },
      ],
      cache,
    );
    // Frame 73: green 73 x 8 mod 256 = 72; the crop keeps rows 12..35.
    expect(await pixel(paths[0]!, 0, 0)).toEqual({ width: 64, height: 24, rgb: [0, 72, 48] });
    expect(await pixel(paths[1]!, 0, 0)).toEqual({ width: 64, height: 24, rgb: [0, 8, 48] });
  });

  it('refuses a time with no frame, naming the video and its length', async () => {
    const cache = mkdtempSync(join(tmpdir(), 'rovlens-frames-'));
    await expect(extractVideoFrames(clip, [{ ptsSeconds: 12.5 }], cache)).rejects.toThrow(
      /no frame at 12\.500 s \(the video lasts 8\.000 s\): is the labels file from another recording\?/,
    );
  });
});
