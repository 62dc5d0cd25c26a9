/**
 * `rovlens group <inputs...>`: near-duplicate groups across recordings and image folders, with
 * revisits found across files: groups.csv, frames.csv and contact sheets of representatives.
 * Thin: parse and validate, open the model (optional), run pipelines/group.ts, write, report.
 */
import { existsSync, mkdirSync } from 'node:fs';
import { join } from 'node:path';
import type { Command } from 'commander';
import { groupCommandSchema, parseFlags, type GroupCommandOptions } from '../config/grouping.js';
import { cropSchema } from '../config/timeline.js';
import { ExitCode, OutputError, UsageError } from '../errors.js';
import { ModelSession } from '../model/session.js';
import { DEFAULT_MODEL } from '../paths.js';
import { writeFramesCsv, writeGroupSheets, writeGroupsCsv } from '../sinks/groups-csv.js';
import { defaultGroupPipelineOptions, groupInputs } from '../../pipelines/group.js';
import { checkOutputPlan, modelInputs } from '../runners/output-plan.js';
import { runAction } from './action.js';

const describe = (key: keyof typeof groupCommandSchema.shape) => groupCommandSchema.shape[key].description ?? '';
const NUMERIC = ['hashBits', 'minCosine', 'memoryFrames', 'confirmFrames', 'revisitHashBits', 'revisitMinCosine'] as const;

export function register(program: Command): void {
  program
    .command('group')
    .description('near-duplicate groups across recordings and image folders (revisits too): groups CSV and contact sheets')
    .argument('<inputs...>', 'video files, image files or image folders')
    .option('-o, --output <folder>', describe('output'), 'groups')
    .option('--every <seconds>', describe('every'), '1')
    .option('--model <path>', describe('model'))
    .option('--no-embeddings', 'group by perceptual hash only (no model)')
    .option('--crop <WxH>', describe('crop'))
    .option('--size <pixels>', describe('size'), '128')
    .option('--hash <method>', describe('hash'), 'phash')
    .option('--hash-bits <bits>', describe('hashBits'))
    .option('--min-cosine <c>', describe('minCosine'))
    .option('--memory-frames <n>', describe('memoryFrames'))
    .option('--confirm-frames <n>', describe('confirmFrames'))
    .option('--no-revisits', 'keep a scene seen again later as a separate group')
    .option('--revisit-hash-bits <bits>', describe('revisitHashBits'))
    .option('--revisit-min-cosine <c>', describe('revisitMinCosine'))
    .option('--sheet-columns <n>', describe('sheetColumns'), '8')
    .option('--tile-width <pixels>', describe('tileWidth'), '192')
    .option('--max-tiles <n>', describe('maxTiles'), '96')
    .option('--batch <n>', describe('batch'), '8')
    .option('-q, --quiet', 'no summary line')
    .addHelpText(
      'after',
      `
Examples:
  rovlens group dive1.mp4 dive2.mp4 -o review/            one row per scene, revisits merged
  rovlens group dataset/images --no-embeddings -o dedupe/  deduplicate a dataset before training
  rovlens group dive.mp4 --every 0.5 --hash-bits 8        stricter groups, two frames a second

Outputs: groups.csv (group_id, members, first/last time, representative), frames.csv (each frame's
group), groups-NNN.jpg (representatives). A bad input is said and skipped; the others are grouped.
Exit codes: 0 ok, 2 usage, 3 input missing, 4 input not video/images, 5 model, 6 output,
7 decoding stopped part-way (for a skipped input: the worst one's code).`,
    )
    .action(runAction(async (inputs: string[], raw: Record<string, unknown>) => runGroup(inputs, parseGroupFlags(raw))));
}

export function parseGroupFlags(raw: Record<string, unknown>): GroupCommandOptions {
  const flags: Record<string, unknown> = { ...raw };
  for (const key of NUMERIC) {
    if (flags[key] === undefined) continue;
    const n = Number(flags[key]);
    flags[key] = Number.isFinite(n) && String(flags[key]).trim() !== '' ? n : flags[key];
  }
  return parseFlags(groupCommandSchema, flags);
}

export async function runGroup(inputs: string[], options: GroupCommandOptions): Promise<number> {
  const crop = options.crop === undefined ? undefined : parseCrop(options.crop);
  // Said before decoding: an output that is an input, or a folder that cannot take the files.
  checkOutputPlan(
    [...inputs.map((path) => ({ flag: 'input', path })), ...(options.embeddings ? modelInputs(options.model ?? DEFAULT_MODEL) : [])],
    [{ flag: '-o', path: options.output, kind: 'folder', files: ['groups.csv', 'frames.csv'].map((f) => join(options.output, f)) }],
  );
  const model = await openModel(options);
  try {
    const size = model ? { width: model.card.input.width, height: model.card.input.height } : { width: options.size, height: options.size };
    const pipelineOptions = defaultGroupPipelineOptions({
      ...options,
      crop: crop ?? model?.card.crop ?? defaultGroupPipelineOptions().crop,
      size,
      thumbnailWidth: options.tileWidth,
    });
    try {
      mkdirSync(options.output, { recursive: true });
    } catch (error) {
      throw new OutputError(`cannot create ${options.output}: ${(error as NodeJS.ErrnoException).code ?? (error as Error).message}`);
    }
    const started = performance.now();
    // A bad input is said in one line and skipped, as timeline does; the exit code is the worst one's.
    let skipped = 0;
    let exitCode: number = ExitCode.ok;
    const onSkip = (input: string, message: string, code: number) => {
      skipped++;
      exitCode = Math.max(exitCode, code);
      process.stderr.write(`rovlens: ${message.includes(input) ? message : `${input}: ${message}`} (skipped)\n`);
    };
    const report = await groupInputs(inputs, { ...(model ? { model } : {}), options: pipelineOptions, onSkip });
    writeGroupsCsv(join(options.output, 'groups.csv'), report.groups);
    writeFramesCsv(join(options.output, 'frames.csv'), report.frames);
    const sheets = await writeGroupSheets(options.output, report.groups, {
      columns: options.sheetColumns,
      tileWidth: options.tileWidth,
      maxTiles: options.maxTiles,
    });
    if (!options.quiet) {
      const seconds = (performance.now() - started) / 1000;
      const merged = report.groups.reduce((n, g) => n + g.segments - 1, 0);
      const saved = report.skip.frames
        ? `; model run on ${report.skip.inferred}, reused on ${report.skip.reused} (${Math.round((100 * report.skip.reused) / report.skip.frames)} % of inference saved)`
        : '';
      process.stderr.write(
        `rovlens: ${report.frames.length} frames from ${inputs.length} input(s)${skipped ? ` (${skipped} skipped)` : ''} -> ${report.groups.length} groups (${merged} revisits merged)${saved}; ` +
          `${model ? 'hash + embedding' : 'hash only'}; ${seconds.toFixed(1)} s; wrote ${join(options.output, 'groups.csv')}, frames.csv, ${sheets.length} contact sheet(s)\n`,
      );
    }
    return exitCode;
  } finally {
    await model?.close();
  }
}

function parseCrop(text: string) {
  const parsed = cropSchema.safeParse(text);
  if (!parsed.success) throw new UsageError(`--crop: ${parsed.error.issues[0]!.message}`);
  return parsed.data;
}

async function openModel(options: GroupCommandOptions): Promise<ModelSession | undefined> {
  if (!options.embeddings) return undefined;
  if (options.model) return ModelSession.open(options.model);
  if (existsSync(DEFAULT_MODEL)) return ModelSession.open(DEFAULT_MODEL);
  if (!options.quiet)
    process.stderr.write('rovlens: the bundled model is missing; grouping by perceptual hash only (pass --model for embeddings)\n');
  return undefined;
}
