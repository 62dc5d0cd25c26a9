/**
 * What tf2onnx makes of a small Keras classifier: a 4x4/stride-4 convolution with 4 channels, ReLU,
 * NHWC features (a Transpose after the NCHW conv), ReduceMean over axes 1,2, MatMul with a [K, C]
 * weight, Add bias, Softmax as the output 'predictions' (3 classes). With `nhwcInput` the graph also
 * takes its input as Keras does, [N, size, size, 3], transposed to NCHW first.
 */
import { buildModel, floatTensor, node, type ModelProto } from '../../src/model-building/onnx-graph.js';

export const KERAS_LIKE = {
  channels: 4,
  classes: 3,
  /** [K, C] dense weight, as written. */
  dense: Float32Array.from({ length: 4 * 3 }, (_, i) => Math.cos(i * 1.3)),
  bias: [0.1, -0.2, 0.3],
};

export function kerasLikeGraph(options: { nhwcInput?: boolean; size?: number } = {}): ModelProto {
  const { channels: K, classes: C } = KERAS_LIKE;
  const convIn = options.nhwcInput ? 'input_nchw' : 'input_1';
  return buildModel({
    name: 'keras-like',
    nodes: [
      ...(options.nhwcInput ? [node('Transpose', ['input_1'], ['input_nchw'], { perm: [0, 3, 1, 2] })] : []),
      node('Conv', [convIn, 'conv_w'], ['conv'], { kernel_shape: [4, 4], strides: [4, 4] }),
      node('Relu', ['conv'], ['relu']),
      node('Transpose', ['relu'], ['relu_nhwc'], { perm: [0, 2, 3, 1] }),
      node('ReduceMean', ['relu_nhwc'], ['gap'], { axes: [1, 2], keepdims: 0 }),
      node('MatMul', ['gap', 'dense_w'], ['dense_mm']),
      node('Add', ['dense_mm', 'dense_b'], ['dense_logits']),
      node('Softmax', ['dense_logits'], ['predictions'], { axis: 1 }),
    ],
    initializers: [
      floatTensor(
        'conv_w',
        [K, 3, 4, 4],
        Float32Array.from({ length: K * 3 * 4 * 4 }, (_, i) => Math.sin(i * 0.7) / 16),
      ),
      floatTensor('dense_w', [K, C], KERAS_LIKE.dense),
      floatTensor('dense_b', [C], KERAS_LIKE.bias),
    ],
    inputs: [{ name: 'input_1', dims: options.nhwcInput ? ['N', options.size ?? 32, options.size ?? 32, 3] : ['N', 3, 'H', 'W'] }],
    outputs: [{ name: 'predictions', dims: ['N', C] }],
  });
}
