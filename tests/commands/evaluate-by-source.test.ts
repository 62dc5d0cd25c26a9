import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { runCli } from '../helpers/cli.js';
import { writeTinyModel } from '../helpers/tiny-model.js';
import { writeSources } from '../training/fixtures.js';

describe('rovlens evaluate --by-source (spawned, tiny model, generated sources)', () => {
  let model: string;
  let manifest: string;
  beforeAll(async () => {
    const dir = mkdtempSync(join(tmpdir(), 'rovlens-by-source-'));
    model = writeTinyModel(join(dir, 'model')).modelPath;
    manifest = await writeSources(join(dir, 'data'));
  }, 60_000);

  it('prints a fold per source with enough images, and the JSON report on request', async () => {
    const run = await runCli(['evaluate', model, '--data', manifest, '--task', 'floor', '--by-source', '--min-source-images', '10', '-q']);
    expect(run.code).toBe(0);
    expect(run.stdout).toMatch(/leave-one-source-out: .*sources with 10\+ labelled images/);
    expect(run.stdout).toMatch(/\| a \| 12 \| 34 \| /);
    const json = await runCli([
      'evaluate',
      model,
      '--data',
      manifest,
      '--task',
      'floor',
      '--by-source',
      '--min-source-images',
      '10',
      '--json',
    ]);
    const report = JSON.parse(json.stdout) as { heads: { head: string; folds: { source: string }[] }[] };
    expect(report.heads[0]!.folds.map((f) => f.source)).toEqual(['c', 'a', 'b']);
  }, 60_000);

  it('refuses --by-source with --robustness in one line (exit 2)', async () => {
    const run = await runCli(['evaluate', model, '--data', manifest, '--by-source', '--robustness']);
    expect(run.code).toBe(2);
    expect(run.stderr.trim().split('\n')).toHaveLength(1);
    expect(run.stderr).toMatch(/--by-source: each source is held out in turn/);
  });
});
