import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { lastValueFrom, toArray } from 'rxjs';
import sharp from 'sharp';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ExitCode, InputError } from '../../src/errors.js';
import { isImageInput, listImages, readImages } from '../../src/sources/images.js';

let dir: string;
const rgbAt = (f: { pixels: Uint8Array; width: number }, x: number, y: number) =>
  Array.from(f.pixels.subarray((y * f.width + x) * 3, (y * f.width + x) * 3 + 3));

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'rovlens-images-'));
  mkdirSync(join(dir, 'sub'));
  // 60x20: left third red, middle green, right third blue.
  const strip = Buffer.alloc(60 * 20 * 3);
  for (let y = 0; y < 20; y++)
    for (let x = 0; x < 60; x++) strip.set(x < 20 ? [255, 0, 0] : x < 40 ? [0, 255, 0] : [0, 0, 255], (y * 60 + x) * 3);
  await sharp(strip, { raw: { width: 60, height: 20, channels: 3 } })
    .png()
    .toFile(join(dir, 'b-strip.png'));
  await sharp({ create: { width: 10, height: 30, channels: 4, background: { r: 9, g: 99, b: 199, alpha: 0.5 } } })
    .png()
    .toFile(join(dir, 'sub', 'c-alpha.png'));
  // Stored 40x10 with EXIF orientation 6 (rotate 90 clockwise): upright it is 10x40.
  await sharp({ create: { width: 40, height: 10, channels: 3, background: { r: 200, g: 200, b: 200 } } })
    .jpeg()
    .withMetadata({ orientation: 6 })
    .toFile(join(dir, 'a-rotated.jpg'));
  await sharp(Buffer.alloc(64, 77), { raw: { width: 8, height: 8, channels: 1 } })
    .jpeg()
    .toFile(join(dir, 'd-grey.jpg'));
  writeFileSync(join(dir, 'notes.txt'), 'not an image');
  writeFileSync(join(dir, 'e-broken.jpg'), 'not a jpeg either');
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('readImages', () => {
  it('lists a folder recursively in sorted order and skips files that are not images', async () => {
    const names = (await listImages(dir)).map((p) => p.slice(dir.length + 1));
    expect(names).toEqual(['a-rotated.jpg', 'b-strip.png', 'd-grey.jpg', 'e-broken.jpg', 'sub/c-alpha.png']);
  });

  it('gives one upright RGB frame per image with its source size and full region', async () => {
    const frames = await lastValueFrom(
      readImages([join(dir, 'a-rotated.jpg'), join(dir, 'sub', 'c-alpha.png'), join(dir, 'd-grey.jpg')]).pipe(toArray()),
    );
    expect(frames.map((f) => [f.index, f.ptsSeconds, f.width, f.height, f.pixels.length])).toEqual([
      [0, 0, 10, 40, 10 * 40 * 3],
      [1, 0, 10, 30, 10 * 30 * 3],
      [2, 0, 8, 8, 8 * 8 * 3],
    ]);
    expect(frames[0]!.sourceSize).toEqual({ width: 10, height: 40 });
    expect(frames[0]!.region).toEqual({ x: 0, y: 0, width: 10, height: 40 });
    expect(frames[1]!.sourceId).toBe(join(dir, 'sub', 'c-alpha.png'));
    rgbAt(frames[2]!, 4, 4).forEach((v) => expect(Math.abs(v - 77)).toBeLessThanOrEqual(3));
  });

  it('crops the centre and resizes, recording the region in source pixels', async () => {
    const [frame] = await lastValueFrom(
      readImages(join(dir, 'b-strip.png'), { crop: { widthFraction: 1 / 3, heightFraction: 1 }, outputSize: { width: 8, height: 8 } }).pipe(
        toArray(),
      ),
    );
    expect(frame!.region).toEqual({ x: 20, y: 0, width: 20, height: 20 });
    expect(frame!.sourceSize).toEqual({ width: 60, height: 20 });
    expect([frame!.width, frame!.height]).toEqual([8, 8]);
    // Only the green middle third is left.
    for (const [x, y] of [
      [0, 0],
      [7, 7],
      [4, 3],
    ] as const) {
      const [r, g, b] = rgbAt(frame!, x, y);
      expect(g).toBeGreaterThan(240);
      expect(r! + b!).toBeLessThan(15);
    }
  });

  it('fails on an unreadable image with a one-line input error naming the file', async () => {
    const error = await lastValueFrom(readImages(join(dir, 'e-broken.jpg'))).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(InputError);
    expect((error as InputError).exitCode).toBe(ExitCode.inputInvalid);
    expect((error as Error).message).toMatch(/e-broken\.jpg is not a readable image/);
    expect((error as Error).message).not.toContain('\n');
  });

  it('skips unreadable images and reports them when asked to', async () => {
    const bad: string[] = [];
    const frames = await lastValueFrom(readImages(dir, { onUnreadable: (p) => bad.push(p) }).pipe(toArray()));
    expect(frames).toHaveLength(4);
    expect(bad).toEqual([join(dir, 'e-broken.jpg')]);
  });

  it('reports a missing path as missing input', async () => {
    const error = await lastValueFrom(readImages(join(dir, 'nope'))).catch((e: unknown) => e);
    expect((error as InputError).exitCode).toBe(ExitCode.inputMissing);
    expect((error as Error).message).toMatch(/nope does not exist/);
  });

  it('reports a folder without images as missing input', async () => {
    mkdirSync(join(dir, 'empty'));
    await expect(listImages(join(dir, 'empty'))).rejects.toThrow(/holds no images/);
  });
});

describe('isImageInput', () => {
  it('takes a folder or a file with an image extension (any case) as images, and anything else as video', () => {
    expect(isImageInput(dir)).toBe(true);
    expect(isImageInput(join(dir, 'b-strip.png'))).toBe(true);
    expect(isImageInput('/nowhere/IMG_0001.JPG')).toBe(true);
    expect(isImageInput('/nowhere/dive.mp4')).toBe(false);
    expect(isImageInput('/nowhere/folder-that-does-not-exist')).toBe(false);
  });
});
