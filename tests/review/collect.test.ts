/**
 * What a review is made of, from a real model run: ffmpeg decodes a generated clip of distinct scenes
 * (and sharp reads an image folder), ONNX Runtime runs the tiny model, frames are grouped. Each group
 * carries its frames' mean embedding, which the review order's representativeness needs.
 */
import { mkdirSync, mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import sharp from 'sharp';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ModelSession } from '../../src/model/session.js';
import { collectReviewGroups } from '../../pipelines/review.js';
import type { ReviewGroup } from '../../src/review/order.js';
import { ffmpeg } from '../helpers/clips.js';
import { writeTinyModel } from '../helpers/tiny-model.js';

const norm = (v: Float32Array) => Math.hypot(...v);
const cosine = (a: Float32Array, b: Float32Array) => a.reduce((sum, x, i) => sum + x * b[i]!, 0);

describe('collectReviewGroups', () => {
  const dir = mkdtempSync(join(tmpdir(), 'rovlens-review-collect-'));
  let model: ModelSession;

  beforeAll(async () => {
    model = await ModelSession.open(writeTinyModel(join(dir, 'model')).modelPath);
  });
  afterAll(async () => {
    await model.close();
  });

  /** Each group's embedding: present, as long as the card's, of unit length. */
  const expectEmbeddings = (groups: readonly ReviewGroup[]) => {
    for (const g of groups) {
      expect(g.embedding, `group ${g.group}`).toBeDefined();
      expect(g.embedding!.length).toBe(model.card.embedding!.length);
      expect(norm(g.embedding!)).toBeCloseTo(1, 5);
    }
  };

  it('gives each group of a recording the mean embedding of its frames', async () => {
    const clip = join(dir, 'scenes.mp4');
    const scenes = ['color=c=red', 'color=c=green'];
    ffmpeg([
      ...scenes.flatMap((s) => ['-f', 'lavfi', '-i', `${s}:size=160x120:rate=10:duration=3`]),
      ...['-filter_complex', '[0:v][1:v]concat=n=2:v=1[v]', '-map', '[v]'],
      ...['-c:v', 'libx264', '-preset', 'ultrafast', '-pix_fmt', 'yuv420p', clip],
    ]);
    const { groups, frames } = await collectReviewGroups([clip], model, { everySeconds: 1, crop: model.card.crop, batch: 4 });
    expect(frames).toBe(6);
    expectEmbeddings(groups);
    // A red and a green scene look different to the model: their groups' embeddings differ.
    const red = groups.find((g) => g.frames[0]!.ptsSeconds! < 3)!;
    const green = groups.find((g) => g.frames[0]!.ptsSeconds! >= 3)!;
    expect(cosine(red.embedding!, green.embedding!)).toBeLessThan(0.999);
  });

  it('gives each group of an image folder the mean embedding of its pictures', async () => {
    const folder = join(dir, 'stills');
    mkdirSync(folder);
    const colours = [
      { r: 200, g: 30, b: 30 },
      { r: 30, g: 200, b: 30 },
      { r: 30, g: 30, b: 200 },
    ];
    await Promise.all(
      colours.map((background, i) =>
        sharp({ create: { width: 96, height: 72, channels: 3, background } })
          .png()
          .toFile(join(folder, `still-${i}.png`)),
      ),
    );
    const { groups, frames } = await collectReviewGroups([folder], model, { everySeconds: 1, crop: model.card.crop, batch: 4 });
    expect(frames).toBe(3);
    expect(groups.length).toBeGreaterThanOrEqual(2);
    expectEmbeddings(groups);
  });
});
