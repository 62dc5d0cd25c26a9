/**
 * Writes trained heads into a copy of the base graph: the backbone is untouched, each head's
 * `<head>_head_w`, `<head>_head_b` and `<head>_cam_w` initializers are replaced (the CAM is a 1x1
 * convolution with the same weights, so Grad-CAM stays exact), and a card is written beside it.
 */
import { writeFileSync } from 'node:fs';
import { basename } from 'node:path';
import { ModelError, OutputError } from '../errors.js';
import type { ModelCard } from '../model/card.js';
import { findInitializer, readModel, replaceHead, writeModel } from '../model-building/onnx-graph.js';
import type { LinearHead } from './softmax-regression.js';

export interface TrainedHead {
  head: LinearHead;
  uncertainBelow: number;
}

/** `<name>.onnx` -> `<name>.card.json`. */
export function cardPathFor(modelPath: string): string {
  return modelPath.replace(/(\.onnx)?$/, '.card.json');
}

/** Checks that the base graph has head initializers of the right shape for every trained head. */
export function checkHeadShapes(modelPath: string, heads: Record<string, LinearHead>): void {
  const model = readModel(modelPath);
  for (const [name, head] of Object.entries(heads)) {
    for (const [suffix, dims] of [
      ['head_w', [head.classes, head.features]],
      ['head_b', [head.classes]],
      ['cam_w', [head.classes, head.features, 1, 1]],
    ] as const) {
      const tensorName = `${name}_${suffix}`;
      let found;
      try {
        found = findInitializer(model, tensorName);
      } catch {
        throw new ModelError(
          `${basename(modelPath)}: head '${name}' has no initializer '${tensorName}' (heads must be built as GlobalAveragePool + Gemm with a 1x1 Conv CAM)`,
        );
      }
      const have = (found.dims ?? []).map(Number);
      if (have.join(',') !== dims.join(',')) {
        throw new ModelError(
          `${basename(modelPath)}: initializer '${tensorName}' is [${have.join(',')}], the trained head needs [${dims.join(',')}] (card field 'heads.${name}.labels' or 'embedding.length' does not match the graph)`,
        );
      }
    }
  }
}

export function writeTrainedModel(
  baseModelPath: string,
  baseCard: ModelCard,
  heads: Record<string, TrainedHead>,
  outPath: string,
  card: Partial<ModelCard>,
): { modelPath: string; cardPath: string; card: ModelCard } {
  checkHeadShapes(baseModelPath, Object.fromEntries(Object.entries(heads).map(([n, h]) => [n, h.head])));
  const model = readModel(baseModelPath);
  for (const [name, { head }] of Object.entries(heads)) replaceHead(model, name, head);
  const out: ModelCard = {
    ...baseCard,
    ...card,
    file: basename(outPath),
    heads: Object.fromEntries(
      Object.entries(baseCard.heads).map(([name, spec]) => [
        name,
        heads[name] ? { ...spec, uncertainBelow: Number(heads[name]!.uncertainBelow.toFixed(3)) } : spec,
      ]),
    ),
  };
  const cardPath = cardPathFor(outPath);
  try {
    writeModel(outPath, model);
    writeFileSync(cardPath, `${JSON.stringify(out, null, 2)}\n`);
  } catch (error) {
    throw new OutputError(`cannot write ${outPath}: ${(error as Error).message.split('\n')[0]}`);
  }
  return { modelPath: outPath, cardPath, card: out };
}
