import { mkdirSync, mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import sharp from 'sharp';
import { describe, expect, it } from 'vitest';
import { loadDataset } from '../../src/training/dataset.js';
import { withNearDuplicateGroups } from '../../src/training/near-duplicates.js';
import { headSplits } from '../../src/training/train-heads.js';
import { writeTinyModel } from '../helpers/tiny-model.js';

/** A structured picture (stripes at an angle and frequency of its own), with a little seeded noise. */
async function writePattern(path: string, pattern: number, noiseSeed: number): Promise<void> {
  const [width, height] = [120, 90];
  const pixels = Buffer.alloc(width * height * 3);
  const angle = 20 + ((pattern * 37) % 140); // not 0: a one-dimensional pattern leaves pHash few reliable bits
  const period = 14 + (pattern % 5) * 4;
  let s = noiseSeed * 7919 + 1;
  for (let y = 0; y < height; y++) {
    for (let x = 0; x < width; x++) {
      s = (s * 1103515245 + 12345) >>> 0;
      const t = x * Math.cos((angle * Math.PI) / 180) + y * Math.sin((angle * Math.PI) / 180);
      const v = 128 + 90 * Math.sin((2 * Math.PI * t) / period) + ((s >>> 24) % 9) - 4;
      pixels.fill(Math.max(0, Math.min(255, Math.round(v))), (y * width + x) * 3, (y * width + x) * 3 + 3);
    }
  }
  await sharp(pixels, { raw: { width, height, channels: 3 } })
    .jpeg({ quality: 85 })
    .toFile(path);
}

describe('near-duplicate groups for data without groups', () => {
  it('links each picture with its noisy copy, keeps different pictures apart, and the split never separates copies', async () => {
    const root = mkdtempSync(join(tmpdir(), 'rovlens-near-dups-'));
    const classes = ['sandy', 'muddy'];
    for (const [c, label] of classes.entries()) {
      mkdirSync(join(root, label));
      for (let p = 0; p < 5; p++) {
        const pattern = c * 5 + p;
        await writePattern(join(root, label, `p${pattern}-a.jpg`), pattern, 1);
        await writePattern(join(root, label, `p${pattern}-b.jpg`), pattern, 2); // the near-copy
      }
    }
    const { card } = writeTinyModel(join(root, '..', `${root.split('/').pop()}-model`));
    const dataset = loadDataset(root, { floor: card.heads.floor!.labels }, { floor: card.heads.floor!.labels });
    const grouped = await withNearDuplicateGroups(dataset.images, card.crop);
    const groupOf = new Map(
      grouped.map((image) => [
        image.id
          .replace(/-[ab]\.jpg$/, '')
          .split('/')
          .pop()!,
        new Set<string>(),
      ]),
    );
    for (const image of grouped)
      groupOf
        .get(
          image.id
            .replace(/-[ab]\.jpg$/, '')
            .split('/')
            .pop()!,
        )!
        .add(image.group!);
    // Each picture and its copy share one group, and the ten pictures make ten groups.
    expect([...groupOf.values()].every((groups) => groups.size === 1)).toBe(true);
    expect(new Set(grouped.map((image) => image.group)).size).toBe(10);

    const [split] = headSplits(grouped, card, ['floor'], { split: 'near-duplicates', validationFraction: 0.2, seed: 1 });
    expect(split!.split).toBe('group');
    const side = new Map<string, string>();
    for (const [name, indices] of [
      ['train', split!.train],
      ['validation', split!.validation],
    ] as const) {
      for (const i of indices) {
        const group = grouped[split!.members[i]!]!.group!;
        expect(side.get(group) ?? name).toBe(name);
        side.set(group, name);
      }
    }
    expect(split!.validation.length).toBeGreaterThan(0);
  });
});
