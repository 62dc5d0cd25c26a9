/**
 * Labels from review, VIAME and COCO files, alone and combined, through `rovlens train` and
 * `rovlens evaluate` as a user runs them: a generated clip whose three scenes the tiny model tells
 * apart (bright sand, dark mud, red reef), a labels file written by the review manifest writer.
 */
import { copyFileSync, mkdirSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import sharp from 'sharp';
import { beforeAll, describe, expect, it } from 'vitest';
import { ManifestWriter, type ManifestRow } from '../../src/review/manifest.js';
import { loadLabelledData } from '../../src/training/label-sources.js';
import { ffmpeg, tmpFile } from '../helpers/clips.js';
import { runCliSync as rovlens } from '../helpers/cli.js';
import { FLOOR_LABELS, ELEMENT_LABELS, writeTinyModel } from '../helpers/tiny-model.js';
import { CLASS_COLOURS, writeFolderDataset, writeNoisyImage } from './fixtures.js';

const hex = (rgb: readonly number[]) => `0x${rgb.map((c) => c.toString(16).padStart(2, '0')).join('')}`;
const SCENES = ['sandy', 'muddy', 'reef'] as const;
const SCENE_SECONDS = 2;
const FPS = 5;

/** Three 2-second scenes, 96x72 at 5 frames/s, with temporal noise so no two frames are equal. */
function scenesClip(): string {
  const path = tmpFile('three-scenes-96x72.mp4');
  const inputs = SCENES.map((s, i) => `color=c=${hex(CLASS_COLOURS[s]!)}:s=96x72:r=${FPS}:d=${SCENE_SECONDS}[s${i}]`).join(';');
  ffmpeg([
    '-f',
    'lavfi',
    '-i',
    `${inputs};[s0][s1][s2]concat=n=3:v=1:a=0,noise=alls=12:allf=t`,
    '-c:v',
    'libx264',
    '-preset',
    'ultrafast',
    '-qp',
    '10',
    '-pix_fmt',
    'yuv444p',
    path,
  ]);
  return path;
}

/** One row per frame 0.2 s apart, away from scene changes; a group per second, as review writes them. */
function sceneRows(clip: string, floorOf: (scene: string) => string = (s) => s): ManifestRow[] {
  const rows: ManifestRow[] = [];
  SCENES.forEach((scene, s) => {
    for (let k = 1; k < SCENE_SECONDS * FPS - 1; k++) {
      const ptsSeconds = s * SCENE_SECONDS + k / FPS;
      rows.push({
        source: clip,
        ptsSeconds,
        floor: floorOf(scene),
        group: `g${Math.floor(ptsSeconds)}`,
        crop: { widthFraction: 0.5, heightFraction: 1 },
        reviewer: 'test',
        reviewedAt: '2026-01-01T00:00:00Z',
        predictedFloor: 'sandy',
      });
    }
  });
  return rows;
}

function writeLabels(path: string, rows: ManifestRow[]): string {
  const writer = ManifestWriter.open(path);
  writer.write(rows);
  writer.close();
  return path;
}

const heads = { floor: FLOOR_LABELS, element: ELEMENT_LABELS };

describe('labelled data from review, VIAME and COCO files', () => {
  const dir = mkdtempSync(join(tmpdir(), 'rovlens-site-labels-'));
  const clip = scenesClip();
  const tiny = writeTinyModel(join(dir, 'base'));
  const cache = join(dir, 'cache');
  const labels = join(dir, 'dive', 'labels.csv');
  beforeAll(async () => {
    mkdirSync(join(dir, 'dive'), { recursive: true });
    copyFileSync(clip, join(dir, 'dive', 'dive.mp4'));
    writeLabels(labels, sceneRows(join(dir, 'dive', 'dive.mp4')));
    await writeFolderDataset(join(dir, 'public'), ['sandy', 'muddy', 'reef'], 4);
    // The same pictures as an image manifest, two groups per class.
    const lines = ['path,floor,element,group'];
    for (const floor of ['sandy', 'muddy', 'reef']) for (let i = 0; i < 4; i++) lines.push(`${floor}/${i}.jpg,${floor},,${floor}-${i % 2}`);
    writeFileSync(join(dir, 'public', 'manifest.csv'), `${lines.join('\n')}\n`);
  });

  it('reads a review labels file: one picture per labelled frame, cut with its crop, grouped as reviewed', async () => {
    const data = await loadLabelledData(labels, { floor: FLOOR_LABELS }, heads, join(cache, 'frames'));
    expect(data.inputs).toEqual([{ path: labels, kind: 'review', images: 24 }]);
    const frame = data.images.find((i) => i.id === 'dive.mp4@2.400')!;
    expect(frame).toMatchObject({ labels: { floor: 'muddy' }, group: 'labels.csv:g2', source: 'dive.mp4', ptsSeconds: 2.4 });
    // The extracted picture is the crop (half the width) and nothing needs cutting again.
    expect(frame.crop).toEqual({ widthFraction: 1, heightFraction: 1 });
    const { data: pixels, info } = await sharp(frame.path).raw().toBuffer({ resolveWithObject: true });
    expect([info.width, info.height]).toEqual([48, 72]);
    const mean = [0, 1, 2].map((c) => pixels.filter((_, i) => i % 3 === c).reduce((a, b) => a + b, 0) / (pixels.length / 3));
    CLASS_COLOURS.muddy!.forEach((v, c) => expect(Math.abs(mean[c]! - v)).toBeLessThan(12));
  });

  it('trains on the labels file, records what it held out, and evaluate prints it next to the model it started from', () => {
    const out = join(dir, 'site.onnx');
    const run = rovlens('train', '--data', labels, '--model', tiny.modelPath, '--task', 'floor', '-o', out, '--views', '1', '--epochs', '150', '--cache-dir', cache);
    expect(run.stderr).toBe('');
    expect(run.code).toBe(0);
    expect(run.stdout).toMatch(/floor: group split, \d+ training images/);
    const card = JSON.parse(readFileSync(join(dir, 'site.card.json'), 'utf8'));
    expect(card.provenance.trainedFrom).toBe(tiny.modelPath);
    const heldOut: string[] = card.provenance.heldOut.floor.groups;
    expect(heldOut.length).toBeGreaterThan(0);
    expect(heldOut.every((g) => /^labels\.csv:g[0-5]$/.test(g))).toBe(true);

    const evaluate = rovlens('evaluate', out, '--data', labels, '--validation-only', '--task', 'floor', '-q', '--json');
    expect(evaluate.code).toBe(0);
    const report = JSON.parse(evaluate.stdout);
    expect(report.scored).toBe('held-out recorded in the card');
    // Both models on exactly the held-out frames.
    expect(report.images).toBe(report.baseline.images);
    expect(report.images).toBe(report.conditions[0].heads[0].overall.total);
    expect(report.baseline.model).toBe(tiny.modelPath);
    const text = rovlens('evaluate', out, '--data', labels, '--validation-only', '--task', 'floor', '-q');
    expect(text.stdout).toMatch(new RegExp(`site\\.onnx next to tiny\\.onnx, on the same ${report.images} pictures`));
    expect(text.stdout).toMatch(/floor\s+all\s+\d+\s+[\d.]+\s+[\d.]+\s+[+-][\d.]+/);
  });

  it('combines a labels file with an image manifest in one training run, split by group', () => {
    const out = join(dir, 'combined.onnx');
    const run = rovlens(
      'train',
      '--data',
      labels,
      '--data',
      join(dir, 'public', 'manifest.csv'),
      '--model',
      tiny.modelPath,
      '--task',
      'floor',
      '-o',
      out,
      '--views',
      '0',
      '--epochs',
      '50',
      '--cache-dir',
      cache,
      '--json',
    );
    expect(run.code).toBe(0);
    const report = JSON.parse(run.stdout);
    const floor = report.heads[0];
    expect(floor.split).toBe('group');
    expect(floor.trainImages + floor.validationImages).toBe(24 + 12);
    const sources = new Set(floor.counts.map((c: { source: string }) => c.source));
    expect(sources.has('dive.mp4')).toBe(true);
    // Both files' groups are kept whole: the card's held-out groups come from both, none twice.
    const card = JSON.parse(readFileSync(join(dir, 'combined.card.json'), 'utf8'));
    const groups: string[] = card.provenance.heldOut.floor.groups;
    expect(groups.some((g) => g.startsWith('labels.csv:'))).toBe(true);
    expect(groups.some((g) => /^(sandy|muddy|reef)-[01]$/.test(g))).toBe(true);
  });

  it('adds a class folder without groups: each of its pictures is a group of its own', async () => {
    const data = await loadLabelledData([labels, join(dir, 'public')], { floor: FLOOR_LABELS }, heads, join(cache, 'frames'));
    expect(data.inputs.map((i) => [i.kind, i.images])).toEqual([
      ['review', 24],
      ['folders', 12],
    ]);
    const folderGroups = data.images.filter((i) => !i.ptsSeconds).map((i) => i.group);
    expect(new Set(folderGroups).size).toBe(12);
  });

  it('refuses a label the model card does not have, in one line', () => {
    const bad = writeLabels(join(dir, 'dive', 'gravel.csv'), sceneRows(join(dir, 'dive', 'dive.mp4'), (s) => (s === 'reef' ? 'gravel' : s)));
    const run = rovlens('train', '--data', bad, '--model', tiny.modelPath, '--task', 'floor', '-o', join(dir, 'x.onnx'), '--cache-dir', cache);
    expect(run.code).toBe(4);
    expect(run.stderr.trim().split('\n')).toHaveLength(1);
    expect(run.stderr).toMatch(/^rovlens: gravel\.csv \(dive\.mp4 at 4\.200 s\): floor 'gravel' is not a label of the model \(labels: sandy, muddy, muddy-sand, reef/);
  });

  it('reads a VIAME CSV as DIVE exports it: whole-frame classes at frame / fps, boxes around objects left out', async () => {
    const csv = join(dir, 'dive', 'dive.viame.csv');
    writeFileSync(
      csv,
      [
        '# 1: Detection or Track-id,2: Video or Image Identifier,3: Unique Frame Identifier,4-7: Img-bbox(TL_x,TL_y,BR_x,BR_y),8: Detection or Length Confidence,9: Target Length (0 or -1 if invalid),10-11+: Repeated Species,Confidence Pairs or Attributes',
        `# metadata,fps: ${FPS},"exported_by: ""dive:python"""`,
        '0,00:00:00.400000,2,0,0,96,72,1,-1,sandy,0.9,muddy,0.1',
        '0,00:00:00.600000,3,0,0,96,72,1,-1,sandy,0.8',
        '1,00:00:03.000000,15,0,0,96,72,1,-1,muddy,0.7,fauna,0.6',
        '2,00:00:03.000000,15,10,10,30,30,1,-1,reef,1',
      ].join('\n'),
    );
    const data = await loadLabelledData(csv, { floor: FLOOR_LABELS, element: ELEMENT_LABELS }, heads, join(cache, 'frames'));
    expect(data.inputs[0]!.kind).toBe('viame');
    expect(data.images.map((i) => [i.ptsSeconds, i.labels, i.group])).toEqual([
      [0.4, { floor: 'sandy' }, 'dive.viame.csv:track-0'],
      [0.6, { floor: 'sandy' }, 'dive.viame.csv:track-0'],
      [3, { floor: 'muddy', element: 'fauna' }, 'dive.viame.csv:track-1'],
    ]);
    // The video beside the CSV, whole frames (the card's crop applies later).
    const { info } = await sharp(data.images[2]!.path).raw().toBuffer({ resolveWithObject: true });
    expect([info.width, info.height]).toEqual([96, 72]);
    expect(data.images[2]!.crop).toBeUndefined();
  });

  it('reads a COCO file: categories and attributes, the best-scoring annotation per head', async () => {
    mkdirSync(join(dir, 'coco', 'img'), { recursive: true });
    await writeNoisyImage(join(dir, 'coco', 'img', 'a.jpg'), CLASS_COLOURS.sandy!, 1);
    await writeNoisyImage(join(dir, 'coco', 'img', 'b.jpg'), CLASS_COLOURS.reef!, 2);
    const coco = join(dir, 'coco', 'labels.json');
    writeFileSync(
      coco,
      JSON.stringify({
        images: [
          { id: 1, file_name: 'img/a.jpg', width: 96, height: 72, attributes: { floor: 'sandy', group: 'site-1' } },
          { id: 2, file_name: 'img/b.jpg', width: 96, height: 72 },
          { id: 3, file_name: '../dive/dive.mp4#t=4.6', width: 96, height: 72, attributes: { floor: 'reef' } },
        ],
        categories: [
          { id: 7, name: 'reef', supercategory: 'floor' },
          { id: 8, name: 'fauna', supercategory: 'element' },
          { id: 9, name: 'rocks' },
        ],
        annotations: [
          { id: 1, image_id: 1, category_id: 8, bbox: [0, 0, 10, 10] },
          { id: 2, image_id: 2, category_id: 7, bbox: [0, 0, 96, 72] },
          { id: 3, image_id: 2, category_id: 9, bbox: [0, 0, 20, 20], score: 0.4 },
          { id: 4, image_id: 2, category_id: 8, bbox: [0, 0, 10, 10], score: 0.9 },
        ],
      }),
    );
    const data = await loadLabelledData(coco, { floor: FLOOR_LABELS, element: ELEMENT_LABELS }, heads, join(cache, 'frames'));
    expect(data.inputs[0]!.kind).toBe('coco');
    expect(data.images.map((i) => [i.id, i.labels, i.group?.startsWith('image:') ? 'own group' : i.group])).toEqual([
      ['labels.json:img/a.jpg', { floor: 'sandy', element: 'fauna' }, 'labels.json:site-1'],
      // Next to grouped pictures an ungrouped one is a group of its own.
      ['labels.json:img/b.jpg', { floor: 'reef', element: 'fauna' }, 'own group'],
      // A video frame named as a media fragment, as rovlens export writes it: extracted at its time.
      ['../dive/dive.mp4@4.600', { floor: 'reef' }, 'own group'],
    ]);
    expect(data.images[2]!.ptsSeconds).toBe(4.6);
  });

  it('refuses a COCO category that is no label of the model, in one line', () => {
    const coco = join(dir, 'coco', 'crab.json');
    writeFileSync(
      coco,
      JSON.stringify({
        images: [{ id: 1, file_name: 'img/a.jpg' }],
        categories: [{ id: 1, name: 'crab' }],
        annotations: [{ id: 1, image_id: 1, category_id: 1 }],
      }),
    );
    const run = rovlens('train', '--data', coco, '--model', tiny.modelPath, '-o', join(dir, 'x.onnx'), '--cache-dir', cache);
    expect(run.code).toBe(4);
    expect(run.stderr.trim().split('\n')).toHaveLength(1);
    expect(run.stderr).toMatch(/crab\.json annotation 1 \(category 'crab'\): class 'crab' is not a label of the model \(floor: .*; element: /);
  });
});
