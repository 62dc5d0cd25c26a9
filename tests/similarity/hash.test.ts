import { describe, expect, it } from 'vitest';
import {
  dHash,
  hamming,
  hamming32,
  hashBits64,
  hashDistance,
  hashFromHex,
  hashToHex,
  lumaGrid,
  pHash,
  popcount32,
} from '../../src/similarity/hash.js';
import { solidFrame, withPatch } from '../helpers/frames.js';
import type { Frame } from '../../src/types.js';

/** A textured frame: a dozen soft light and dark blobs placed by the seed (a natural, broad spectrum). */
function texture(seed: number, width = 96, height = 64): Frame {
  const f = solidFrame(width, height, [0, 0, 0]);
  let s = seed * 7919;
  const rand = () => ((s = (s * 1103515245 + 12345) >>> 0), (s >>> 8) / 2 ** 24);
  const blobs = Array.from({ length: 12 }, () => ({
    x: rand() * width,
    y: rand() * height,
    r: (0.08 + rand() * 0.2) * width,
    a: (rand() - 0.5) * 160,
  }));
  for (let y = 0; y < height; y++) {
    for (let x = 0; x < width; x++) {
      let v = 128;
      for (const b of blobs) v += b.a * Math.exp(-((x - b.x) ** 2 + (y - b.y) ** 2) / (2 * b.r * b.r));
      f.pixels.set(
        [v, v * 0.9, v * 0.8].map((c) => Math.max(0, Math.min(255, c))),
        (y * width + x) * 3,
      );
    }
  }
  return f;
}

const shifted = (f: Frame, dv: number): Frame => ({ ...f, pixels: f.pixels.map((v) => Math.max(0, Math.min(255, v + dv))) });
const noisy = (f: Frame, amplitude: number, seed = 3): Frame => {
  let s = seed;
  return {
    ...f,
    pixels: f.pixels.map(
      (v) => ((s = (s * 1103515245 + 12345) >>> 0), Math.max(0, Math.min(255, v + ((s >>> 16) % (2 * amplitude + 1)) - amplitude))),
    ),
  };
};

describe.each([
  ['dHash', dHash],
  ['pHash', pHash],
] as const)('%s', (_name, hash) => {
  const h = (f: Frame) => hash(f.pixels, f.width, f.height);
  const hamming = hashDistance;

  it('gives the same hash for the same pixels', () => {
    expect(h(texture(1))).toBe(h(texture(1)));
  });

  it('stays within a few bits under a brightness offset and pixel noise', () => {
    // 256x192: each of pHash's 32x32 cells averages 48 pixels, as on a model-sized frame or larger.
    const base = h(texture(2, 256, 192));
    expect(hamming(base, h(shifted(texture(2, 256, 192), 25)))).toBeLessThanOrEqual(4);
    expect(hamming(base, h(noisy(texture(2, 256, 192), 12)))).toBeLessThanOrEqual(6);
  });

  it('tells different scenes apart by many bits', () => {
    const distances = [1, 2, 3, 4].map((s) => hamming(h(texture(s)), h(texture(s + 4))));
    for (const d of distances) expect(d).toBeGreaterThan(12);
  });

  it('changes when a bright object appears in the frame', () => {
    const dark = texture(5);
    expect(hamming(h(dark), h(withPatch(dark, { x: 10, y: 10, width: 30, height: 30 }, [255, 255, 255])))).toBeGreaterThan(3);
  });
});

describe('hashDistance', () => {
  it('is the Hamming distance for plain 64-bit hashes', () => {
    expect(hashDistance(0b1011n, 0b0001n)).toBe(2);
  });

  it('counts only bits reliable in either hash, scaled to 64', () => {
    // Reliable bits 0..3 in one and 2..5 in the other: 6 bits considered; bits 0 and 5 differ -> 2 of 6 -> 21 of 64.
    // Bit 8 differs but is reliable in neither, so it does not count.
    const a = (0x0fn << 64n) | 0x001n;
    const b = (0x3cn << 64n) | 0x120n;
    expect(hashDistance(a, b)).toBe(21);
  });

  it('keeps a low-contrast noisy frame closer to itself than plain pHash bits do', () => {
    // A faint texture (a few levels) under noise of the same size: the case of turbid water.
    const faint = (seed: number) => {
      const f = texture(6, 256, 192);
      return { ...noisy(f, 3, seed), pixels: noisy(f, 3, seed).pixels.map((v) => 120 + Math.round((v - 128) / 20)) };
    };
    const [a, b] = [faint(1), faint(2)].map((f) => pHash(f.pixels, f.width, f.height));
    expect(hashDistance(a!, b!)).toBeLessThan(hamming(hashBits64(a!), hashBits64(b!)));
  });

  it('still puts different textures far apart with the mask', () => {
    const h = (s: number) => pHash(texture(s, 256, 192).pixels, 256, 192);
    for (const s of [1, 2, 3]) expect(hashDistance(h(s), h(s + 4))).toBeGreaterThan(14);
  });
});

describe('lumaGrid', () => {
  it('averages BT.601 luma over each cell of the grid', () => {
    const f = withPatch(solidFrame(8, 4, [0, 0, 0]), { x: 4, y: 0, width: 4, height: 4 }, [100, 200, 50]);
    const g = lumaGrid(f.pixels, 8, 4, 2, 1);
    expect(g[0]).toBeCloseTo(0, 6);
    expect(g[1]).toBeCloseTo(0.299 * 100 + 0.587 * 200 + 0.114 * 50, 3);
  });

  it('refuses pixels shorter than the stated size', () => {
    expect(() => lumaGrid(new Uint8Array(10), 8, 4, 2, 2)).toThrow(/needs 96/);
  });
});

describe('hamming', () => {
  it('counts differing bits across both 32-bit halves', () => {
    expect(hamming(0n, 0xffffffffffffffffn)).toBe(64);
    expect(hamming(0x8000000000000001n, 0x0000000000000001n)).toBe(1);
    expect(hamming32(0xf0000000, 0x1, 0, 0)).toBe(5);
    expect(popcount32(0xffffffff)).toBe(32);
  });

  it('round-trips a hash through 16 hex digits and refuses other text', () => {
    expect(hashFromHex(hashToHex(0x00ab00000000cd01n))).toBe(0x00ab00000000cd01n);
    expect(hashToHex(5n)).toBe('0000000000000005');
    expect(() => hashFromHex('xyz')).toThrow(/16 hex digits/);
  });
});
