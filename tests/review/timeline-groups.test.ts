import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { isTimelineJsonl, readTimelineGroups } from '../../src/review/timeline-groups.js';

const dir = mkdtempSync(join(tmpdir(), 'rovlens-timeline-groups-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));
const labels = { floor: ['sandy', 'muddy'], element: ['rocks', 'fauna'] };
// The recording only has to exist: its frames are read later, for the pictures.
writeFileSync(join(dir, 'dive.mp4'), '');

const record = (pts: number, group: number, floor: Record<string, number>, extra: object = {}) =>
  JSON.stringify({
    source: 'dive.mp4',
    ptsSeconds: pts,
    heads: { floor: { probabilities: floor, label: 'uncertain' } },
    group: { groupId: group },
    ...extra,
  });

function write(name: string, lines: string[]): string {
  const path = join(dir, name);
  writeFileSync(path, lines.join('\n') + '\n');
  return path;
}

describe('readTimelineGroups', () => {
  it('groups the frames by the timeline group id, skips the run header and takes the top class even where the label says uncertain', () => {
    const path = write('run.jsonl', [
      JSON.stringify({ rovlensRun: { formatVersion: 1 } }),
      record(0, 0, { sandy: 0.55, muddy: 0.45 }),
      record(1.0004, 0, { sandy: 0.9, muddy: 0.1 }),
      record(2, 1, { sandy: 0.2, muddy: 0.8 }),
    ]);
    const review = readTimelineGroups(path, labels);
    expect(review.frames).toBe(3);
    expect(review.groups.map((g) => [g.group, g.frames.length])).toEqual([
      ['0', 2],
      ['1', 1],
    ]);
    // Found beside the timeline file; times kept to the millisecond.
    expect(review.groups[0]!.frames[1]).toEqual({
      source: join(dir, 'dive.mp4'),
      ptsSeconds: 1,
      predictions: { floor: { label: 'sandy', confidence: 0.9 } },
    });
    expect(review.groups[1]!.frames[0]!.predictions.floor).toEqual({ label: 'muddy', confidence: 0.8 });
  });

  it('refuses, in one line naming the line, a record without a group, a label the card lacks, and a missing recording', () => {
    expect(() =>
      readTimelineGroups(write('nogroup.jsonl', [JSON.stringify({ source: 'dive.mp4', ptsSeconds: 0, heads: {} })]), labels),
    ).toThrow(/line 1: no group/);
    expect(() => readTimelineGroups(write('label.jsonl', [record(0, 0, { reef: 0.9, sandy: 0.1 })]), labels)).toThrow(
      /line 1: floor 'reef' is not a label of the model card/,
    );
    expect(() => readTimelineGroups(write('moved.jsonl', [record(0, 0, { sandy: 1 }, { source: 'elsewhere.mp4' })]), labels)).toThrow(
      /elsewhere\.mp4 is not found/,
    );
    expect(() => readTimelineGroups(write('empty.jsonl', ['']), labels)).toThrow(/holds no frames/);
  });

  it('knows a timeline run by its extension', () => {
    expect(isTimelineJsonl('a/run.JSONL')).toBe(true);
    expect(isTimelineJsonl('dive.mp4')).toBe(false);
  });
});
