/** The training code on the real development manifest (skipped where the data is absent). */
import { expect, it } from 'vitest';
import { trainingOptionsSchema } from '../../src/config/training.js';
import { loadModelCard } from '../../src/model/card.js';
import { ModelSession } from '../../src/model/session.js';
import { DEFAULT_MODEL } from '../../src/paths.js';
import { labelCounts, loadDataset } from '../../src/training/dataset.js';
import { runImages } from '../../src/training/embed.js';
import { headLabels } from '../../src/training/heads.js';
import { headSplits } from '../../src/training/train-heads.js';
import { describeWithData, sharedPath } from '../helpers/shared-data.js';

describeWithData('training on the development manifest', () => {
  const { card } = loadModelCard(DEFAULT_MODEL);
  const heads = ['floor', 'element'];
  const load = () => loadDataset(sharedPath('manifest.csv'), headLabels(card, heads));

  it('reads every labelled image, skipping none and unsure, with its source and group', () => {
    const { images } = load();
    const total = (head: string) => labelCounts(images, head).reduce((n, r) => n + r.count, 0);
    // The data README's table: 366 + 175 + 143 + 9 floor labels; 393 + 199 + 110 + 45 + 9 element labels.
    expect(total('floor')).toBe(693);
    expect(total('element')).toBe(756);
    expect(images.every((i) => i.source && i.group)).toBe(true);
  });

  it('splits by group so that no group straddles training and validation', () => {
    const { images } = load();
    const options = trainingOptionsSchema.parse({});
    for (const split of headSplits(images, card, heads, options)) {
      expect(split.split).toBe('group');
      const trainGroups = new Set(split.train.map((t) => images[split.members[t]!]!.group));
      for (const v of split.validation) expect(trainGroups.has(images[split.members[v]!]!.group)).toBe(false);
      expect(split.validation.length / split.members.length).toBeGreaterThan(0.15);
    }
  });

  it('has a bundled model that calls held-out Nephrops-ground frames muddy', async () => {
    const { images } = load();
    const [floor] = headSplits(images, card, ['floor'], trainingOptionsSchema.parse({}));
    const burrow = floor!.validation
      .map((v) => images[floor!.members[v]!]!)
      .filter((i) => i.source === 'burrow')
      .slice(0, 8);
    expect(burrow).toHaveLength(8);
    const model = await ModelSession.open(DEFAULT_MODEL);
    const out = await runImages(model, burrow, ['floor_logits'], { batchSize: 8, card });
    await model.close();
    const muddy = card.heads.floor!.labels.indexOf('muddy');
    const calledMuddy = burrow.filter((_, i) => {
      const row = Array.from(out.floor_logits!.subarray(i * 4, i * 4 + 4));
      return row.indexOf(Math.max(...row)) === muddy;
    }).length;
    expect(calledMuddy).toBeGreaterThanOrEqual(7);
  });
});
