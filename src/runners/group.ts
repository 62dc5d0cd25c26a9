/**
 * One `rovlens group` run: the model (optional), every input through pipelines/group.ts, then the
 * groups CSV, frames CSV and contact sheets, and a summary line.
 */
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import type { GroupCommandOptions } from '../config/grouping.js';
import { cropSchema } from '../config/timeline.js';
import { OutputError, UsageError } from '../errors.js';
import { ModelSession } from '../model/session.js';
import { bundledModelIfPresent } from '../model/bundled.js';
import { writeFramesCsv, writeGroupSheets, writeGroupsCsv } from '../sinks/groups-csv.js';
import { defaultGroupPipelineOptions, groupInputs } from '../../pipelines/group.js';

export async function runGroup(inputs: string[], options: GroupCommandOptions): Promise<number> {
  const crop = options.crop === undefined ? undefined : parseCrop(options.crop);
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
    const report = await groupInputs(inputs, { ...(model ? { model } : {}), options: pipelineOptions });
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
        `rovlens: ${report.frames.length} frames from ${inputs.length} input(s) -> ${report.groups.length} groups (${merged} revisits merged)${saved}; ` +
          `${model ? 'hash + embedding' : 'hash only'}; ${seconds.toFixed(1)} s; wrote ${join(options.output, 'groups.csv')}, frames.csv, ${sheets.length} contact sheet(s)\n`,
      );
    }
    return 0;
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
