import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { readOverlayMask, writeOverlayMask, overlayMaskPath } from '../../src/overlay/mask-file.js';
import { maskedShare, maskForFrame, maskImage, type OverlayMask } from '../../src/overlay/overlay-mask.js';
import { InputError } from '../../src/errors.js';
import { solidFrame } from '../helpers/frames.js';

/** A 4x4 mask over the whole picture with its top-left quarter set. */
const quarter: OverlayMask = {
  width: 4,
  height: 4,
  cells: Uint8Array.from([1, 1, 0, 0, 1, 1, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0]),
  area: { x: 0, y: 0, width: 1, height: 1 },
};

describe('overlay masks over the source picture', () => {
  it('counts the masked share of the grid', () => {
    expect(maskedShare(quarter)).toBeCloseTo(0.25, 6);
  });

  it('maps onto a frame of another size showing the whole picture', () => {
    const frame = solidFrame(8, 6, [0, 0, 0]);
    const cells = maskForFrame(quarter, frame);
    expect(cells.reduce((a, b) => a + b, 0)).toBe(4 * 3);
    expect(cells[0]).toBe(1);
    expect(cells[7]).toBe(0);
  });

  it('maps onto a frame that shows only the right half of the picture: nothing of the top-left quarter', () => {
    const frame = solidFrame(4, 4, [0, 0, 0], { sourceSize: { width: 8, height: 4 }, region: { x: 4, y: 0, width: 4, height: 4 } });
    expect(maskForFrame(quarter, frame).some((c) => c === 1)).toBe(false);
  });

  it('masks nothing where an estimated mask does not reach (outside the crop it was estimated on)', () => {
    const centre: OverlayMask = { width: 2, height: 2, cells: new Uint8Array(4).fill(1), area: { x: 0.25, y: 0, width: 0.5, height: 1 } };
    const image = maskImage(centre, { width: 8, height: 2 });
    expect([...image.subarray(0, 8)]).toEqual([0, 0, 255, 255, 255, 255, 0, 0]);
  });

  it('round-trips through a PNG at the source size', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'rovlens-mask-'));
    const path = join(dir, 'mask.png');
    await writeOverlayMask(path, quarter, { width: 40, height: 20 });
    const read = await readOverlayMask(path);
    expect([read.width, read.height]).toEqual([40, 20]);
    expect(maskedShare(read)).toBeCloseTo(0.25, 6);
    expect(read.cells[0]).toBe(1);
    expect(read.cells[39]).toBe(0);
  });

  it('names a missing or unreadable mask picture in one line', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'rovlens-mask-'));
    await expect(readOverlayMask(join(dir, 'none.png'))).rejects.toThrow(/--overlay-mask: .*none\.png does not exist/);
    const bad = join(dir, 'bad.png');
    writeFileSync(bad, 'not a picture');
    await expect(readOverlayMask(bad)).rejects.toBeInstanceOf(InputError);
  });

  it('puts one mask per input in a folder, named after the input', () => {
    expect(overlayMaskPath('out/', 'dives/dive 1.mp4')).toBe(join('out', 'dive 1.overlay-mask.png'));
    expect(overlayMaskPath('mask.png', 'dives/dive.mp4')).toBe('mask.png');
  });
});
