/**
 * `rovlens review <inputs...|timeline.jsonl>`: a local page to confirm or correct what the model says,
 * one near-duplicate group at a time, saved to a labels manifest that `rovlens train` reads.
 * Thin: parse and validate flags (src/config/review.ts), call runReview, report.
 */
import { Option, type Command } from 'commander';
import { parseFlags } from '../config/flags.js';
import { reviewOptionsSchema } from '../config/review.js';
import { runReview } from '../review/run.js';
import { runAction } from './action.js';

const describe = (key: keyof typeof reviewOptionsSchema.shape) => reviewOptionsSchema.shape[key].description ?? '';

export function register(program: Command): void {
  program
    .command('review')
    .description('review page: confirm or correct floor and element per near-duplicate group, saved as a labels manifest for training')
    .argument('<inputs...>', 'video files, image files or folders; or a timeline .jsonl; with --list also a labels manifest .csv')
    .option('--labels <file.csv>', describe('labels'), 'labels.csv')
    .option('--list', describe('list'))
    .option('--json', describe('json'))
    .option('--reviewer <name>', describe('reviewer'))
    .option('--model <path>', describe('model'))
    .addOption(new Option('--device <device>', describe('device')).choices(['cpu', 'cuda']).default('cpu'))
    .option('--every <seconds>', describe('every'), '1')
    .option('--crop <WxH>', describe('crop'))
    .option('--batch <n>', describe('batch'), '4')
    .option('--host <address>', describe('host'), '127.0.0.1')
    .option('--port <n>', describe('port'), '8621')
    .option('--token <secret>', describe('token'))
    .option('--allow-origin <url...>', describe('allowOrigin'), [])
    .option('--display-width <pixels>', describe('displayWidth'), '960')
    .option('--jpeg-quality <q>', describe('jpegQuality'), '85')
    .option('-q, --quiet', describe('quiet'))
    .addHelpText(
      'after',
      `
Examples:
  rovlens review dive.mp4 --labels dive-labels.csv        # open the printed address; Ctrl-C when done
  rovlens review dive.jsonl --labels dive-labels.csv       # from rovlens timeline --format jsonl (no model run)
  rovlens review stills/ --reviewer ana                    # an image folder
  rovlens review dive.mp4 --list --json > queue.json       # the queue in page order, no server
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
      runAction(async (inputs: string[], raw: Record<string, unknown>) => {
        const token = (raw.token as string | undefined) ?? (process.env.ROVLENS_REVIEW_TOKEN || undefined);
        const flags = Object.fromEntries(Object.entries({ ...raw, token }).filter(([, v]) => v !== undefined));
        return runReview(inputs, parseFlags(reviewOptionsSchema, flags));
      }),
    );
}
