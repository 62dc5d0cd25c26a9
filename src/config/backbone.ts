/**
 * Every default and range of the backbone rebuild (`npm run model:convert`), in one schema shared by
 * the converter's flags and the table in models/README.md.
 */
import { z } from 'zod';

/** The nsfwjs 4.3.0 layers models we rebuild, and the Keras layer that ends each backbone. */
export const BACKBONES = {
  mobilenet_v2: { nsfwjsName: 'MobileNetV2', featuresLayer: 'out_relu', featureCount: 1280 },
  inception_v3: { nsfwjsName: 'InceptionV3', featuresLayer: 'mixed10', featureCount: 2048 },
} as const;
export type BackboneId = keyof typeof BACKBONES;
export const BACKBONE_IDS = Object.keys(BACKBONES) as BackboneId[];

export const FLOOR_LABELS = ['sandy', 'muddy', 'muddy-sand', 'reef'] as const;
export const ELEMENT_LABELS = ['ripples', 'fauna', 'algae', 'waste', 'rocks'] as const;

export const backboneOptionsSchema = z
  .object({
    backbones: z
      .array(z.enum(BACKBONE_IDS as [BackboneId, ...BackboneId[]]))
      .min(1)
      .default([...BACKBONE_IDS])
      .describe('which backbones to rebuild'),
    outDir: z.string().min(1).default('models/build').describe('where the .onnx and .card.json files go'),
    inputSizePx: z
      .number()
      .int()
      .min(32)
      .max(2048)
      .default(512)
      .describe('input side written into the card (the graph itself accepts any size)'),
    cropWidthFraction: z.number().gt(0).max(1).default(0.67).describe("card's relative centre crop: share of the width kept"),
    cropHeightFraction: z.number().gt(0).max(1).default(1).describe("card's relative centre crop: share of the height kept"),
    checkInputs: z.number().int().min(0).max(16).default(3).describe('deterministic images compared against TF.js (0 skips the check)'),
    checkTolerance: z
      .number()
      .gt(0)
      .max(1)
      .default(1e-3)
      .describe('largest |ONNX - TF.js| embedding difference, relative to the largest |TF.js| value'),
  })
  .strict();
export type BackboneOptions = z.infer<typeof backboneOptionsSchema>;

/** Defaults and ranges of the inference benchmark (`npm run bench:inference`). */
export const inferenceBenchSchema = z
  .object({
    modelDir: z.string().min(1).default('models/build').describe('folder holding the converted backbones'),
    sizesPx: z.array(z.number().int().min(32).max(2048)).min(1).default([512, 224]).describe('square input sides to time'),
    batches: z.array(z.number().int().min(1).max(64)).min(1).default([1, 8]).describe('batch sizes to time'),
    minRuns: z.number().int().min(1).max(1000).default(3).describe('timed runs per configuration, at least'),
    budgetSeconds: z.number().gt(0).max(600).default(4).describe('keep timing a configuration until this much time has passed'),
    threads: z.number().int().min(0).max(256).default(0).describe('ONNX Runtime intra-op threads (0: all cores)'),
    targetMsPerFrame: z.number().gt(0).default(150).describe('MobileNetV2 at 512x512, batch 1: the latency to stay under'),
  })
  .strict();
export type InferenceBenchOptions = z.infer<typeof inferenceBenchSchema>;
