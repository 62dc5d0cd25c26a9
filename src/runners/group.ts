/**
 * One `rovlens group` run: the model (optional), every input through pipelines/group.ts, then the
 * groups CSV, frames CSV and contact sheets, and a summary line.
 */
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import type { GroupCommandOptions } from '../config/grouping.js';
import { cropSchema } from '../config/timeline.js';
import { ExitCode, OutputError, UsageError } from '../errors.js';
import { DEFAULT_MODEL } from '../paths.js';
import { ModelSession } from '../model/session.js';
import { bundledModelIfPresent } from '../model/bundled.js';
import { writeFramesCsv, writeGroupSheets, writeGroupsCsv } from '../sinks/groups-csv.js';
import { defaultGroupPipelineOptions, groupInputs } from '../../pipelines/group.js';
import { checkOutputPlan, modelInputs } from './output-plan.js';

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
  const bundled = bundledModelIfPresent();
  if (bundled) return ModelSession.open(bundled);
  if (!options.quiet)
    process.stderr.write('rovlens: the bundled model is missing; grouping by perceptual hash only (pass --model for embeddings)\n');
  return undefined;
}
