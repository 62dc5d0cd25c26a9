import { copyFileSync, mkdirSync, mkdtempSync, readFileSync, readdirSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import sharp from 'sharp';
import { describe, expect, it } from 'vitest';
import { makeCard } from '../../src/model-building/make-card.js';
import { loadModelCard } from '../../src/model/card.js';
import { encodeModel, readModel, valueInfo } from '../../src/model-building/onnx-graph.js';
import { kerasLikeGraph } from '../helpers/keras-like-model.js';
import { ModelSession } from '../../src/model/session.js';
import { runCliSync } from '../helpers/cli.js';
import { ELEMENT_LABELS, FLOOR_LABELS, writeTinyModel } from '../helpers/tiny-model.js';

const dir = mkdtempSync(join(tmpdir(), 'rovlens-card-'));

/** A tiny model with no card, as it would come from elsewhere. */
function foreignTiny(name: string, options: Parameters<typeof writeTinyModel>[1] = {}): string {
  const tiny = writeTinyModel(join(dir, `${name}-src`), { withCams: false, ...options });
  mkdirSync(join(dir, name), { recursive: true });
  const path = join(dir, name, 'classifier.onnx');
  copyFileSync(tiny.modelPath, path);
  return path;
}

/** A Keras-like classifier with an NHWC input [N,32,32,3], as tf2onnx writes it. */
function kerasNhwc(): string {
  const path = join(dir, 'keras.onnx');
  writeFileSync(path, encodeModel(kerasLikeGraph({ nhwcInput: true, size: 32 })));
  return path;
}

describe('makeCard', () => {
  const request = {
    heads: { floor: [...FLOOR_LABELS], element: [...ELEMENT_LABELS] },
    scaling: 'unit' as const,
    modelFile: 'classifier.onnx',
  };

  it('reads the input and matches each head to the output with its class count', () => {
    const made = makeCard(readModel(foreignTiny('match')), { ...request, inputSize: 64 });
    expect(made.transposedInput).toBe(false);
    expect(made.card.input).toMatchObject({ name: 'image', layout: 'NCHW', width: 64, height: 64, channelOrder: 'RGB' });
    expect(made.card.heads.floor!.logits).toBe('floor_logits');
    expect(made.card.heads.element!.logits).toBe('element_logits');
    // The one 2-D output no head takes.
    expect(made.card.embedding).toEqual({ output: 'embedding', length: 16 });
    expect(made.heatmaps.map((h) => h.method)).toEqual(['gradcam', 'gradcam']);
  });

  it('plans Score-CAM for a head that pools but is not one linear layer', () => {
    const made = makeCard(readModel(foreignTiny('mlp', { elementRelu: true })), { ...request, inputSize: 64 });
    expect(made.heatmaps).toEqual([
      expect.objectContaining({ head: 'floor', method: 'gradcam' }),
      expect.objectContaining({ head: 'element', method: 'score-cam' }),
    ]);
  });

  it('asks for the input size when the graph leaves it dynamic, and for the output when the class count does not say', () => {
    const path = foreignTiny('ask');
    expect(() => makeCard(readModel(path), request)).toThrow("input 'image' has a dynamic size [N,3,H,W]: give --input-size <px>");
    expect(() => makeCard(readModel(path), { ...request, heads: { element: ['a', 'b', 'c'] }, inputSize: 64 })).toThrow(
      "cannot tell which output is head 'element' (3 classes): give --logits element=<output> (outputs: floor_logits [N,4], element_logits [N,5], embedding [N,16])",
    );
    expect(() =>
      makeCard(readModel(path), { ...request, heads: { element: ['a', 'b', 'c'] }, logits: { element: 'element_logits' }, inputSize: 64 }),
    ).toThrow("output 'element_logits' gives 5 values per image, but head 'element' has 3 labels");
  });

  it('puts a Transpose in front of an NHWC input, and the adapted model answers exactly as the original', async () => {
    const original = kerasNhwc();
    const graph = readModel(original);
    const made = makeCard(graph, { heads: { element: ['a', 'b', 'c'] }, scaling: 'symmetric', modelFile: 'keras.nchw.onnx' });
    expect(made.transposedInput).toBe(true);
    expect(made.card.input).toMatchObject({ name: 'input_1_nchw', width: 32, height: 32 });
    expect(made.heatmaps[0]).toMatchObject({ method: 'gradcam' });
    const adapted = join(dir, 'keras.nchw.onnx');
    writeFileSync(adapted, encodeModel(graph));
    writeFileSync(join(dir, 'keras.nchw.card.json'), JSON.stringify(made.card));
    writeFileSync(
      join(dir, 'keras.card.json'),
      JSON.stringify({ ...made.card, file: 'keras.onnx', input: { ...made.card.input, name: 'input_1' } }),
    );
    const nchw = Float32Array.from({ length: 3 * 32 * 32 }, (_, i) => Math.sin(i * 0.37));
    const nhwc = new Float32Array(nchw.length);
    for (let c = 0; c < 3; c++) for (let p = 0; p < 32 * 32; p++) nhwc[p * 3 + c] = nchw[c * 32 * 32 + p]!;
    const a = await ModelSession.open(adapted);
    const b = await ModelSession.open(original);
    try {
      const got = (await a.run(nchw, [1, 3, 32, 32], ['predictions'])).predictions!.data;
      // The original takes NHWC: the dims passed are only the tensor's shape.
      const want = (await b.run(nhwc, [1, 32, 32, 3], ['predictions'])).predictions!.data;
      Array.from(got).forEach((v, i) => expect(v).toBeCloseTo(want[i]!, 6));
    } finally {
      await Promise.all([a.close(), b.close()]);
    }
  });
});

describe('rovlens card (command line)', () => {
  it('writes a card that annotate then uses, and says how each head’s heatmap will be made', async () => {
    const model = foreignTiny('cli');
    const labels = ['--head', `floor=${FLOOR_LABELS.join(',')}`, '--head', `element=${ELEMENT_LABELS.join(',')}`];
    const run = runCliSync('card', model, ...labels, '--scaling', 'unit', '--input-size', '64', '--crop', '0.67x1');
    expect(run.code, run.stderr).toBe(0);
    expect(run.stderr).toMatch(/wrote .*classifier\.card\.json/);
    expect(run.stderr).toMatch(/head element: logits 'element_logits', 5 labels; heatmap by gradcam/);
    expect(run.stderr).toMatch(/embedding 'embedding', 16 values/);
    const { card } = loadModelCard(model);
    expect(card.crop).toEqual({ widthFraction: 0.67, heightFraction: 1 });
    const again = runCliSync('card', model, ...labels, '--scaling', 'unit', '--input-size', '64');
    expect(again.code).toBe(6);
    expect(again.stderr.trim().split('\n')).toEqual([`rovlens: ${model.replace('.onnx', '.card.json')} exists (--force replaces it)`]);
    // The card makes the model usable: annotate a picture with it.
    const images = join(dir, 'pictures');
    mkdirSync(images, { recursive: true });
    await sharp({ create: { width: 96, height: 64, channels: 3, background: { r: 30, g: 30, b: 30 } } })
      .composite([{ input: { create: { width: 16, height: 16, channels: 3, background: { r: 240, g: 240, b: 240 } } }, left: 40, top: 24 }])
      .png()
      .toFile(join(images, 'a.png'));
    const annotated = runCliSync('annotate', images, '-o', join(dir, 'annotated') + '/', '--model', model);
    expect(annotated.code, annotated.stderr).toBe(0);
    expect(annotated.stderr).toMatch(/added exact Grad-CAM outputs for head floor, element/);
    expect(annotated.stderr).toMatch(/1 frames? annotated .*\(heatmap: gradcam\)/);
  });

  it('writes an NHWC model again with a Transpose in front, and keeps a card that exists when a new one fails its check', () => {
    const keras = join(dir, 'cli-keras');
    mkdirSync(keras, { recursive: true });
    const model = join(keras, 'keras.onnx');
    writeFileSync(model, encodeModel(kerasLikeGraph({ nhwcInput: true, size: 32 })));
    const run = runCliSync('card', model, '--head', 'element=a,b,c', '--scaling', 'symmetric');
    expect(run.code, run.stderr).toBe(0);
    expect(run.stderr).toMatch(/wrote .*keras\.nchw\.card\.json and .*keras\.nchw\.onnx \(NHWC input: a Transpose from NCHW in front\)/);
    expect(readdirSync(keras).sort()).toEqual(['keras.nchw.card.json', 'keras.nchw.onnx', 'keras.onnx']);
    const before = readFileSync(join(keras, 'keras.nchw.card.json'), 'utf8');
    // Now the graph declares its class count dynamic, so only running it shows that 2 labels do not
    // fit its 3 outputs: the run fails after writing its trial files, and the old card is untouched.
    const dynamic = kerasLikeGraph({ nhwcInput: true, size: 32 });
    dynamic.graph!.output = [valueInfo('predictions', ['N', 'classes'])];
    writeFileSync(model, encodeModel(dynamic));
    const bad = runCliSync('card', model, '--head', 'element=a,b', '--scaling', 'unit', '--force');
    expect(bad.code).toBe(5);
    expect(bad.stderr.trim()).toBe(
      "rovlens: model card field 'heads.element.labels': 2 labels for output 'predictions' of size 3; the card must match the model",
    );
    expect(readFileSync(join(keras, 'keras.nchw.card.json'), 'utf8')).toBe(before);
    expect(readdirSync(keras).sort()).toEqual(['keras.nchw.card.json', 'keras.nchw.onnx', 'keras.onnx']);
  });

  it('refuses bad calls with one line and the documented exit code', () => {
    const model = foreignTiny('bad');
    const noLabels = runCliSync('card', model, '--head', 'element=fauna', '--scaling', 'unit', '--input-size', '64');
    expect(noLabels.code).toBe(2);
    expect(noLabels.stderr.trim()).toBe('rovlens: --head element needs at least two labels, comma-separated');
    const missing = runCliSync('card', join(dir, 'nope.onnx'), '--head', 'element=a,b', '--scaling', 'unit');
    expect(missing.code).toBe(3);
    const notOnnx = join(dir, 'junk.onnx');
    writeFileSync(notOnnx, 'not a model');
    const junk = runCliSync('card', notOnnx, '--head', 'element=a,b', '--scaling', 'unit');
    expect(junk.code).toBe(5);
    expect(junk.stderr.trim().split('\n')).toHaveLength(1);
  });
});
