import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as tf from '@tensorflow/tfjs';
import sharp from 'sharp';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { backboneOptionsSchema } from '../../src/config/backbone.js';
import { ELEMENT_LABELS, FLOOR_LABELS } from '../../src/model-building/default-labels.js';
import { ExitCode, ModelError, UsageError } from '../../src/errors.js';
import { loadModelCard } from '../../src/model/card.js';
import {
  buildBackboneModel,
  convKernelToOnnx,
  depthwiseKernelToOnnx,
  describeLayersModel,
  foldBatchNorm,
  padAttributes,
} from '../../src/model-building/keras-to-onnx.js';
import { writeModel } from '../../src/model-building/onnx-graph.js';
import { ModelSession } from '../../src/model/session.js';
import {
  compareArrays,
  convertBackbone,
  loadNsfwjsModel,
  nhwcToNchw,
  parseConvertArgs,
  tfjsPooledFeatures,
  type LoadedKerasModel,
} from '../../models/scripts/convert-nsfwjs.js';
import { describeWithData, sharedPath } from '../helpers/shared-data.js';

const dir = mkdtempSync(join(tmpdir(), 'rovlens-convert-'));

function seeded(seed: number): () => number {
  let s = seed >>> 0;
  return () => {
    s = (Math.imul(s, 1664525) + 1013904223) >>> 0;
    return s / 2 ** 32;
  };
}

/** Seeded weights for every layer; BatchNormalization gets non-trivial statistics (variance > 0). */
function setSeededWeights(model: tf.LayersModel, seed: number): void {
  const rand = seeded(seed);
  for (const layer of model.layers) {
    const fresh = layer.weights.map((v) => {
      // Weight shapes are always fully known (only batch dimensions are null).
      const shape = v.shape as number[];
      const size = shape.reduce((a, b) => a * b, 1);
      const isVariance = v.name.includes('moving_variance');
      const isGamma = v.name.includes('gamma');
      const values = Float32Array.from({ length: size }, () => (isVariance ? 0.2 + rand() : isGamma ? 0.5 + rand() : rand() - 0.5));
      return tf.tensor(values, shape);
    });
    if (fresh.length) layer.setWeights(fresh);
  }
}

let modelIndex = 0;

/** Converts a tiny Keras model, runs it in ONNX Runtime and returns TF.js's and ONNX's `features`, both NCHW. */
async function runBoth(
  model: tf.LayersModel,
  heightPx: number,
  widthPx: number,
): Promise<{ reference: Float32Array; onnx: Float32Array; dims: number[] }> {
  const last = model.layers[model.layers.length - 1]!.name;
  const built = buildBackboneModel(describeLayersModel(model), {
    featuresLayer: last,
    heads: { floor: 4, element: 5 },
    exposeFeatures: true,
  });
  const name = `tiny-${modelIndex++}`;
  writeModel(join(dir, `${name}.onnx`), built.model);
  writeFileSync(
    join(dir, `${name}.card.json`),
    JSON.stringify({
      schemaVersion: 1,
      name,
      file: `${name}.onnx`,
      input: {
        name: 'image',
        layout: 'NCHW',
        width: widthPx,
        height: heightPx,
        channelOrder: 'RGB',
        scaling: { scale: 1 / 255, offset: 0 },
      },
      crop: { widthFraction: 1, heightFraction: 1 },
      heads: {
        floor: { logits: 'floor_logits', labels: [...FLOOR_LABELS], cam: 'floor_cam' },
        element: { logits: 'element_logits', labels: [...ELEMENT_LABELS], cam: 'element_cam' },
      },
      embedding: { output: 'embedding', length: built.featureCount },
    }),
  );
  const rand = seeded(99);
  const nhwc = Float32Array.from({ length: 2 * heightPx * widthPx * 3 }, () => rand());
  const y = tf.tidy(() => model.predict(tf.tensor4d(nhwc, [2, heightPx, widthPx, 3])) as tf.Tensor4D);
  const [n, h, w, c] = y.shape;
  const reference = nhwcToNchw(y.dataSync() as Float32Array, n, h, w, c);
  y.dispose();
  const session = await ModelSession.open(join(dir, `${name}.card.json`));
  try {
    const out = await session.run(nhwcToNchw(nhwc, 2, heightPx, widthPx, 3), [2, 3, heightPx, widthPx], ['features']);
    return { reference, onnx: out.features!.data, dims: out.features!.dims };
  } finally {
    await session.close();
  }
}

function functional(heightPx: number, widthPx: number, build: (x: tf.SymbolicTensor) => tf.SymbolicTensor, seed = 1): tf.LayersModel {
  const input = tf.input({ shape: [heightPx, widthPx, 3] });
  const model = tf.model({ inputs: input, outputs: build(input) });
  setSeededWeights(model, seed);
  return model;
}

const apply = (layer: tf.layers.Layer, x: tf.SymbolicTensor | tf.SymbolicTensor[]) => layer.apply(x) as tf.SymbolicTensor;
const FLOAT_TOLERANCE = 1e-5;

describe('Keras layer mapping, each against TF.js in ONNX Runtime', () => {
  it.each([
    [9, 9],
    [8, 10],
  ])("reproduces 'same' convolutions at stride 2 (odd pixel padded at the bottom/right) on a %ix%i input", async (h, w) => {
    const model = functional(h, w, (x) => {
      const a = apply(tf.layers.conv2d({ filters: 4, kernelSize: 3, strides: 2, padding: 'same', useBias: true, activation: 'relu' }), x);
      return apply(tf.layers.conv2d({ filters: 5, kernelSize: [1, 3], strides: 1, padding: 'same', useBias: true }), a);
    });
    const { reference, onnx, dims } = await runBoth(model, h, w);
    expect(dims).toEqual([2, 5, Math.ceil(h / 2), Math.ceil(w / 2)]);
    expect(compareArrays(reference, onnx).maxAbsDiff).toBeLessThan(FLOAT_TOLERANCE);
  });

  it('folds ZeroPadding2D into a stride-2 depthwise convolution and BatchNormalization into the weights, then clips at 6', async () => {
    const model = functional(11, 11, (x) => {
      const padded = apply(
        tf.layers.zeroPadding2d({
          padding: [
            [0, 1],
            [0, 1],
          ],
        }),
        x,
      );
      const dw = apply(tf.layers.depthwiseConv2d({ kernelSize: 3, strides: 2, padding: 'valid', useBias: false }), padded);
      const bn = apply(tf.layers.batchNormalization({ epsilon: 1e-3 }), dw);
      return apply(tf.layers.reLU({ maxValue: 6 }), bn);
    });
    const converted = buildBackboneModel(describeLayersModel(model), { featuresLayer: model.layers.at(-1)!.name, heads: { floor: 4 } });
    expect(converted.model.graph!.node!.filter((n) => n.opType === 'Pad' || n.opType === 'BatchNormalization')).toHaveLength(0);
    const { reference, onnx, dims } = await runBoth(model, 11, 11);
    // (11 + 1 - 3) / 2 + 1 = 5 rows and columns.
    expect(dims).toEqual([2, 3, 5, 5]);
    expect(compareArrays(reference, onnx).maxAbsDiff).toBeLessThan(FLOAT_TOLERANCE);
  });

  it('orders depthwise output channels as TF does when the depth multiplier is 2', async () => {
    const model = functional(7, 7, (x) => {
      const dw = apply(tf.layers.depthwiseConv2d({ kernelSize: 3, depthMultiplier: 2, padding: 'same', useBias: true }), x);
      return apply(tf.layers.batchNormalization({ scale: false }), dw);
    });
    const { reference, onnx, dims } = await runBoth(model, 7, 7);
    expect(dims).toEqual([2, 6, 7, 7]);
    expect(compareArrays(reference, onnx).maxAbsDiff).toBeLessThan(FLOAT_TOLERANCE);
  });

  it('maps Inception blocks: pooling with same and valid padding, Concatenate, Activation and a standalone BatchNormalization', async () => {
    const model = functional(9, 9, (x) => {
      const stem = apply(tf.layers.conv2d({ filters: 4, kernelSize: 3, padding: 'valid', useBias: false }), x);
      const branchA = apply(tf.layers.conv2d({ filters: 3, kernelSize: [7, 1], padding: 'same', useBias: false }), stem);
      const branchB = apply(tf.layers.averagePooling2d({ poolSize: 3, strides: 1, padding: 'same' }), stem);
      const branchC = apply(tf.layers.maxPooling2d({ poolSize: 3, strides: 1, padding: 'same' }), stem);
      const mixed = apply(tf.layers.concatenate({ axis: -1 }), [branchA, branchB, branchC]);
      const added = apply(tf.layers.add(), [
        apply(tf.layers.activation({ activation: 'relu' }), mixed),
        apply(tf.layers.activation({ activation: 'sigmoid' }), mixed),
      ]);
      const normed = apply(tf.layers.batchNormalization({}), added);
      const pooledMax = apply(tf.layers.maxPooling2d({ poolSize: 3, strides: 2, padding: 'same' }), normed);
      return apply(tf.layers.averagePooling2d({ poolSize: 2, strides: 2, padding: 'valid' }), pooledMax);
    });
    const { reference, onnx, dims } = await runBoth(model, 9, 9);
    expect(dims).toEqual([2, 11, 2, 2]);
    expect(compareArrays(reference, onnx).maxAbsDiff).toBeLessThan(FLOAT_TOLERANCE);
  });

  it('keeps a ZeroPadding2D that no convolution can absorb as a Pad node', async () => {
    // Pads stay below the pool size: ONNX Runtime fuses Pad into the pool and rejects pads >= kernel.
    const model = functional(6, 6, (x) =>
      apply(
        tf.layers.maxPooling2d({ poolSize: 2, strides: 2 }),
        apply(
          tf.layers.zeroPadding2d({
            padding: [
              [1, 1],
              [0, 1],
            ],
          }),
          x,
        ),
      ),
    );
    const converted = buildBackboneModel(describeLayersModel(model), { featuresLayer: model.layers.at(-1)!.name, heads: { floor: 4 } });
    expect(converted.model.graph!.node!.some((n) => n.opType === 'Pad')).toBe(true);
    const { reference, onnx, dims } = await runBoth(model, 6, 6);
    expect(dims).toEqual([2, 3, 4, 3]);
    expect(compareArrays(reference, onnx).maxAbsDiff).toBeLessThan(FLOAT_TOLERANCE);
  });
});

describe('layout and folding maths', () => {
  it('moves a Keras kernel [kh,kw,cin,cout] to ONNX [cout,cin,kh,kw]', () => {
    const [kh, kw, cin, cout] = [2, 3, 2, 4];
    const keras = Float32Array.from({ length: kh * kw * cin * cout }, (_, i) => i);
    const onnx = convKernelToOnnx(keras, kh, kw, cin, cout);
    // Element (i=1, j=2, c=1, o=3) of the Keras kernel.
    expect(onnx[((3 * cin + 1) * kh + 1) * kw + 2]).toBe(((1 * kw + 2) * cin + 1) * cout + 3);
  });

  it('moves a depthwise kernel [kh,kw,cin,m] to ONNX [cin*m,1,kh,kw] with channel c*m+k', () => {
    const [kh, kw, cin, m] = [3, 3, 2, 2];
    const keras = Float32Array.from({ length: kh * kw * cin * m }, (_, i) => i);
    const onnx = depthwiseKernelToOnnx(keras, kh, kw, cin, m);
    expect(onnx[((1 * m + 1) * kh + 2) * kw + 0]).toBe(((2 * kw + 0) * cin + 1) * m + 1);
  });

  it('folds a per-channel scale and shift into weights and bias', () => {
    const weight = Float32Array.from([1, 2, 3, 4]);
    const bias = Float32Array.from([0.5, -1]);
    foldBatchNorm(weight, bias, Float32Array.from([2, -1]), Float32Array.from([1, 3]));
    expect([...weight]).toEqual([2, 4, -3, -4]);
    expect(bias[0]).toBeCloseTo(2, 6);
    expect(bias[1]).toBeCloseTo(4, 6);
  });

  it("pads 'same' explicitly at stride 1 and leaves larger strides to SAME_UPPER", () => {
    expect(padAttributes('same', [7, 1], [1, 1], [1, 1], undefined, { name: 'c' })).toEqual({ pads: [3, 0, 3, 0] });
    expect(padAttributes('same', [2, 2], [1, 1], [1, 1], undefined, { name: 'c' })).toEqual({ pads: [0, 0, 1, 1] });
    expect(padAttributes('same', [3, 3], [2, 2], [1, 1], undefined, { name: 'c' })).toEqual({ auto_pad: 'SAME_UPPER' });
    expect(padAttributes('valid', [3, 3], [2, 2], [1, 1], [0, 0, 1, 1], { name: 'c' })).toEqual({ pads: [0, 0, 1, 1] });
  });
});

describe('bad calls', () => {
  it('names the Keras class when a layer is not supported', () => {
    const model = functional(4, 4, (x) => apply(tf.layers.upSampling2d({ size: [2, 2] }), x));
    const convert = () => buildBackboneModel(describeLayersModel(model), { featuresLayer: model.layers.at(-1)!.name, heads: { floor: 4 } });
    expect(convert).toThrow(ModelError);
    expect(convert).toThrow(/UpSampling2D is not supported.*\(supported: InputLayer/);
  });

  it('lists the last layers when the features layer does not exist', () => {
    const model = functional(4, 4, (x) => apply(tf.layers.conv2d({ filters: 2, kernelSize: 1 }), x));
    expect(() => buildBackboneModel(describeLayersModel(model), { featuresLayer: 'out_relu', heads: { floor: 4 } })).toThrow(
      /no layer named 'out_relu' \(last layers: /,
    );
  });

  it('rejects an unknown backbone with a usage error that lists the choices', () => {
    const parse = () => parseConvertArgs(['--backbone', 'resnet50']);
    expect(parse).toThrow(UsageError);
    expect(parse).toThrow(/option backbones\.0: .*mobilenet_v2.*inception_v3/);
    try {
      parse();
    } catch (error) {
      expect((error as UsageError).exitCode).toBe(ExitCode.usage);
      expect((error as Error).message).not.toContain('\n');
    }
  });

  it('rejects an unknown flag and an out-of-range input size', () => {
    expect(() => parseConvertArgs(['--size', '512'])).toThrow(/Unknown option '--size'.*\(options: --backbone/);
    expect(() => parseConvertArgs(['--input-size', '8'])).toThrow(/option inputSizePx: /);
  });

  it('uses the documented defaults when no flags are given', () => {
    expect(parseConvertArgs([])).toEqual(backboneOptionsSchema.parse({}));
    expect(parseConvertArgs([]).backbones).toEqual(['mobilenet_v2', 'inception_v3']);
  });
});

describe('the nsfwjs MobileNetV2 backbone, converted in full', () => {
  let loaded: LoadedKerasModel;
  let cardPath: string | undefined;
  beforeAll(async () => {
    loaded = await loadNsfwjsModel('mobilenet_v2');
  });
  afterAll(() => loaded?.model.dispose());

  it("matches TF.js's pooled out_relu within 1e-4 relative and writes a card that loads", async () => {
    const options = backboneOptionsSchema.parse({ backbones: ['mobilenet_v2'], outDir: join(dir, 'build'), checkInputs: 2 });
    const result = await convertBackbone('mobilenet_v2', options, loaded);
    cardPath = result.cardPath;
    expect(result.featureCount).toBe(1280);
    expect(result.match!.sizePx).toBe(224);
    expect(result.match!.relativeDiff).toBeLessThan(1e-4);
    const { card } = loadModelCard(result.cardPath);
    expect(card.input).toMatchObject({ width: 512, height: 512, scaling: { scale: 1 / 255, offset: 0 } });
    expect(card.crop).toEqual({ widthFraction: 0.67, heightFraction: 1 });
    expect(card.provenance).toMatchObject({ backboneLicence: 'MIT', checkAgainstTfjs: { relativeDiff: result.match!.relativeDiff } });

    // Dynamic N/H/W: the graph runs at the card's 512x512, with untrained (zero) heads.
    const session = await ModelSession.open(result.cardPath);
    try {
      const out = await session.run(new Float32Array(3 * 512 * 512).fill(0.5), [1, 3, 512, 512]);
      expect(out.embedding!.dims).toEqual([1, 1280]);
      expect(out.floor_logits!.dims).toEqual([1, 4]);
      expect(out.element_logits!.dims).toEqual([1, 5]);
      expect(out.floor_cam!.dims).toEqual([1, 4, 16, 16]);
      expect(out.element_cam!.dims).toEqual([1, 5, 16, 16]);
      expect(Math.max(...out.floor_logits!.data.map(Math.abs))).toBe(0);
      expect(session.outputNames).not.toContain('features');
    } finally {
      await session.close();
    }
  });

  describeWithData('on real underwater frames', () => {
    it('matches TF.js on two ROV stills resized to 224x224 within 1e-4 relative', async () => {
      expect(cardPath, 'the conversion test above writes the model').toBeDefined();
      const size = 224;
      const files = ['noaa_critterdetector_Fish_0.png', 'noaa_critterdetector_Fish_2.png'].map((f) => sharedPath('stills', f));
      const nhwc = new Float32Array(files.length * size * size * 3);
      for (const [i, file] of files.entries()) {
        const rgb = await sharp(file).removeAlpha().resize(size, size, { fit: 'fill' }).raw().toBuffer();
        for (let j = 0; j < rgb.length; j++) nhwc[i * size * size * 3 + j] = rgb[j]! / 255;
      }
      const reference = tfjsPooledFeatures(loaded.model, 'out_relu', nhwc, files.length, size);
      const session = await ModelSession.open(cardPath!);
      try {
        const out = await session.run(nhwcToNchw(nhwc, files.length, size, size, 3), [files.length, 3, size, size], ['embedding']);
        const { maxAbsDiff, maxAbsReference } = compareArrays(reference, out.embedding!.data);
        expect(maxAbsReference).toBeGreaterThan(0.1);
        expect(maxAbsDiff / maxAbsReference).toBeLessThan(1e-4);
        console.info(`MobileNetV2 on 2 real stills: max |diff| ${maxAbsDiff.toExponential(2)}, max |TF.js| ${maxAbsReference.toFixed(3)}`);
      } finally {
        await session.close();
      }
    });
  });
});
