/** The timeline runner in-process: narrow stage options, a user's sink beside the runner's own. */
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { parse } from 'csv-parse/sync';
import { beforeAll, describe, expect, it } from 'vitest';
import { parseFlags } from '../../src/config/flags.js';
import { timelineOptionsSchema } from '../../src/config/timeline.js';
import { ExitCode } from '../../src/errors.js';
import { runTimeline, timelineStages } from '../../src/runners/timeline.js';
import { SAMPLES, tmpFile } from '../helpers/clips.js';
import { writeTinyModel } from '../helpers/tiny-model.js';

const SD = join(SAMPLES, 'seafloor-sd.mp4');
const options = (flags: Record<string, unknown>) => parseFlags(timelineOptionsSchema, { quiet: true, ...flags });

describe('the timeline runner', () => {
  let model: string;
  beforeAll(() => {
    model = writeTinyModel(tmpFile('runner-model')).modelPath;
  });

  it('hands each stage its own options, not the whole options object', () => {
    const stages = timelineStages(options({ every: '2', keyframes: true, batch: '3', camThreshold: '0.4', skipDuplicates: false }));
    expect(stages).toEqual({
      decode: { everySeconds: 2, keyframesOnly: true, startSeconds: undefined, endSeconds: undefined, hwaccel: 'none', truncation: 'error', pushdown: true },
      skipDuplicates: { enabled: false },
      infer: { batchSize: 3, uncertainBelow: undefined },
      gradCam: { threshold: 0.4, thresholdMethod: 'relative', fallback: 'auto', also: undefined },
    });
    expect(timelineStages(options({ allowTruncated: true })).decode.truncation).toBe('warn');
  });

  it('keeps its own sinks and adds the sink a --pipeline module exports', async () => {
    const seen = tmpFile('runner-sink-seen.txt');
    const module = tmpFile('runner-extra-sink.mjs');
    writeFileSync(
      module,
      [
        "import { writeFileSync } from 'node:fs';",
        "import { tap } from 'rxjs';",
        'export const timelineSink = ({ card, inputs }) => {',
        '  const lines = [];',
        '  return tap({',
        '    next: (r) => lines.push(`${inputs.length} ${Object.keys(card.heads).join("+")} ${Math.round(r.frame.ptsSeconds * 1000) / 1000} ${r.heads.floor.label}`),',
        `    complete: () => writeFileSync(${JSON.stringify(seen)}, lines.join('\\n')),`,
        '  });',
        '};',
      ].join('\n'),
    );
    const out = tmpFile('runner-sink.csv');
    expect(await runTimeline([SD], options({ model, output: out, pipeline: module, every: '2' }))).toBe(ExitCode.ok);
    const rows = parse(readFileSync(out, 'utf8'), { columns: true }) as Record<string, string>[];
    const extra = readFileSync(seen, 'utf8').split('\n');
    expect(rows.length).toBeGreaterThan(3);
    expect(extra).toEqual(rows.map((r) => `1 floor+element ${Number(r.pts_seconds)} ${r.floor}`));
  });

  it('starts ffmpeg before it creates the model session, so decoding runs while the model loads', async () => {
    const seen = tmpFile('runner-start-order.txt');
    const module = tmpFile('runner-start-order.mjs');
    writeFileSync(
      module,
      [
        "import { writeFileSync } from 'node:fs';",
        "import { timelinePipeline as builtIn } from '../../dist/pipelines/timeline.js';",
        'const loaded = (model) => { try { return model.outputNames.length > 0; } catch { return false; } };',
        'export const timelinePipeline = (ctx) => builtIn({',
        '  ...ctx,',
        `  onDecodeStart: () => (writeFileSync(${JSON.stringify(seen)}, loaded(ctx.model) ? 'loaded' : 'not loaded'), ctx.onDecodeStart?.()),`,
        '});',
      ].join('\n'),
    );
    const out = tmpFile('runner-start-order.csv');
    expect(await runTimeline([SD], options({ model, output: out, pipeline: module, every: '2' }))).toBe(ExitCode.ok);
    expect(readFileSync(seen, 'utf8')).toBe('not loaded');
    expect((parse(readFileSync(out, 'utf8'), { columns: true }) as unknown[]).length).toBeGreaterThan(3);
  });

  it('stops before opening any output when the model cannot load, as when it loaded first', async () => {
    const tiny = writeTinyModel(tmpFile('runner-model-mismatch'));
    writeFileSync(tiny.cardPath, JSON.stringify({ ...tiny.card, embedding: { output: 'pooled_features', length: 16 } }));
    const out = tmpFile('runner-model-mismatch.csv');
    await expect(runTimeline([SD], options({ model: tiny.modelPath, output: out }))).rejects.toThrow(
      /^model card field 'embedding.output': 'pooled_features' is not an output of the graph/,
    );
    expect(existsSync(out)).toBe(false);
  });

  it('refuses a --pipeline module that exports neither stages nor a sink', async () => {
    const module = tmpFile('runner-empty-pipeline.mjs');
    writeFileSync(module, 'export const nothing = 1;\n');
    await expect(runTimeline([SD], options({ model, pipeline: module }))).rejects.toThrow(/^--pipeline: .* exports no timelinePipeline function/);
  });
});
