/**
 * Rebuilds the pretrained backbones shipped inside the nsfwjs 4.3.0 npm package (MIT, Infinite Red)
 * as ONNX graphs with rovlens' output contract, then checks each one against TF.js itself.
 *
 *   npm run model:convert                      # both backbones into models/build/
 *   npm run model:convert -- --backbone mobilenet_v2 --check-inputs 5
 *
 * For each backbone: load the TF.js layers model in plain Node (weights are uint8-quantized in the
 * package; TF.js dequantizes them on load), describe its Keras graph, convert the layers up to the
 * backbone's last feature map (src/model-building/keras-to-onnx.ts), add `embedding` and zero-weight heads,
 * write `<id>-backbone.onnx` + `<id>-backbone.card.json`, then run a few deterministic images
 * through TF.js (GAP of the feature layer) and ONNX Runtime (`embedding`) and fail if they differ.
 */
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { parseArgs } from 'node:util';
import * as tf from '@tensorflow/tfjs';
import * as nsfwjs from 'nsfwjs';
import { ZodError } from 'zod';
import {
  BACKBONES,
  backboneOptionsSchema,
  type BackboneId,
  type BackboneOptions,
} from '../../src/config/backbone.js';
import { ELEMENT_LABELS, FLOOR_LABELS } from '../../src/model-building/default-labels.js';
import { ExitCode, RovlensError, UsageError } from '../../src/errors.js';
import { parseModelCard, type ModelCard } from '../../src/model/card.js';
import { buildBackboneModel, describeLayersModel, type KerasGraph } from '../../src/model-building/keras-to-onnx.js';
import { writeModel } from '../../src/model-building/onnx-graph.js';
import { ModelSession } from '../../src/model/session.js';

export interface LoadedKerasModel {
  model: tf.LayersModel;
  graph: KerasGraph;
  /** The fixed input side the TF.js model was built with (224 for MobileNetV2, 299 for InceptionV3). */
  inputSizePx: number;
  nsfwjsVersion: string;
  loadMilliseconds: number;
}

export function nsfwjsVersion(): string {
  // The package's export map hides package.json, so read it beside the resolved entry point.
  const entry = fileURLToPath(import.meta.resolve('nsfwjs'));
  const pkg = JSON.parse(readFileSync(resolve(dirname(entry), '../../package.json'), 'utf8')) as { version: string };
  return pkg.version;
}

/** Loads one of nsfwjs's layers models without its console banners. */
export async function loadNsfwjsModel(id: BackboneId): Promise<LoadedKerasModel> {
  const started = performance.now();
  const info = console.info;
  const warn = console.warn;
  // nsfwjs and TF.js print advertising banners on load (hosting advice, the tfjs-node hint).
  console.info = () => {};
  console.warn = (...args: unknown[]) => {
    if (!/tfjs-node|nsfwjs/i.test(String(args[0]))) warn(...args);
  };
  let loaded: Awaited<ReturnType<typeof nsfwjs.load>>;
  try {
    loaded = await nsfwjs.load(BACKBONES[id].nsfwjsName);
  } finally {
    console.info = info;
    console.warn = warn;
  }
  const model = loaded.model;
  if (!(model instanceof tf.LayersModel))
    throw new RovlensError(`nsfwjs ${BACKBONES[id].nsfwjsName} is not a layers model`, ExitCode.model);
  const inputSizePx = model.inputs[0]!.shape[1]!;
  return {
    model,
    graph: describeLayersModel(model),
    inputSizePx,
    nsfwjsVersion: nsfwjsVersion(),
    loadMilliseconds: performance.now() - started,
  };
}

/**
 * Deterministic RGB images in [0, 1] (the scaling nsfwjs applies: pixel / 255), NHWC:
 * a smooth colour ramp, then seeded noise blended with a coarse checkerboard (edges and texture).
 */
export function checkImages(count: number, sizePx: number): Float32Array {
  const plane = sizePx * sizePx * 3;
  const out = new Float32Array(count * plane);
  let state = 12345;
  const next = () => {
    state = (Math.imul(state, 1664525) + 1013904223) >>> 0;
    return state / 2 ** 32;
  };
  for (let n = 0; n < count; n++) {
    for (let y = 0; y < sizePx; y++) {
      for (let x = 0; x < sizePx; x++) {
        const i = n * plane + (y * sizePx + x) * 3;
        if (n === 0) {
          out[i] = x / (sizePx - 1);
          out[i + 1] = y / (sizePx - 1);
          out[i + 2] = 0.5 + 0.5 * Math.sin((x + y) / 9);
        } else {
          const cell = (Math.floor(x / (4 * n)) + Math.floor(y / (4 * n))) % 2;
          for (let c = 0; c < 3; c++) out[i + c] = 0.5 * cell + 0.5 * next();
        }
      }
    }
  }
  return out;
}

export function nhwcToNchw(nhwc: Float32Array, n: number, h: number, w: number, c: number): Float32Array {
  const out = new Float32Array(nhwc.length);
  for (let b = 0; b < n; b++)
    for (let y = 0; y < h; y++)
      for (let x = 0; x < w; x++) for (let k = 0; k < c; k++) out[((b * c + k) * h + y) * w + x] = nhwc[((b * h + y) * w + x) * c + k]!;
  return out;
}

/** TF.js reference: the named layer's output, global-average-pooled, [n, channels]. */
export function tfjsPooledFeatures(model: tf.LayersModel, layer: string, nhwc: Float32Array, n: number, sizePx: number): Float32Array {
  const sub = tf.model({ inputs: model.inputs, outputs: model.getLayer(layer).output as tf.SymbolicTensor });
  return tf.tidy(() => {
    const x = tf.tensor4d(nhwc, [n, sizePx, sizePx, 3]);
    const y = sub.predict(x) as tf.Tensor4D;
    return y.mean([1, 2]).dataSync() as Float32Array;
  });
}

export interface MatchReport {
  images: number;
  sizePx: number;
  maxAbsDiff: number;
  maxAbsReference: number;
  /** maxAbsDiff / maxAbsReference. */
  relativeDiff: number;
  tfjsMilliseconds: number;
  onnxMilliseconds: number;
}

export function compareArrays(reference: Float32Array, candidate: Float32Array): { maxAbsDiff: number; maxAbsReference: number } {
  if (reference.length !== candidate.length)
    throw new RovlensError(`lengths differ: ${reference.length} vs ${candidate.length}`, ExitCode.model);
  let maxAbsDiff = 0;
  let maxAbsReference = 0;
  for (let i = 0; i < reference.length; i++) {
    maxAbsDiff = Math.max(maxAbsDiff, Math.abs(reference[i]! - candidate[i]!));
    maxAbsReference = Math.max(maxAbsReference, Math.abs(reference[i]!));
  }
  return { maxAbsDiff, maxAbsReference };
}

/** Runs `count` deterministic images through TF.js and the written ONNX graph and compares embeddings. */
export async function checkAgainstTfjs(
  loaded: LoadedKerasModel,
  featuresLayer: string,
  cardPath: string,
  count: number,
): Promise<MatchReport> {
  const size = loaded.inputSizePx;
  const nhwc = checkImages(count, size);
  let t = performance.now();
  const reference = tfjsPooledFeatures(loaded.model, featuresLayer, nhwc, count, size);
  const tfjsMilliseconds = performance.now() - t;
  const session = await ModelSession.open(cardPath);
  try {
    t = performance.now();
    const out = await session.run(nhwcToNchw(nhwc, count, size, size, 3), [count, 3, size, size], ['embedding']);
    const onnxMilliseconds = performance.now() - t;
    const { maxAbsDiff, maxAbsReference } = compareArrays(reference, out.embedding!.data);
    return {
      images: count,
      sizePx: size,
      maxAbsDiff,
      maxAbsReference,
      relativeDiff: maxAbsDiff / maxAbsReference,
      tfjsMilliseconds,
      onnxMilliseconds,
    };
  } finally {
    await session.close();
  }
}

export function backboneCard(
  id: BackboneId,
  options: BackboneOptions,
  featureCount: number,
  version: string,
  match?: MatchReport,
): ModelCard {
  const spec = BACKBONES[id];
  return parseModelCard({
    schemaVersion: 1,
    name: `${id}-backbone`,
    file: `${id}-backbone.onnx`,
    input: {
      name: 'image',
      layout: 'NCHW',
      width: options.inputSizePx,
      height: options.inputSizePx,
      channelOrder: 'RGB',
      // nsfwjs feeds pixel / 255, so the features expect [0, 1].
      scaling: { scale: 1 / 255, offset: 0 },
    },
    crop: { widthFraction: options.cropWidthFraction, heightFraction: options.cropHeightFraction },
    heads: {
      floor: { logits: 'floor_logits', labels: [...FLOOR_LABELS], cam: 'floor_cam' },
      element: { logits: 'element_logits', labels: [...ELEMENT_LABELS], cam: 'element_cam' },
    },
    embedding: { output: 'embedding', length: featureCount },
    provenance: {
      backbone: `${spec.nsfwjsName} from the nsfwjs ${version} npm package, layers up to '${spec.featuresLayer}' (${featureCount} channels)`,
      backboneLicence: 'MIT',
      backboneAuthor: 'Infinite Red, Inc. (nsfwjs)',
      backboneTraining:
        'ImageNet-initialised, then tuned by nsfwjs on its own 5 classes (drawing, hentai, neutral, porn, sexy); its classifier is dropped',
      conversion:
        'models/scripts/convert-nsfwjs.ts: Keras layers -> ONNX (BatchNormalization folded into convolutions, ReLU6 as Clip, Keras same padding reproduced)',
      heads: 'zero weights: untrained (write real ones with replaceHead / rovlens train)',
      ...(match
        ? {
            checkAgainstTfjs: {
              data: `${match.images} deterministic synthetic ${match.sizePx}x${match.sizePx} images (colour ramp, noise over checkerboards)`,
              embeddingMaxAbsDiff: match.maxAbsDiff,
              embeddingMaxAbsReference: match.maxAbsReference,
              relativeDiff: match.relativeDiff,
            },
          }
        : {}),
    },
  });
}

export interface ConvertedBackbone {
  modelPath: string;
  cardPath: string;
  featureCount: number;
  layerCounts: Record<string, number>;
  match?: MatchReport;
}

/** Converts one backbone, writes model and card, and (when `checkInputs` > 0) checks it against TF.js. */
export async function convertBackbone(id: BackboneId, options: BackboneOptions, loaded?: LoadedKerasModel): Promise<ConvertedBackbone> {
  const spec = BACKBONES[id];
  const keras = loaded ?? (await loadNsfwjsModel(id));
  const built = buildBackboneModel(keras.graph, {
    featuresLayer: spec.featuresLayer,
    heads: { floor: FLOOR_LABELS.length, element: ELEMENT_LABELS.length },
    name: `${id}-backbone`,
    docString: `${spec.nsfwjsName} from nsfwjs ${keras.nsfwjsVersion} (MIT, Infinite Red), converted by rovlens`,
  });
  mkdirSync(options.outDir, { recursive: true });
  const modelPath = join(options.outDir, `${id}-backbone.onnx`);
  const cardPath = join(options.outDir, `${id}-backbone.card.json`);
  writeModel(modelPath, built.model);
  const writeCard = (match?: MatchReport) =>
    writeFileSync(cardPath, `${JSON.stringify(backboneCard(id, options, built.featureCount, keras.nsfwjsVersion, match), null, 2)}\n`);
  writeCard();
  let match: MatchReport | undefined;
  if (options.checkInputs > 0) {
    match = await checkAgainstTfjs(keras, spec.featuresLayer, cardPath, options.checkInputs);
    writeCard(match);
  }
  return { modelPath, cardPath, featureCount: built.featureCount, layerCounts: built.layerCounts, ...(match ? { match } : {}) };
}

export function parseConvertArgs(argv: readonly string[]): BackboneOptions {
  let values: Record<string, string | string[] | undefined>;
  try {
    ({ values } = parseArgs({
      args: [...argv],
      options: {
        backbone: { type: 'string', multiple: true },
        out: { type: 'string' },
        'input-size': { type: 'string' },
        'check-inputs': { type: 'string' },
      },
      strict: true,
    }));
  } catch (error) {
    throw new UsageError(
      `${(error as Error).message} (options: --backbone <${Object.keys(BACKBONES).join('|')}>, --out <dir>, --input-size <px>, --check-inputs <n>)`,
    );
  }
  const num = (v: string | string[] | undefined) => (v === undefined ? undefined : Number(v));
  try {
    return backboneOptionsSchema.parse({
      ...(values.backbone ? { backbones: values.backbone } : {}),
      ...(values.out ? { outDir: values.out } : {}),
      ...(values['input-size'] !== undefined ? { inputSizePx: num(values['input-size']) } : {}),
      ...(values['check-inputs'] !== undefined ? { checkInputs: num(values['check-inputs']) } : {}),
    });
  } catch (error) {
    if (error instanceof ZodError) {
      const issue = error.issues[0]!;
      throw new UsageError(`option ${issue.path.join('.') || '(root)'}: ${issue.message}`);
    }
    throw error;
  }
}

async function main(): Promise<void> {
  const options = parseConvertArgs(process.argv.slice(2));
  let failed = false;
  for (const id of options.backbones) {
    const result = await convertBackbone(id, options);
    const layers = Object.entries(result.layerCounts)
      .map(([k, v]) => `${k} ${v}`)
      .join(', ');
    process.stdout.write(`${id}: wrote ${result.modelPath} (+ card), embedding ${result.featureCount}; layers: ${layers}\n`);
    const m = result.match;
    if (m) {
      const ok = m.relativeDiff <= options.checkTolerance;
      failed ||= !ok;
      process.stdout.write(
        `${id}: ONNX Runtime vs TF.js embedding on ${m.images} images ${m.sizePx}x${m.sizePx}: max |diff| ${m.maxAbsDiff.toExponential(2)}, ` +
          `max |TF.js| ${m.maxAbsReference.toFixed(3)}, relative ${m.relativeDiff.toExponential(2)} (limit ${options.checkTolerance}) ` +
          `${ok ? 'OK' : 'FAIL'}; TF.js ${m.tfjsMilliseconds.toFixed(0)} ms, ONNX Runtime ${m.onnxMilliseconds.toFixed(0)} ms\n`,
      );
    }
  }
  if (failed) process.exitCode = ExitCode.model;
}

if (process.argv[1] && import.meta.url === pathToFileURL(resolve(process.argv[1])).href) {
  main().catch((error: unknown) => {
    if (error instanceof RovlensError) {
      process.stderr.write(`convert-nsfwjs: ${error.message}\n`);
      process.exitCode = error.exitCode;
    } else {
      throw error;
    }
  });
}
