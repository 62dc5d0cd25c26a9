/**
 * The graph's CAM output is exact Grad-CAM. Grad-CAM the textbook way: run the same network (its
 * weights read from the ONNX file) in TensorFlow.js, take the gradient of the class logit with
 * respect to the feature maps by automatic differentiation, average it over space to get the channel
 * weights alpha_k, and form ReLU(sum_k alpha_k A_k). For pooling plus linear,
 * d logit_c / d A_k(i,j) = W[c,k] / (h*w), so that map is the graph's CAM divided by h*w.
 */
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as tf from '@tensorflow/tfjs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { classMap, reluNormalise } from '../../src/explain/cam.js';
import { findInitializer, readModel, tensorValues } from '../../src/model-building/onnx-graph.js';
import { predictBatch } from '../../src/model/predict.js';
import { ModelSession } from '../../src/model/session.js';
import type { Frame } from '../../src/types.js';
import { solidFrame, withPatch } from '../helpers/frames.js';
import { TINY_SIZE, writeTinyModel } from '../helpers/tiny-model.js';

/** |a - b| <= tolerance * max|b|, element-wise: relative to the map's scale. */
function expectRelativelyClose(a: ArrayLike<number>, b: ArrayLike<number>, tolerance: number) {
  expect(a.length).toBe(b.length);
  let scale = 0;
  for (let i = 0; i < b.length; i++) scale = Math.max(scale, Math.abs(b[i]!));
  expect(scale).toBeGreaterThan(0);
  for (let i = 0; i < a.length; i++) expect(Math.abs(a[i]! - b[i]!)).toBeLessThanOrEqual(tolerance * scale);
}

describe('graph CAM versus Grad-CAM by automatic differentiation', () => {
  const dir = mkdtempSync(join(tmpdir(), 'rovlens-exact-'));
  const tiny = writeTinyModel(dir);
  let model: ModelSession;
  beforeAll(async () => {
    await tf.setBackend('cpu');
    model = await ModelSession.open(tiny.modelPath);
  });
  afterAll(() => model.close());

  // A frame where several classes have evidence in different places.
  let frame: Frame = solidFrame(TINY_SIZE, TINY_SIZE, [60, 50, 40]);
  frame = withPatch(frame, { x: 8, y: 8, width: 24, height: 16 }, [230, 225, 220]);
  frame = withPatch(frame, { x: 40, y: 32, width: 16, height: 24 }, [200, 40, 50]);
  frame = withPatch(frame, { x: 0, y: 48, width: 24, height: 16 }, [30, 190, 40]);

  const onnx = readModel(tiny.modelPath);
  const weight = (name: string) => tensorValues(findInitializer(onnx, name));

  /** The tiny network in TF.js: features A [1, h, w, K] and logits of the element head as a function of A. */
  function network() {
    const convW = tf.tensor4d(weight('conv_w'), [16, 3, 8, 8]).transpose([2, 3, 1, 0]) as tf.Tensor4D; // OIHW -> HWIO
    const convB = tf.tensor1d(weight('conv_b'));
    const x = tf.tensor4d(
      Float32Array.from(frame.pixels, (v) => v / 255),
      [1, TINY_SIZE, TINY_SIZE, 3],
    );
    const features = tf.relu(tf.add(tf.conv2d(x, convW, 8, 'valid'), convB)) as tf.Tensor4D;
    const headW = tf.tensor2d(weight('element_head_w'), [5, 16]);
    const headB = tf.tensor1d(weight('element_head_b'));
    const logits = (a: tf.Tensor4D) => tf.add(tf.matMul(tf.mean(a, [1, 2]), headW, false, true), headB) as tf.Tensor2D;
    return { features, logits };
  }

  it('computes the same logits as ONNX Runtime (the two networks are the same)', async () => {
    const { features, logits } = network();
    const ours = (await logits(features).data()) as Float32Array;
    const { data, dims } = (await import('../../src/model/preprocess.js')).framesToTensor([frame], model.card);
    const theirs = (await model.run(data, dims, ['element_logits'])).element_logits!.data;
    expectRelativelyClose(ours, theirs, 1e-5);
  });

  it('matches the textbook Grad-CAM within 1e-4 relative, for every element class with evidence', async () => {
    const [result] = await predictBatch(model, [frame]);
    const cams = result!.cams!.element!;
    const { features, logits } = network();
    const [, h, w, k] = features.shape;
    let checked = 0;
    for (let c = 0; c < 5; c++) {
      const grads = tf.grad((a: tf.Tensor) =>
        logits(a as tf.Tensor4D)
          .slice([0, c], [1, 1])
          .sum(),
      )(features);
      const alpha = tf.mean(grads, [0, 1, 2]); // [K]: gradients averaged over the map
      const gradCam = tf.relu(tf.sum(tf.mul(features, alpha.reshape([1, 1, 1, k])), 3)); // [1, h, w]
      const textbook = (await gradCam.data()) as Float32Array;
      // The exact relation: the gradient is W[c,k]/(h*w) everywhere.
      const g = (await grads.data()) as Float32Array;
      const wc = weight('element_head_w').subarray(c * k, (c + 1) * k);
      for (let i = 0; i < g.length; i++) expect(g[i]).toBeCloseTo(wc[i % k]! / (h * w), 7);
      const graph = Float32Array.from(classMap(cams, c), (v) => Math.max(0, v) / (h * w));
      if (Math.max(...graph) === 0) continue; // no evidence for this class: both maps are zero
      expectRelativelyClose(textbook, graph, 1e-4);
      expectRelativelyClose(reluNormalise(textbook), reluNormalise(classMap(cams, c)), 1e-4);
      checked++;
    }
    expect(checked).toBe(3); // fauna, algae, rocks have hand-made weights; ripples and waste have none
  });
});
