import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { firstValueFrom, from, lastValueFrom, toArray } from 'rxjs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { relativeCenterCrop } from '../../src/geometry.js';
import { ModelSession } from '../../src/model/session.js';
import { predictBatch } from '../../src/model/predict.js';
import { cropResizeFrame } from '../../src/operators/crop-resize.js';
import { gradCam } from '../../src/operators/grad-cam.js';
import { openWithCams } from '../../src/model-building/add-cam-outputs.js';
import { UsageError } from '../../src/errors.js';
import type { Frame, Rect } from '../../src/types.js';
import { solidFrame, withPatch } from '../helpers/frames.js';
import { TINY_SIZE, writeTinyModel } from '../helpers/tiny-model.js';

const DARK = [20, 20, 20] as const;
const BRIGHT = [240, 240, 240] as const;
const GREEN = [20, 220, 20] as const;

/** A model-sized frame that shows `region` of a larger source. */
const modelFrame = (region: Rect, sourceSize = { width: 1000, height: 800 }): Frame =>
  solidFrame(TINY_SIZE, TINY_SIZE, DARK, { region, sourceSize });

function contains(rect: Rect, x: number, y: number): boolean {
  return x >= rect.x && x < rect.x + rect.width && y >= rect.y && y < rect.y + rect.height;
}

describe('gradCam operator', () => {
  const dir = mkdtempSync(join(tmpdir(), 'rovlens-gradcam-'));
  const withCams = writeTinyModel(join(dir, 'cams'));
  const withoutCams = writeTinyModel(join(dir, 'plain'), { withCams: false });
  let camModel: ModelSession;
  let plainModel: ModelSession;
  beforeAll(async () => {
    camModel = await ModelSession.open(withCams.modelPath);
    plainModel = await ModelSession.open(withoutCams.modelPath);
  });
  afterAll(async () => {
    await camModel.close();
    await plainModel.close();
  });

  // Model pixels 16..32 x 24..40 = CAM cells 2..3 x 3..4; the frame shows source x 200..840, y 100..740 (10 px per model px).
  const region = { x: 200, y: 100, width: 640, height: 640 };
  const patchFrame = () => withPatch(modelFrame(region), { x: 16, y: 24, width: 16, height: 16 }, BRIGHT);
  const patchInSource = { x: 200 + 160, y: 100 + 240, width: 160, height: 160 };

  it('boxes the bright patch of the predicted class in source pixels, from the graph’s CAM', async () => {
    const results = await predictBatch(camModel, [patchFrame()]);
    const [out] = await lastValueFrom(from(results).pipe(gradCam(), toArray()));
    const l = out!.localisation!;
    expect(out!.heads.element!.label).toBe('rocks');
    expect(l.method).toBe('gradcam');
    expect(l.head).toBe('element');
    expect(l.classIndex).toBe(4);
    expect(l.region).toEqual(region);
    expect(l.boxes).toHaveLength(1);
    // The 64-cell grid over 640 px is 10 px a cell: edges land within one grid cell.
    const box = l.boxes[0]!;
    expect(Math.abs(box.x - patchInSource.x)).toBeLessThanOrEqual(10);
    expect(Math.abs(box.y - patchInSource.y)).toBeLessThanOrEqual(10);
    expect(Math.abs(box.width - patchInSource.width)).toBeLessThanOrEqual(20);
    expect(Math.abs(box.height - patchInSource.height)).toBeLessThanOrEqual(20);
    expect(contains(patchInSource, l.peak.x, l.peak.y)).toBe(true);
    expect(l.areaFraction).toBeCloseTo((160 * 160) / (640 * 640), 1);
  });

  it('localises a class on request instead of the predicted one', async () => {
    const frame = withPatch(patchFrame(), { x: 48, y: 0, width: 16, height: 8 }, GREEN);
    const results = await predictBatch(camModel, [frame]);
    const [out] = await lastValueFrom(from(results).pipe(gradCam({ className: 'algae' }), toArray()));
    const l = out!.localisation!;
    expect(l.classIndex).toBe(2);
    expect(contains({ x: 200 + 480, y: 100, width: 160, height: 80 }, l.peak.x, l.peak.y)).toBe(true);
  });

  it('localises more heads and classes on request (also) besides the main heatmap, keyed as asked', async () => {
    const frame = withPatch(patchFrame(), { x: 48, y: 0, width: 16, height: 8 }, GREEN);
    const results = await predictBatch(camModel, [frame]);
    const also = [
      { head: 'element', className: 'algae' },
      { head: 'floor', className: 'predicted' },
    ];
    const [out] = await lastValueFrom(from(results).pipe(gradCam({ model: camModel, also }), toArray()));
    expect(out!.localisation).toMatchObject({ head: 'element', classIndex: 4, label: 'rocks' });
    expect(Object.keys(out!.extraLocalisations!)).toEqual(['element:algae', 'floor:predicted']);
    const algae = out!.extraLocalisations!['element:algae']!;
    expect(algae).toMatchObject({ head: 'element', classIndex: 2, label: 'algae', method: 'gradcam' });
    expect(contains({ x: 200 + 480, y: 100, width: 160, height: 80 }, algae.peak.x, algae.peak.y)).toBe(true);
    const floor = out!.extraLocalisations!['floor:predicted']!;
    expect(floor).toMatchObject({ head: 'floor', label: out!.heads.floor!.label, classIndex: out!.heads.floor!.topIndex });
  });

  it('runs one fallback for every head asked for when the model has no CAM outputs', async () => {
    const lines: string[] = [];
    const results = await predictBatch(plainModel, [withPatch(patchFrame(), { x: 48, y: 0, width: 16, height: 8 }, GREEN)]);
    const also = [{ head: 'element', className: 'algae' }];
    const [out] = await lastValueFrom(
      from(results).pipe(gradCam({ model: plainModel, occlusionCells: 8, also, notice: (l) => lines.push(l) }), toArray()),
    );
    expect(lines).toHaveLength(1);
    const algae = out!.extraLocalisations!['element:algae']!;
    expect(algae.method).toBe('occlusion');
    expect(contains({ x: 200 + 480, y: 100, width: 160, height: 80 }, algae.peak.x, algae.peak.y)).toBe(true);
    expect(contains(patchInSource, out!.localisation!.peak.x, out!.localisation!.peak.y)).toBe(true);
  });

  it('falls back to occlusion for a model without CAM outputs, says so once, and still finds the patch', async () => {
    const lines: string[] = [];
    const results = await predictBatch(plainModel, [patchFrame(), patchFrame()]);
    expect(results[0]!.cams).toBeUndefined();
    const out = await lastValueFrom(
      from(results).pipe(gradCam({ model: plainModel, occlusionCells: 8, notice: (l) => lines.push(l) }), toArray()),
    );
    expect(lines).toEqual(["rovlens: no CAM output for head 'element'; using occlusion (65 forward passes per frame)"]);
    for (const r of out) {
      const l = r.localisation!;
      expect(l.method).toBe('occlusion');
      expect(r.cams!.element!.method).toBe('occlusion');
      expect(contains(patchInSource, l.peak.x, l.peak.y)).toBe(true);
      expect(contains(l.boxes[0]!, patchInSource.x + 80, patchInSource.y + 80)).toBe(true);
    }
  });

  it('passes results through unchanged when there are no maps and no model to make them', async () => {
    const results = await predictBatch(plainModel, [patchFrame()]);
    const out = await firstValueFrom(from(results).pipe(gradCam()));
    expect(out).toBe(results[0]);
  });

  it('rejects an unknown class with the list of valid ones', async () => {
    const results = await predictBatch(camModel, [patchFrame()]);
    await expect(firstValueFrom(from(results).pipe(gradCam({ className: 'whale' })))).rejects.toThrow(
      "no class 'whale' in head 'element' (classes: ripples, fauna, algae, waste, rocks, or 'predicted')",
    );
  });

  it('rejects an unknown head when it is built, naming the model’s heads', () => {
    expect(() => gradCam({ model: camModel, head: 'depth' })).toThrow(UsageError);
    expect(() => gradCam({ model: camModel, head: 'depth' })).toThrow("no head 'depth' in model rovlens-tiny (heads: floor, element)");
  });

  it('rejects an unknown head or class among the extra targets when it is built', () => {
    expect(() => gradCam({ model: camModel, also: [{ head: 'depth', className: 'predicted' }] })).toThrow(
      "no head 'depth' in model rovlens-tiny",
    );
    expect(() => gradCam({ model: camModel, also: [{ head: 'floor', className: 'waste' }] })).toThrow(
      "no class 'waste' in head 'floor' (classes: sandy, muddy, muddy-sand, reef, or 'predicted')",
    );
  });

  it('rejects a forced occlusion fallback without a model', () => {
    expect(() => gradCam({ fallback: 'occlusion' })).toThrow(/needs the model/);
  });

  it('puts boxes where a bright patch is in a 4K frame seen through the 0.67 centre crop', async () => {
    const source = { width: 3840, height: 2160 };
    const crop = relativeCenterCrop(source, { widthFraction: 0.67, heightFraction: 1 });
    // A patch covering exactly CAM cells 5..6 x 2..3 of the 8x8 map over the crop.
    const cellW = crop.width / 8;
    const cellH = crop.height / 8;
    const patch = {
      x: Math.round(crop.x + 5 * cellW),
      y: Math.round(2 * cellH),
      width: Math.round(2 * cellW),
      height: Math.round(2 * cellH),
    };
    const full = withPatch(solidFrame(source.width, source.height, DARK), patch, BRIGHT);
    const small = await cropResizeFrame(full, { widthFraction: 0.67, heightFraction: 1 }, { width: TINY_SIZE, height: TINY_SIZE });
    expect(small.region).toEqual(crop);
    const results = await predictBatch(camModel, [small]);
    const [out] = await lastValueFrom(from(results).pipe(gradCam(), toArray()));
    const box = out!.localisation!.boxes[0]!;
    // One grid cell of the 64-cell localisation grid, plus a pixel of rounding.
    const tolX = crop.width / 64 + 1;
    const tolY = crop.height / 64 + 1;
    expect(Math.abs(box.x - patch.x)).toBeLessThanOrEqual(tolX);
    expect(Math.abs(box.x + box.width - (patch.x + patch.width))).toBeLessThanOrEqual(tolX);
    expect(Math.abs(box.y - patch.y)).toBeLessThanOrEqual(tolY);
    expect(Math.abs(box.y + box.height - (patch.y + patch.height))).toBeLessThanOrEqual(tolY);
    expect(contains(patch, out!.localisation!.peak.x, out!.localisation!.peak.y)).toBe(true);
  });
});

describe('gradCam operator, Score-CAM fallback', () => {
  const dir = mkdtempSync(join(tmpdir(), 'rovlens-scorecam-'));
  const cacheDir = join(dir, 'cache');
  const region = { x: 200, y: 100, width: 640, height: 640 };
  const patchInSource = { x: 200 + 160, y: 100 + 240, width: 160, height: 160 };
  // A black background: masks that keep it add no evidence for any class (the tiny model's
  // brightness channel is zero there), so the patch's mask is the one that raises 'rocks'.
  const patchFrame = () =>
    withPatch(
      solidFrame(TINY_SIZE, TINY_SIZE, [0, 0, 0], { region, sourceSize: { width: 1000, height: 800 } }),
      { x: 16, y: 24, width: 16, height: 16 },
      BRIGHT,
    );

  it('is chosen automatically for a head that pools a feature map but is not one linear layer, and finds the patch', async () => {
    const mlp = writeTinyModel(join(dir, 'mlp'), { withCams: false, elementRelu: true });
    const opened: string[] = [];
    const model = await openWithCams(mlp.modelPath, { cacheDir, notice: (l) => opened.push(l) });
    try {
      expect(opened).toEqual([
        'rovlens: added exact Grad-CAM outputs for head floor (pooling + linear head found in the graph)',
        'rovlens: head element pools a feature map but is not one linear layer; heatmaps by Score-CAM',
      ]);
      expect(model.card.heads.element).toMatchObject({ features: 'element_features' });
      expect(model.card.heads.element!.cam).toBeUndefined();
      const results = await predictBatch(model, [patchFrame(), patchFrame()]);
      expect(results[0]!.cams!.element).toBeUndefined();
      const lines: string[] = [];
      const out = await lastValueFrom(from(results).pipe(gradCam({ model, notice: (l) => lines.push(l) }), toArray()));
      expect(lines).toHaveLength(1);
      expect(lines[0]).toMatch(/^rovlens: no CAM output for head 'element'; using score-cam \(\d+ forward passes per frame\)$/);
      for (const r of out) {
        const l = r.localisation!;
        expect(l.method).toBe('score-cam');
        expect(l.classIndex).toBe(4); // rocks: the bright patch
        expect(contains(patchInSource, l.peak.x, l.peak.y)).toBe(true);
        expect(contains(l.boxes[0]!, patchInSource.x + 80, patchInSource.y + 80)).toBe(true);
      }
    } finally {
      await model.close();
    }
  });

  it('can be asked for on a model with CAM outputs, and then agrees with Grad-CAM on where the patch is', async () => {
    const tiny = writeTinyModel(join(dir, 'cams'));
    const model = await openWithCams(tiny.modelPath, { cacheDir, features: true, notice: () => undefined });
    try {
      const results = await predictBatch(model, [patchFrame()]);
      const lines: string[] = [];
      const [exact] = await lastValueFrom(from(results).pipe(gradCam({ model, fallback: 'none' }), toArray()));
      const [score] = await lastValueFrom(
        from(results).pipe(gradCam({ model, fallback: 'score-cam', scoreCamChannels: 16, notice: (l) => lines.push(l) }), toArray()),
      );
      // One pass for the activations, then one per channel that varies over the frame (of 16).
      const passes = Number(/^rovlens: heatmaps by score-cam, as asked \((\d+) forward passes per frame\)$/.exec(lines[0] ?? '')?.[1]);
      expect(passes).toBeGreaterThanOrEqual(3);
      expect(passes).toBeLessThanOrEqual(17);
      expect(exact!.localisation!.method).toBe('gradcam');
      expect(score!.localisation!.method).toBe('score-cam');
      expect(score!.localisation!.peak).toEqual(exact!.localisation!.peak);
    } finally {
      await model.close();
    }
  });

  it('refuses Score-CAM in one line when the model has no feature map for the head', async () => {
    const tiny = writeTinyModel(join(dir, 'nofeatures'));
    const model = await ModelSession.open(tiny.modelPath);
    try {
      expect(() => gradCam({ model, fallback: 'score-cam' })).toThrow(
        "Score-CAM needs the feature map that head 'element' pools; none was found in model rovlens-tiny (use --fallback occlusion)",
      );
    } finally {
      await model.close();
    }
  });
});
