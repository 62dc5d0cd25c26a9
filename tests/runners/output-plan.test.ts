import { existsSync, linkSync, mkdtempSync, readdirSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { OutputError, UsageError } from '../../src/errors.js';
import { checkOutputPlan, modelInputs, outputFailure, PartialFile } from '../../src/runners/output-plan.js';
import { RowFile, writeOutputFile } from '../../src/sinks/row-file.js';

const dir = mkdtempSync(join(tmpdir(), 'rovlens-output-plan-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));
const file = (name: string, text = 'x') => {
  const path = join(dir, name);
  writeFileSync(path, text);
  return path;
};
const thrown = (fn: () => void): Error => {
  try {
    fn();
  } catch (error) {
    return error as Error;
  }
  throw new Error('expected a throw');
};

describe('checkOutputPlan', () => {
  const video = file('dive.mp4', 'video bytes');
  const nav = file('nav.csv', 'time,lat,lon\n');

  it('passes distinct, writable outputs (missing folders are created later)', () => {
    expect(() =>
      checkOutputPlan(
        [{ flag: 'input', path: video }],
        [
          { flag: '-o', path: join(dir, 'out', 'dive.csv'), kind: 'file' },
          { flag: '--segments', path: join(dir, 'segments.csv'), kind: 'file' },
        ],
      ),
    ).not.toThrow();
  });

  it.each([
    ['the same path', () => video],
    ['another spelling of it', () => join(dir, '.', 'sub', '..', 'dive.mp4')],
    ['a symbolic link to it', () => (symlinkSync(video, join(dir, 'link.mp4')), join(dir, 'link.mp4'))],
    ['a hard link to it', () => (linkSync(video, join(dir, 'hard.mp4')), join(dir, 'hard.mp4'))],
  ])('refuses an output that is the input under %s, exit 2 naming both', (_what, output) => {
    const error = thrown(() => checkOutputPlan([{ flag: 'input', path: video }], [{ flag: '-o', path: output(), kind: 'file' }]));
    expect(error).toBeInstanceOf(UsageError);
    expect(error.message).toMatch(/^-o: .* is the input .*dive\.mp4; writing it would destroy it/);
  });

  it('refuses an output that is the navigation log or the model card, naming the flag', () => {
    const onnx = file('m.onnx');
    const card = file('m.card.json', '{}');
    expect(modelInputs(onnx).map((i) => i.path)).toEqual([onnx, card]);
    expect(thrown(() => checkOutputPlan([{ flag: '--nav', path: nav }], [{ flag: '--segments', path: nav, kind: 'file' }])).message).toMatch(
      /^--segments: .*nav\.csv is the --nav file/,
    );
    expect(thrown(() => checkOutputPlan(modelInputs(onnx), [{ flag: '-o', path: card, kind: 'file' }])).message).toMatch(
      /^-o: .*m\.card\.json is the --model \(its card\) file/,
    );
  });

  it('refuses two outputs on one file, and a folder output whose files are inputs', () => {
    const twice = thrown(() =>
      checkOutputPlan(
        [],
        [
          { flag: '-o', path: join(dir, 'x.csv'), kind: 'file' },
          { flag: '--geojson', path: `${dir}/./x.csv`, kind: 'file' },
        ],
      ),
    );
    expect([twice.constructor, twice.message]).toEqual([UsageError, `--geojson and -o both name ${dir}/./x.csv; give each output its own file`]);
    const groups = file('groups.csv');
    expect(
      thrown(() => checkOutputPlan([{ flag: 'input', path: groups }], [{ flag: '-o', path: dir, kind: 'folder', files: [groups] }])).message,
    ).toMatch(/^-o: .*groups\.csv is the input/);
  });

  it.each([
    ['a folder where a file is meant', () => ({ path: dir, kind: 'file' as const }), /it is a folder; name a file$/],
    ['a file where a folder is meant', () => ({ path: nav, kind: 'folder' as const }), /it is a file, not a folder$/],
    ['a parent that is a file', () => ({ path: join(video, 'out.csv'), kind: 'file' as const }), /dive\.mp4 is a file, not a folder$/],
    ['a folder that takes no files', () => ({ path: '/proc/no-such/out.csv', kind: 'file' as const }), /the folder \/proc is not writable$/],
  ])('refuses %s with exit 6, before anything runs', (_what, output, message) => {
    const error = thrown(() => checkOutputPlan([{ flag: 'input', path: video }], [{ flag: '-o', ...output() }]));
    expect(error).toBeInstanceOf(OutputError);
    expect((error as OutputError).exitCode).toBe(6);
    expect(error.message).toMatch(message);
  });

  it('leaves no trace of its writability check', () => {
    const before = readdirSync(dir).sort();
    checkOutputPlan([], [{ flag: '-o', path: join(dir, 'new.csv'), kind: 'file' }]);
    expect(readdirSync(dir).sort()).toEqual(before);
  });
});

describe('PartialFile and the row files', () => {
  it('keeps an existing file whole until the new one is complete, then replaces it', () => {
    const target = file('timeline.csv', 'old rows\n');
    const rows = RowFile.open(target, 'header\n');
    rows.write('row 1\n');
    expect(readFileSync(target, 'utf8')).toBe('old rows\n');
    rows.close();
    expect(readFileSync(target, 'utf8')).toBe('header\nrow 1\n');
    expect(readdirSync(dir).filter((n) => n.includes('.partial-'))).toEqual([]);
  });

  it('leaves the existing file as it was when the new one is discarded', () => {
    const target = file('kept.csv', 'old rows\n');
    const rows = RowFile.open(target, 'header\n');
    rows.discard();
    expect(readFileSync(target, 'utf8')).toBe('old rows\n');
    expect(readdirSync(dir).filter((n) => n.includes('.partial-'))).toEqual([]);
  });

  it('writes devices in place and says a full disk in one line with exit 6 (ENOSPC from /dev/full)', () => {
    expect(new PartialFile('/dev/full').writePath).toBe('/dev/full');
    const rows = RowFile.open('/dev/full');
    const error = thrown(() => rows.write('x'.repeat(65536)));
    expect([error.constructor, error.message]).toEqual([OutputError, 'cannot write /dev/full: no space left on the device (ENOSPC)']);
    expect(thrown(() => writeOutputFile('/dev/full', 'sheet')).message).toBe('cannot write /dev/full: no space left on the device (ENOSPC)');
    expect(existsSync('/dev/full')).toBe(true);
  });

  it('names EIO and EPIPE in words', () => {
    const errno = (code: string) => Object.assign(new Error(code), { code });
    expect(outputFailure('a.csv', errno('EIO')).message).toBe('cannot write a.csv: input/output error on the device (EIO)');
    expect(outputFailure('standard output', errno('EPIPE')).message).toBe('cannot write standard output: the reader went away (EPIPE)');
  });

  it('creates missing folders for a whole file', () => {
    const target = join(dir, 'deep', 'er', 'sheet.jpg');
    writeOutputFile(target, 'jpeg');
    expect(readFileSync(target, 'utf8')).toBe('jpeg');
  });
});
