/**
 * Per-image input normalisation inside the graph: each picture's channels are standardised (their
 * own mean and spread over the picture) and mapped to reference statistics, before the backbone.
 * Exposure and contrast then no longer reach the network (a gain or a contrast change about any
 * level cancels, up to clipping), and a colour cast is evened out per channel (grey-world), as the
 * light in the water changes with depth, turbidity and lamps. The model contract is unchanged:
 * the same input, scaled as the card says; the edit sits between the input and its consumers.
 */
import { floatTensor, node, type ModelProto } from './onnx-graph.js';

export interface ReferenceStatistics {
  /** Per-channel mean and standard deviation, in the graph's input units (after the card's scaling). */
  mean: readonly [number, number, number];
  std: readonly [number, number, number];
}

const PREFIX = 'input_normalisation';

/**
 * Inserts ReduceMean/Sub/Mul/Sqrt/Div nodes after `input` and rewires every consumer of `input` to
 * the normalised tensor: out = (x - mean_hw(x)) / sqrt(var_hw(x) + eps) * std_ref + mean_ref, per
 * image and channel. Mutates `model`; refuses a graph that has the edit already.
 */
export function addInputNormalisation(model: ModelProto, input: string, reference: ReferenceStatistics, epsilon = 1e-4): void {
  const graph = model.graph!;
  if ((graph.node ?? []).some((n) => n.output?.some((o) => o.startsWith(PREFIX)))) {
    throw new Error('the model already normalises its input');
  }
  const out = `${PREFIX}_output`;
  for (const n of graph.node ?? []) n.input = (n.input ?? []).map((name) => (name === input ? out : name));
  const t = (name: string) => `${PREFIX}_${name}`;
  const nodes = [
    node('ReduceMean', [input], [t('mean')], { axes: [2, 3], keepdims: 1 }),
    node('Sub', [input, t('mean')], [t('centred')]),
    node('Mul', [t('centred'), t('centred')], [t('squared')]),
    node('ReduceMean', [t('squared')], [t('variance')], { axes: [2, 3], keepdims: 1 }),
    node('Add', [t('variance'), t('epsilon')], [t('variance_eps')]),
    node('Sqrt', [t('variance_eps')], [t('spread')]),
    node('Div', [t('centred'), t('spread')], [t('standardised')]),
    node('Mul', [t('standardised'), t('reference_std')], [t('scaled')]),
    node('Add', [t('scaled'), t('reference_mean')], [out]),
  ];
  graph.node = [...nodes, ...(graph.node ?? [])];
  graph.initializer = [
    ...(graph.initializer ?? []),
    floatTensor(t('epsilon'), [], [epsilon]),
    floatTensor(t('reference_std'), [1, 3, 1, 1], [...reference.std]),
    floatTensor(t('reference_mean'), [1, 3, 1, 1], [...reference.mean]),
  ];
}

/**
 * Reference statistics from pictures already in input units (NCHW float, `count` pictures): the
 * average over pictures of each channel's mean and of its standard deviation.
 */
export function referenceStatistics(pictures: Float32Array, count: number, height: number, width: number): ReferenceStatistics {
  const plane = height * width;
  const mean = [0, 0, 0];
  const std = [0, 0, 0];
  for (let n = 0; n < count; n++) {
    for (let c = 0; c < 3; c++) {
      const base = (n * 3 + c) * plane;
      let sum = 0;
      for (let i = 0; i < plane; i++) sum += pictures[base + i]!;
      const m = sum / plane;
      let squares = 0;
      for (let i = 0; i < plane; i++) squares += (pictures[base + i]! - m) ** 2;
      mean[c]! += m / count;
      std[c]! += Math.sqrt(squares / plane) / count;
    }
  }
  return { mean: mean as [number, number, number], std: std as [number, number, number] };
}
