/**
 * `rovlens review <inputs...|timeline.jsonl>`: a local page to confirm or correct what the model says,
 * one near-duplicate group at a time, saved to a labels manifest that `rovlens train` reads.
 * Thin: parse and validate flags (src/config/review.ts), call runReview, report.
 */
import type { Command } from 'commander';
import { parseFlags } from '../config/flags.js';
import { reviewOptionsSchema, type ReviewOptions } from '../config/review.js';
import { runAction } from './action.js';
import { addSchemaOptions, givenFlags, type FlagTable } from './options.js';

/** Each option's flag; its help, default, choices and check come from reviewOptionsSchema. */
const FLAGS: FlagTable<typeof reviewOptionsSchema> = {
  labels: '--labels <file.csv>',
  list: '--list',
  json: '--json',
  reviewer: '--reviewer <name>',
  model: '--model <path>',
  device: '--device <device>',
  every: '--every <seconds>',
  crop: '--crop <WxH>',
  batch: '--batch <n>',
  hashBits: '--hash-bits <bits>',
  minCosine: '--min-cosine <c>',
  host: '--host <address>',
  port: '--port <n>',
  token: '--token <secret>',
  allowOrigin: '--allow-origin <url...>',
  displayWidth: '--display-width <pixels>',
  jpegQuality: '--jpeg-quality <q>',
  quiet: '-q, --quiet',
};

export function register(program: Command): void {
  const command = program
    .command('review')
    .description('review page: confirm or correct floor and element per near-duplicate group, saved as a labels manifest for training')
    .argument('<inputs...>', 'video files, image files or folders; or a timeline .jsonl; with --list also a labels manifest .csv');
  addSchemaOptions(command, reviewOptionsSchema, FLAGS)
    .addHelpText(
      'after',
      `
Examples:
  rovlens review dive.mp4 --labels dive-labels.csv        # open the printed address; Ctrl-C when done
  rovlens review dive.jsonl --labels dive-labels.csv       # from rovlens timeline --format jsonl (no model run)
  rovlens review stills/ --reviewer ana                    # an image folder
  rovlens review dive.mp4 --list --json > queue.json       # the queue in page order, no server
  rovlens review dive.mp4 --hash-bits 24 --min-cosine 0.8  # looser groups: fewer decisions, each labelling more
  rovlens review dive-labels.csv --list                    # the queue of a manifest's recordings, reviewed ones marked
  rovlens train --data dive-labels.csv ...                 # then train on what was reviewed

Keys on the page: Enter saves what is selected (the model's answer until changed) for the whole group;
up/down pick floor or element, 1-9 pick a label, 0 unsure; left/right move; S unsure/skip; U undo;
H heatmap; drag a box on the picture, X clears it.
Exit codes: 0 ok, 2 usage, 3 input missing, 4 input invalid (also a labels file from another
recording, a label not in the model card), 5 model, 6 output (labels file locked by another
review or not writable, port in use), 7 decoding stopped part-way, 130 stopped by Ctrl-C (all saved).`,
    )
    .action(
      runAction(async (inputs: string[], _flags: unknown, self: Command) => {
        const options = reviewOptionsFromFlags(givenFlags(self));
        const { runReview } = await import('../runners/review.js');
        return runReview(inputs, options);
      }),
    );
}

/** Flags as commander gives them -> the review's options; the token may come from the environment. */
export function reviewOptionsFromFlags(raw: Record<string, unknown>): ReviewOptions {
  const token = (raw.token as string | undefined) ?? (process.env.ROVLENS_REVIEW_TOKEN || undefined);
  return parseFlags(reviewOptionsSchema, { ...raw, ...(token ? { token } : {}) });
}
