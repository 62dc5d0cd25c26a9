/**
 * `rovlens card <model.onnx> --head <name>=<labels> --scaling <kind>`: writes the model card that lets
 * a classifier made elsewhere run through rovlens (timeline, annotate, live, evaluate), checks it by
 * running the model once, and says how each head's heatmap will be made. Thin: flags from the schema,
 * then the card runner (src/runners/card.ts).
 */
import type { Command } from 'commander';
import { cardOptionsSchema } from '../config/card.js';
import { parseFlags } from '../config/flags.js';
import { runAction } from './action.js';
import { addSchemaOptions, givenFlags, type FlagTable } from './options.js';

/** Each option's flag; its help, default, choices and check come from cardOptionsSchema. */
const FLAGS: FlagTable<typeof cardOptionsSchema> = {
  head: '--head <name=labels>',
  logits: '--logits <name=output>',
  embedding: '--embedding <output>',
  scaling: '--scaling <kind>',
  channelOrder: '--channel-order <order>',
  inputSize: '--input-size <px>',
  crop: '--crop <wxh>',
  force: '--force',
};

export function register(program: Command): void {
  const command = program
    .command('card')
    .description(
      "write the model card for an ONNX classifier made elsewhere, so rovlens can run it; without --head, show a model's card and whether its heatmap beats the centre",
    )
    .argument('<model>', 'the .onnx classifier (or, to show it, a model with its card, or the card)');
  addSchemaOptions(command, cardOptionsSchema, FLAGS)
    .addHelpText(
      'after',
      `
The card goes beside the model as <name>.card.json. A model whose input is NHWC (Keras through tf2onnx)
is written again as <name>.nchw.onnx with a Transpose in front, and its card beside that.

Examples:
  rovlens card models/rovlens-default.onnx     # show the card: heads, crop, and how far to trust the heatmap
  rovlens card resnet.onnx --head element=ripples,fauna,algae,waste,rocks --scaling imagenet
  rovlens card keras.onnx --head floor=sandy,muddy,reef --scaling symmetric --crop 0.67x1
  rovlens annotate dive.mp4 --model resnet.onnx -o annotated/

Exit codes: 0 ok, 2 usage, 3 model file missing, 5 model (the message names what), 6 output exists or cannot be written.`,
    )
    .action(
      runAction(async (model: string, _flags: unknown, self: Command) => {
        const options = parseFlags(cardOptionsSchema, givenFlags(self));
        const { runCard } = await import('../runners/card.js');
        return runCard(model, options);
      }),
    );
}
