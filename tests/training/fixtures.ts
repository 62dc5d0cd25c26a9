/** Generated labelled images for training tests: noisy colour fields that the tiny model tells apart. */
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import sharp from 'sharp';
import { seededRandom } from '../../src/random.js';

/** Base colours the tiny model's hand-made features separate (bright, dark, red, green). */
export const CLASS_COLOURS: Record<string, [number, number, number]> = {
  sandy: [215, 205, 180],
  muddy: [35, 32, 28],
  reef: [190, 40, 50],
  rocks: [220, 220, 220],
  algae: [30, 170, 40],
  fauna: [200, 30, 40],
};

/** A JPEG of `rgb` with seeded per-pixel noise, width x height. */
export async function writeNoisyImage(
  path: string,
  rgb: readonly [number, number, number],
  seed: number,
  width = 96,
  height = 72,
): Promise<void> {
  const random = seededRandom(seed);
  const pixels = Buffer.alloc(width * height * 3);
  for (let i = 0; i < width * height; i++) {
    const jitter = (random() - 0.5) * 40;
    for (let c = 0; c < 3; c++) pixels[i * 3 + c] = Math.max(0, Math.min(255, Math.round(rgb[c]! + jitter + (random() - 0.5) * 20)));
  }
  await sharp(pixels, { raw: { width, height, channels: 3 } })
    .jpeg({ quality: 92 })
    .toFile(path);
}

/** `<root>/<class>/<n>.jpg` for each class, `perClass` images each. */
export async function writeFolderDataset(root: string, classes: readonly string[], perClass: number, seed = 1): Promise<void> {
  for (const [c, label] of classes.entries()) {
    mkdirSync(join(root, label), { recursive: true });
    for (let i = 0; i < perClass; i++)
      await writeNoisyImage(join(root, label, `${i}.jpg`), CLASS_COLOURS[label]!, seed * 1000 + c * 100 + i);
  }
}

/** Sources a, b, c with sandy and muddy floors (6 each); c also has reef, which no other source has; d is small. */
export async function writeSources(root: string): Promise<string> {
  const rows = ['path,floor,element'];
  const plan: [string, string, number][] = [
    ['a', 'sandy', 6],
    ['a', 'muddy', 6],
    ['b', 'sandy', 6],
    ['b', 'muddy', 6],
    ['c', 'sandy', 6],
    ['c', 'muddy', 6],
    ['c', 'reef', 6],
    ['d', 'sandy', 2],
    ['d', 'muddy', 2],
  ];
  let seed = 1;
  for (const [source, floor, n] of plan) {
    mkdirSync(join(root, 'images', source), { recursive: true });
    for (let i = 0; i < n; i++) {
      const path = `images/${source}/${floor}-${i}.jpg`;
      await writeNoisyImage(join(root, path), CLASS_COLOURS[floor]!, seed++);
      rows.push(`${path},${floor},none`);
    }
  }
  const manifest = join(root, 'manifest.csv');
  writeFileSync(manifest, rows.join('\n'));
  return manifest;
}
