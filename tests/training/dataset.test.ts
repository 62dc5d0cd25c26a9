import { mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { InputError } from '../../src/errors.js';
import { labelCounts, loadDataset } from '../../src/training/dataset.js';
import { FLOOR_LABELS, ELEMENT_LABELS } from '../helpers/tiny-model.js';
import { writeFolderDataset, writeNoisyImage } from './fixtures.js';

const heads = { floor: FLOOR_LABELS, element: ELEMENT_LABELS };

describe('dataset loading', () => {
  const dir = mkdtempSync(join(tmpdir(), 'rovlens-dataset-'));
  beforeAll(async () => {
    mkdirSync(join(dir, 'm', 'images', 'siteA'), { recursive: true });
    mkdirSync(join(dir, 'm', 'images', 'siteB'), { recursive: true });
    for (const name of ['a1', 'a2', 'a3'])
      await writeNoisyImage(join(dir, 'm', 'images', 'siteA', `${name}.jpg`), [200, 190, 170], 1, 32, 24);
    await writeNoisyImage(join(dir, 'm', 'images', 'siteB', 'b1.jpg'), [30, 30, 30], 2, 32, 24);
    writeFileSync(
      join(dir, 'm', 'manifest.csv'),
      [
        'id,path,floor,element,group,note',
        'a1,images/siteA/a1.jpg,sandy,rocks,gA,"bright, with a comma"',
        'a2,images/siteA/a2.jpg,unsure,fauna,gA,',
        'a3,images/siteA/a3.jpg,none,none,gB,no labels at all',
        'b1,images/siteB/b1.jpg,muddy,unsure,gC,',
      ].join('\n'),
    );
    await writeFolderDataset(join(dir, 'f'), ['sandy', 'fauna'], 2);
  });

  it('reads a manifest: labels per head, groups and the source folder under images/', () => {
    const { kind, images } = loadDataset(join(dir, 'm', 'manifest.csv'), heads);
    expect(kind).toBe('manifest');
    expect(images.map((i) => i.id)).toEqual(['images/siteA/a1.jpg', 'images/siteA/a2.jpg', 'images/siteB/b1.jpg']);
    expect(images[0]).toMatchObject({ labels: { floor: 'sandy', element: 'rocks' }, group: 'gA', source: 'siteA' });
  });

  it('skips none and unsure labels per head, and rows with no label left', () => {
    const { images } = loadDataset(join(dir, 'm', 'manifest.csv'), heads);
    expect(images[1]!.labels).toEqual({ element: 'fauna' });
    expect(images[2]!.labels).toEqual({ floor: 'muddy' });
  });

  it('counts labels per source', () => {
    const { images } = loadDataset(join(dir, 'm', 'manifest.csv'), heads);
    expect(labelCounts(images, 'floor')).toEqual([
      { label: 'muddy', source: 'siteB', count: 1 },
      { label: 'sandy', source: 'siteA', count: 1 },
    ]);
  });

  it('reads a folder per class, assigning each folder to the head that has its label', () => {
    const { kind, images } = loadDataset(join(dir, 'f'), heads);
    expect(kind).toBe('folders');
    expect(images.map((i) => [i.id, i.labels])).toEqual([
      ['fauna/0.jpg', { element: 'fauna' }],
      ['fauna/1.jpg', { element: 'fauna' }],
      ['sandy/0.jpg', { floor: 'sandy' }],
      ['sandy/1.jpg', { floor: 'sandy' }],
    ]);
  });

  it('names the row, the value and the valid labels for a label the model does not have', () => {
    writeFileSync(join(dir, 'm', 'bad.csv'), 'path,floor,element\nimages/siteA/a1.jpg,gravel,none\n');
    expect(() => loadDataset(join(dir, 'm', 'bad.csv'), heads)).toThrow(
      /bad\.csv row 2: floor 'gravel' is not a label of the model \(labels: sandy, muddy, muddy-sand, reef/,
    );
  });

  it('names a missing column', () => {
    writeFileSync(join(dir, 'm', 'nocol.csv'), 'path,floor\nimages/siteA/a1.jpg,sandy\n');
    expect(() => loadDataset(join(dir, 'm', 'nocol.csv'), heads)).toThrow(/no 'element' column/);
  });

  it('reports a missing image with its row as a missing input', () => {
    writeFileSync(join(dir, 'm', 'gone.csv'), 'path,floor,element\nimages/siteA/zz.jpg,sandy,none\n');
    const error = (() => {
      try {
        loadDataset(join(dir, 'm', 'gone.csv'), heads);
      } catch (e) {
        return e as InputError;
      }
    })();
    expect(error?.message).toMatch(/row 2: image not found: images\/siteA\/zz\.jpg/);
    expect(error?.exitCode).toBe(3);
  });

  it('refuses a class folder that is no label of the model', async () => {
    mkdirSync(join(dir, 'g', 'gravel'), { recursive: true });
    await writeNoisyImage(join(dir, 'g', 'gravel', '0.jpg'), [100, 100, 100], 3, 16, 16);
    expect(() => loadDataset(join(dir, 'g'), heads)).toThrow(/class folder 'gravel' is not a label of the model/);
  });

  it('refuses data that does not exist, and a file that is neither a folder nor a CSV', () => {
    expect(() => loadDataset(join(dir, 'nowhere'), heads)).toThrow(/data not found/);
    expect(() => loadDataset(join(dir, 'm', 'images', 'siteA', 'a1.jpg'), heads)).toThrow(/folder of class folders or a manifest \.csv/);
  });
});
