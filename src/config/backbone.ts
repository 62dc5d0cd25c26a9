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
