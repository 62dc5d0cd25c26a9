/** The `train` and `evaluate` commands as a user runs them: the built CLI in a child process. */
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { runCliSync } from '../helpers/cli.js';
import { writeTinyModel } from '../helpers/tiny-model.js';
import { writeFolderDataset } from '../training/fixtures.js';

const rovlens = runCliSync;

describe('rovlens train and evaluate (CLI)', () => {
  const dir = mkdtempSync(join(tmpdir(), 'rovlens-cli-train-'));
  const tiny = writeTinyModel(join(dir, 'base'));
  const cache = join(dir, 'cache');
  beforeAll(async () => {
    await writeFolderDataset(join(dir, 'data'), ['sandy', 'muddy', 'reef'], 6);
  });

  it('trains a floor head from a folder per class and writes the model and its card', () => {
    const out = join(dir, 'trained.onnx');
    const run = rovlens(
      'train',
      '--data',
      join(dir, 'data'),
      '--model',
      tiny.modelPath,
      '--task',
      'floor',
      '-o',
      out,
      '--views',
      '1',
      '--epochs',
      '100',
      '--cache-dir',
      cache,
    );
    expect(run.stderr).toBe('');
    expect(run.code).toBe(0);
    expect(run.stdout).toMatch(/floor: stratified split, 15 training images \(30 samples with views\), 3 validation images/);
    expect(run.stdout).toMatch(/validation floor: 3 images {2}weighted accuracy [\d.]+ %/);
    const card = JSON.parse(readFileSync(join(dir, 'trained.card.json'), 'utf8'));
    expect(card.file).toBe('trained.onnx');
    expect(card.heads.floor.uncertainBelow).toBeGreaterThanOrEqual(0);
  });

  it('evaluates a model as JSON with per-class recall and a confusion matrix', () => {
    const run = rovlens('evaluate', tiny.modelPath, '--data', join(dir, 'data'), '--task', 'floor', '--json');
    expect(run.code).toBe(0);
    const report = JSON.parse(run.stdout);
    const floor = report.conditions[0].heads[0];
    expect(floor.head).toBe('floor');
    expect(floor.overall.total).toBe(18);
    // Every class of the head is listed, with its recall, whether or not the data has it.
    expect(floor.overall.perClass.map((c: { label: string }) => c.label)).toEqual(['sandy', 'muddy', 'muddy-sand', 'reef']);
    expect(floor.overall.confusion.flat().reduce((a: number, b: number) => a + b, 0)).toBe(18);
  });

  it('prints tables by default', () => {
    const run = rovlens('evaluate', tiny.modelPath, '--data', join(dir, 'data'), '--task', 'floor', '-q');
    expect(run.code).toBe(0);
    expect(run.stdout).toMatch(/true \\ predicted/);
    expect(run.stdout).toMatch(/class\s+support\s+recall %/);
  });

  it('refuses an out-of-range option with one line and the usage exit code', () => {
    const run = rovlens('train', '--data', join(dir, 'data'), '--model', tiny.modelPath, '-o', join(dir, 'x.onnx'), '--views', '99');
    expect(run.code).toBe(2);
    expect(run.stderr.trim().split('\n')).toHaveLength(1);
    expect(run.stderr).toMatch(/^rovlens: --views: .*16/);
  });

  it('asks for -o when it is missing', () => {
    const run = rovlens('train', '--data', join(dir, 'data'), '--model', tiny.modelPath);
    expect(run.code).toBe(2);
    expect(run.stderr).toMatch(/-o, --output <model.onnx> is required/);
  });

  it('reports missing data with exit code 3 and no stack trace', () => {
    const run = rovlens('evaluate', tiny.modelPath, '--data', join(dir, 'nowhere'));
    expect(run.code).toBe(3);
    expect(run.stderr).toMatch(/^rovlens: data not found: /);
    expect(run.stderr).not.toMatch(/\n\s+at /);
  });

  it('names the card field when the card does not match the graph (exit code 5)', () => {
    const card = JSON.parse(readFileSync(tiny.cardPath, 'utf8'));
    card.heads.floor.logits = 'floor_scores';
    writeFileSync(join(dir, 'base', 'broken.card.json'), JSON.stringify({ ...card, file: 'tiny.onnx' }));
    const run = rovlens('evaluate', join(dir, 'base', 'broken.card.json'), '--data', join(dir, 'data'));
    expect(run.code).toBe(5);
    expect(run.stderr).toMatch(/field 'heads\.floor\.logits': 'floor_scores' is not an output of the graph/);
  });

  it('names the card field when the card lists more labels than the graph has classes (exit code 5)', () => {
    const card = JSON.parse(readFileSync(tiny.cardPath, 'utf8'));
    card.heads.floor.labels = [...card.heads.floor.labels, 'gravel'];
    writeFileSync(join(dir, 'base', 'extra.card.json'), JSON.stringify(card));
    const run = rovlens('evaluate', join(dir, 'base', 'extra.card.json'), '--data', join(dir, 'data'), '--task', 'floor');
    expect(run.code).toBe(5);
    expect(run.stderr).toMatch(
      /^rovlens: model card field 'heads\.floor\.labels': 5 labels for output 'floor_logits' of size 4; the card must match the model\n$/,
    );
  });

  it('names the card field when the card is malformed (exit code 5)', () => {
    const card = JSON.parse(readFileSync(tiny.cardPath, 'utf8'));
    card.input.width = -3;
    writeFileSync(join(dir, 'base', 'malformed.card.json'), JSON.stringify(card));
    const run = rovlens(
      'train',
      '--data',
      join(dir, 'data'),
      '--model',
      join(dir, 'base', 'malformed.card.json'),
      '-o',
      join(dir, 'y.onnx'),
    );
    expect(run.code).toBe(5);
    expect(run.stderr).toMatch(/field 'input\.width'/);
  });
});
