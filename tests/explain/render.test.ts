import sharp from 'sharp';
import { describe, expect, it } from 'vitest';
import { colorOf } from '../../src/explain/colormap.js';
import { localise } from '../../src/explain/localise.js';
import { labelLines, renderAnnotated } from '../../src/explain/render.js';
import { headPrediction } from '../../src/model/predict.js';
import type { CamMaps, Frame, FrameResult, Rect } from '../../src/types.js';
import { solidFrame } from '../helpers/frames.js';

const GREY = 128;
const LABELS = ['ripples', 'fauna', 'algae', 'waste', 'rocks'];

/** A result whose element map (fauna) is hot on cells (5..6, 1..2) of an 8x8 map over `region`. */
function resultOver(modelFrame: Frame): FrameResult {
  const data = new Float32Array(5 * 64);
  for (const [x, y] of [
    [5, 1],
    [6, 1],
    [5, 2],
    [6, 2],
  ] as const)
    data[64 + y * 8 + x] = 4;
  const cams: Record<string, CamMaps> = { element: { classes: 5, height: 8, width: 8, data, method: 'gradcam' } };
  const heads = {
    element: headPrediction([0, 3, 0, 0, 1], LABELS, 0),
    floor: headPrediction([2, 0, 0, 0], ['sandy', 'muddy', 'muddy-sand', 'reef'], 0.9),
  };
  return {
    frame: modelFrame,
    heads,
    cams,
    localisation: localise(cams.element!, { head: 'element', classIndex: 1, label: 'fauna' }, modelFrame.region),
  };
}

async function decode(jpeg: Buffer) {
  const { data, info } = await sharp(jpeg).raw().toBuffer({ resolveWithObject: true });
  const at = (x: number, y: number) => {
    const i = (Math.round(y) * info.width + Math.round(x)) * info.channels;
    return [data[i]!, data[i + 1]!, data[i + 2]!] as const;
  };
  return { info, at };
}

describe('renderAnnotated', () => {
  // A 640x360 source; the model saw its central 0.67 width (x 106..535), all its height.
  const region: Rect = { x: 106, y: 0, width: 429, height: 360 };
  const source = { width: 640, height: 360 };
  const full = solidFrame(640, 360, [GREY, GREY, GREY]);
  const model = solidFrame(64, 64, [GREY, GREY, GREY], { region, sourceSize: source });
  const result = resultOver(model);
  // Centre of the hot block in source pixels: cells 5..6 x 1..2 -> centre at 6 x 2 cells.
  const hot = { x: region.x + (6 / 8) * region.width, y: (2 / 8) * region.height };

  it('blends a hot colour over the element on the full frame, leaves cold areas alone and dims outside the crop', async () => {
    const { info, at } = await decode(await renderAnnotated(full, result));
    expect([info.width, info.height]).toEqual([640, 360]);
    const [r, g, b] = at(hot.x, hot.y);
    // Turbo's hot end is a dark red: red stays, green and blue drop well below the grey.
    expect(r - g).toBeGreaterThan(50);
    expect(r - b).toBeGreaterThan(50);
    expect(b).toBeLessThan(GREY - 40);
    const cold = at(region.x + 0.3 * region.width, 0.5 * region.height);
    for (const v of cold) expect(Math.abs(v - GREY)).toBeLessThanOrEqual(10);
    const outside = at(40, 100); // left of the crop, above the label panel
    for (const v of outside) expect(Math.abs(v - GREY * 0.65)).toBeLessThanOrEqual(10);
  });

  it('draws the first box in white on its edge, in source coordinates mapped to the picture', async () => {
    const box = result.localisation!.boxes[0]!;
    const { at } = await decode(await renderAnnotated(full, result));
    const edge = at(box.x + box.width / 2, box.y + box.height); // bottom edge, away from the label
    for (const v of edge) expect(v).toBeGreaterThan(200);
  });

  it('renders the model-sized frame scaled up, with the heatmap covering all of it', async () => {
    const { info, at } = await decode(await renderAnnotated(model, result));
    expect([info.width, info.height]).toEqual([480, 480]);
    const [r, g, b] = at((6 / 8) * 480, (2 / 8) * 480);
    expect(r - g).toBeGreaterThan(50);
    expect(r - b).toBeGreaterThan(50);
  });

  it('scales a 4K frame down to the widest picture allowed', async () => {
    const big = solidFrame(3840, 2160, [GREY, GREY, GREY]);
    const bigModel = { ...model, region: { x: 634, y: 0, width: 2573, height: 2160 }, sourceSize: { width: 3840, height: 2160 } };
    const { info } = await decode(await renderAnnotated(big, resultOver(bigModel), { maxWidthPixels: 1280 }));
    expect([info.width, info.height]).toEqual([1280, 720]);
  });

  it('rejects render options outside their range', async () => {
    await expect(renderAnnotated(full, result, { heatmapOpacity: 2 })).rejects.toThrow();
  });
});

describe('labelLines', () => {
  it('names each head’s label and confidence, says uncertain with the top class, and what the heatmap shows', () => {
    const lines = labelLines(resultOver(solidFrame(64, 64, [0, 0, 0])));
    expect(lines[0]).toBe('00:00:00.000');
    expect(lines[1]).toMatch(/^element: fauna \d+%$/);
    expect(lines[2]).toMatch(/^floor: uncertain \(sandy\) \d+%$/);
    expect(lines[3]).toBe('heatmap: element/fauna (gradcam)');
  });

  it('marks a heatmap the model card calls unreliable on the line after it', () => {
    const lines = labelLines(resultOver(solidFrame(64, 64, [0, 0, 0])), 'unreliable: 37.5 % vs centre 60.0 %');
    expect(lines.slice(3)).toEqual(['heatmap: element/fauna (gradcam)', 'heatmap unreliable: 37.5 % vs centre 60.0 %']);
  });

  it('puts the navigation log’s instant and values after the time, two values to a line', () => {
    const result = resultOver(solidFrame(64, 64, [0, 0, 0]));
    const nav = { time: '2026-05-14T09:30:06.000Z', values: { latitude: 43.65000041, longitude: 7.3500298, depth_m: 38.44 } };
    const lines = labelLines({ ...result, nav });
    expect(lines.slice(0, 4)).toEqual(['00:00:00.000', '2026-05-14T09:30:06.000Z', 'latitude 43.65  longitude 7.35003', 'depth_m 38.44']);
    expect(lines[4]).toMatch(/^element: fauna/);
  });
});

describe('colormaps', () => {
  it('match the published end points: viridis within 5/255, the turbo fit within 35/255', () => {
    const near = (got: number[], want: number[], tolerance: number) =>
      got.forEach((v, i) => expect(Math.abs(v - want[i]!)).toBeLessThanOrEqual(tolerance));
    near(colorOf('viridis', 0), [68, 1, 84], 5);
    near(colorOf('viridis', 1), [253, 231, 37], 5);
    near(colorOf('turbo', 0), [48, 18, 59], 35);
    near(colorOf('turbo', 1), [122, 4, 3], 35);
  });

  it('run turbo from blue through green to red', () => {
    const [r1, g1, b1] = colorOf('turbo', 0.15);
    const [r2, g2, b2] = colorOf('turbo', 0.5);
    const [r3, g3, b3] = colorOf('turbo', 0.95);
    expect(b1).toBeGreaterThan(Math.max(r1, g1));
    expect(g2).toBeGreaterThan(Math.max(r2, b2));
    expect(r3).toBeGreaterThan(Math.max(g3, b3));
  });

  it('make viridis brighter as the value grows (perceptually ordered)', () => {
    const luma = (v: number) => {
      const [r, g, b] = colorOf('viridis', v);
      return 0.2126 * r + 0.7152 * g + 0.0722 * b;
    };
    for (let v = 0; v < 1; v += 0.05) expect(luma(v + 0.05)).toBeGreaterThan(luma(v));
  });
});
