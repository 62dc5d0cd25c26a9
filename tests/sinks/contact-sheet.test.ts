import sharp from 'sharp';
import { describe, expect, it } from 'vitest';
import { contactSheet, frameThumbnail, frameToJpeg } from '../../src/sinks/contact-sheet.js';
import { solidFrame } from '../helpers/frames.js';

const png = (rgb: [number, number, number], width = 40, height = 30) =>
  sharp({ create: { width, height, channels: 3, background: { r: rgb[0], g: rgb[1], b: rgb[2] } } })
    .png()
    .toBuffer();

async function decode(jpeg: Buffer) {
  const { data, info } = await sharp(jpeg).raw().toBuffer({ resolveWithObject: true });
  const at = (x: number, y: number) => Array.from(data.subarray((y * info.width + x) * 3, (y * info.width + x) * 3 + 3));
  return { info, at, data };
}

describe('contactSheet', () => {
  it('lays tiles out row by row in a grid of the requested number of columns', async () => {
    const tiles = [{ image: await png([220, 30, 30]) }, { image: await png([30, 220, 30]) }, { image: await png([30, 30, 220]) }];
    const sheet = await contactSheet(tiles, { columns: 2, tileWidth: 64 });
    const { info, at } = await decode(sheet);
    // 2 columns of 64 px + 3 gaps of 4 px; 2 rows of 48 px images + 3 gaps, no caption strip.
    expect(info.width).toBe(2 * 64 + 3 * 4);
    expect(info.height).toBe(2 * 48 + 3 * 4);
    const centre = (col: number, row: number) => at(4 + col * 68 + 32, 4 + row * 52 + 24);
    const close = (got: number[], want: number[]) => got.forEach((v, i) => expect(Math.abs(v - want[i]!)).toBeLessThanOrEqual(12));
    close(centre(0, 0), [220, 30, 30]);
    close(centre(1, 0), [30, 220, 30]);
    close(centre(0, 1), [30, 30, 220]);
  });

  it('draws each caption as light text in a strip under its tile', async () => {
    const image = await png([0, 0, 0]);
    const { info, at } = await decode(await contactSheet([{ image, caption: 'group 7' }, { image }], { columns: 2, tileWidth: 128 }));
    const captionTop = 4 + 96;
    const brightIn = (x0: number) => {
      let bright = 0;
      for (let y = captionTop; y < info.height - 4; y++) for (let x = x0; x < x0 + 128; x++) if (at(x, y)[0]! > 128) bright++;
      return bright;
    };
    expect(brightIn(4)).toBeGreaterThan(20);
    expect(brightIn(4 + 132)).toBe(0);
  });

  it('keeps a tile aspect ratio by letterboxing it in its cell', async () => {
    // A 4:1 strip in a 4:3 cell leaves background above and below.
    const { at } = await decode(await contactSheet([{ image: await png([250, 250, 250], 80, 20) }], { tileWidth: 80 }));
    expect(at(4 + 40, 4 + 2)[0]).toBeLessThan(60);
    expect(at(4 + 40, 4 + 30)[0]).toBeGreaterThan(200);
  });

  it('encodes a frame as a JPEG of the same size', async () => {
    const meta = await sharp(await frameToJpeg(solidFrame(24, 16, [10, 200, 10]))).metadata();
    expect([meta.format, meta.width, meta.height]).toEqual(['jpeg', 24, 16]);
  });

  it('scales a wider frame down to the thumbnail width, keeping its aspect, and leaves a narrower one as it is', async () => {
    const wide = await sharp(await frameThumbnail(solidFrame(200, 100, [10, 200, 10]), 64)).metadata();
    expect([wide.format, wide.width, wide.height]).toEqual(['jpeg', 64, 32]);
    const narrow = await sharp(await frameThumbnail(solidFrame(40, 30, [10, 200, 10]), 64)).metadata();
    expect([narrow.width, narrow.height]).toEqual([40, 30]);
  });

  it('refuses an empty list of tiles', async () => {
    await expect(contactSheet([])).rejects.toThrow(/at least one tile/);
  });
});
