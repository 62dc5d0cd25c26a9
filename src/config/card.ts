/**
 * Every option of `rovlens card`: one schema for the flags, their help and the values they take.
 */
import { z } from 'zod';
import { cropSchema } from './timeline.js';

/** Pixel scalings people export with (the values are in src/model-building/make-card.ts). */
export const SCALING_NAMES = ['unit', 'symmetric', 'imagenet', 'caffe'] as const;
export type ScalingName = (typeof SCALING_NAMES)[number];

export const cardOptionsSchema = z
  .object({
    head: z
      .array(z.string())
      .min(1)
      .optional()
      .describe("a head and its labels in output order, e.g. element=fauna,algae,waste (repeatable); without it, the model's card is shown"),
    logits: z.array(z.string()).default([]).describe('which graph output is that head, when the class count does not say (repeatable)'),
    embedding: z
      .string()
      .optional()
      .describe('the output with pooled features, for group and clusters (default: the one 2-D output no head takes)'),
    scaling: z
      .enum(SCALING_NAMES)
      .optional()
      .describe('how pixels were scaled in training: unit (0..1), symmetric (-1..1), imagenet (mean/std), caffe (BGR, means subtracted)'),
    channelOrder: z.enum(['RGB', 'BGR']).optional().describe('channel order the model expects (default RGB; BGR for caffe)'),
    inputSize: z.number().int().min(16).max(4096).optional().describe('input side, when the graph leaves it dynamic'),
    crop: cropSchema.optional().describe('relative centre crop written as the default, e.g. 0.67x1 (default: the whole picture)'),
    force: z.boolean().default(false).describe('replace a card (and adapted model) that exists'),
  })
  .strict()
  // Writing a card takes both; neither shows the model's card.
  .superRefine((o, ctx) => {
    if (o.scaling !== undefined && o.head === undefined) ctx.addIssue({ code: 'custom', path: ['head'], message: 'required' });
    if (o.head !== undefined && o.scaling === undefined)
      ctx.addIssue({ code: 'custom', path: ['scaling'], message: `required (one of ${SCALING_NAMES.join(', ')})` });
  });
export type CardOptions = z.infer<typeof cardOptionsSchema>;
