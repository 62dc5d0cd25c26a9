import { describe, expect, it } from 'vitest';
import { localise, localiseMap } from '../../src/explain/localise.js';
import type { CamMaps } from '../../src/types.js';

/** A w x h map with value `v` on the cells of `rect` (in cells) and `background` elsewhere. */
function blockMap(
  width: number,
  height: number,
  blocks: { x: number; y: number; w: number; h: number; v: number }[],
  background = 0,
): Float32Array {
  const map = new Float32Array(width * height).fill(background);
  for (const b of blocks) for (let y = b.y; y < b.y + b.h; y++) for (let x = b.x; x < b.x + b.w; x++) map[y * width + x] = b.v;
  return map;
}

describe('localiseMap', () => {
  const region = { x: 0, y: 0, width: 160, height: 160 };

  it('boxes a block of the map in source pixels, within one map cell', () => {
    // 16x16 map over 160x160 pixels: 10 px per cell; the block covers cells 4..7 x 2..5.
    const map = blockMap(16, 16, [{ x: 4, y: 2, w: 4, h: 4, v: 3 }], -1);
    const result = localiseMap(map, 16, 16, region, { gridCells: 64 });
    expect(result.boxes).toHaveLength(1);
    const box = result.boxes[0]!;
    expect(Math.abs(box.x - 40)).toBeLessThanOrEqual(10);
    expect(Math.abs(box.y - 20)).toBeLessThanOrEqual(10);
    expect(Math.abs(box.x + box.width - 80)).toBeLessThanOrEqual(10);
    expect(Math.abs(box.y + box.height - 60)).toBeLessThanOrEqual(10);
    expect(result.peak.x).toBeCloseTo(45, 6); // centre of the first strongest cell (4, 2)
    expect(result.peak.y).toBeCloseTo(25, 6);
    expect(result.areaFraction).toBeCloseTo(16 / 256, 1);
  });

  it('keeps at most maxBoxes components, largest first', () => {
    const map = blockMap(16, 16, [
      { x: 0, y: 0, w: 2, h: 2, v: 1 },
      { x: 10, y: 10, w: 5, h: 5, v: 1 },
      { x: 10, y: 0, w: 3, h: 3, v: 1 },
    ]);
    const result = localiseMap(map, 16, 16, region, { maxBoxes: 2 });
    expect(result.boxes).toHaveLength(2);
    expect(result.boxes[0]!.x).toBeGreaterThanOrEqual(95);
    expect(result.boxes[0]!.y).toBeGreaterThanOrEqual(95);
    expect(result.boxes[1]!.x).toBeGreaterThanOrEqual(95);
    expect(result.boxes[1]!.y).toBeLessThan(10);
    expect(result.boxes[0]!.width * result.boxes[0]!.height).toBeGreaterThan(result.boxes[1]!.width * result.boxes[1]!.height);
  });

  it('grows the mask as the relative threshold drops', () => {
    const map = Float32Array.from({ length: 64 }, (_, i) => i / 63); // a ramp
    const high = localiseMap(map, 8, 8, region, { threshold: 0.8 }).areaFraction;
    const low = localiseMap(map, 8, 8, region, { threshold: 0.3 }).areaFraction;
    expect(high).toBeGreaterThan(0.1);
    expect(low).toBeGreaterThan(high + 0.3);
  });

  it('reports Otsu’s level when asked for it', () => {
    const map = blockMap(8, 8, [{ x: 2, y: 2, w: 3, h: 3, v: 0.9 }], 0.2);
    const result = localiseMap(map, 8, 8, region, { thresholdMethod: 'otsu' });
    expect(result.threshold).toBeGreaterThan(0.25);
    expect(result.threshold).toBeLessThan(0.95);
    expect(result.boxes).toHaveLength(1);
  });

  it('finds nothing when the map has no positive evidence, but still names a peak', () => {
    const map = blockMap(4, 4, [{ x: 3, y: 0, w: 1, h: 1, v: -0.5 }], -2);
    const result = localiseMap(map, 4, 4, region);
    expect(result.boxes).toEqual([]);
    expect(result.areaFraction).toBe(0);
    expect(result.peak).toEqual({ x: 140, y: 20 });
  });

  it('rejects options outside their documented range', () => {
    expect(() => localiseMap(new Float32Array(4), 2, 2, region, { threshold: 1.5 })).toThrow();
    expect(() => localiseMap(new Float32Array(4), 2, 2, region, { maxBoxes: 0 })).toThrow();
  });
});

describe('localise', () => {
  it('undoes the crop offset and the resize: a map over a cropped region lands inside that region', () => {
    // A 3840x2160 source cropped to its central 0.67 width: region x 634..3207, full height.
    const region = { x: 634, y: 0, width: 2573, height: 2160 };
    const cams: CamMaps = { classes: 2, height: 8, width: 8, data: new Float32Array(128), method: 'gradcam' };
    cams.data[64 + 0 * 8 + 7] = 5; // class 1, top-right cell
    const l = localise(cams, { head: 'element', classIndex: 1, label: 'fauna' }, region);
    expect(l.head).toBe('element');
    expect(l.classIndex).toBe(1);
    expect(l.method).toBe('gradcam');
    expect(l.region).toEqual(region);
    expect(l.peak.x).toBeCloseTo(634 + 7.5 * (2573 / 8), 6);
    expect(l.peak.y).toBeCloseTo(0.5 * 270, 6);
    const box = l.boxes[0]!;
    expect(box.x).toBeGreaterThan(634 + 6 * (2573 / 8));
    expect(box.x + box.width).toBeLessThanOrEqual(634 + 2573);
    expect(box.y).toBe(0);
    expect(box.height).toBeLessThan(2 * 270);
  });
});
