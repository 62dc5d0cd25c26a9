import { describe, expect, it } from 'vitest';
import { parse } from 'csv-parse/sync';
import { rowSeconds, summariseRun, UNCERTAIN, type SampledRow, type SampledVideo } from '../../src/report/summary.js';
import { SUMMARY_HEADER, summaryCsv } from '../../src/report/summary-csv.js';

const HEADS = { floor: ['sandy', 'muddy'], element: ['rocks', 'fauna'] };

/** A row whose floor answer is `floor` (or uncertain with `floor` on top) and element `element`. */
function row(ptsSeconds: number, floor: string, element: string, options: { uncertainFloor?: boolean } = {}): SampledRow {
  const other = (labels: string[], label: string) => labels.find((l) => l !== label)!;
  const head = (labels: string[], top: string, uncertain = false) => ({
    label: uncertain ? UNCERTAIN : top,
    confidence: uncertain ? 0.55 : 0.9,
    uncertain,
    probabilities: { [top]: uncertain ? 0.55 : 0.9, [other(labels, top)]: uncertain ? 0.45 : 0.1 },
  });
  return {
    ptsSeconds,
    frameIndex: Math.round(ptsSeconds * 25),
    heads: { floor: head(HEADS.floor, floor, options.uncertainFloor), element: head(HEADS.element, element) },
  };
}

const find = (classes: ReturnType<typeof summariseRun>['overall']['classes'], head: string, label: string) =>
  classes.find((c) => c.head === head && c.label === label)!;

describe('rowSeconds', () => {
  it('gives each row the time until the next one, and the last row the median interval', () => {
    const video: SampledVideo = {
      source: 'a.mp4',
      rows: [row(0, 'sandy', 'rocks'), row(2, 'sandy', 'rocks'), row(3, 'sandy', 'rocks'), row(5, 'sandy', 'rocks')],
    };
    expect(rowSeconds(video).map((r) => r.seconds)).toEqual([2, 1, 2, 2]);
  });

  it('sorts rows by time and cuts the last one at the video end', () => {
    const video: SampledVideo = {
      source: 'a.mp4',
      durationSeconds: 4.5,
      rows: [row(4, 'sandy', 'rocks'), row(0, 'sandy', 'rocks'), row(2, 'sandy', 'rocks')],
    };
    const timed = rowSeconds(video);
    expect(timed.map((r) => r.row.ptsSeconds)).toEqual([0, 2, 4]);
    expect(timed.map((r) => r.seconds)).toEqual([2, 2, 0.5]);
  });

  it('gives a lone row the rest of the video, or no time when the duration is unknown', () => {
    expect(rowSeconds({ source: 'a.mp4', durationSeconds: 10, rows: [row(3, 'sandy', 'rocks')] })[0]!.seconds).toBe(7);
    expect(rowSeconds({ source: 'a.mp4', rows: [row(3, 'sandy', 'rocks')] })[0]!.seconds).toBe(0);
  });
});

describe('summariseRun', () => {
  // Video a: 0-3 s sandy, 3-4 s muddy (rows every second, 4 rows = 4 s); b: 2 s of muddy in one row.
  const a: SampledVideo = {
    source: 'a.mp4',
    rows: [
      row(0, 'sandy', 'rocks'),
      row(1, 'sandy', 'fauna'),
      row(2, 'sandy', 'rocks', { uncertainFloor: true }),
      row(3, 'muddy', 'rocks'),
    ],
  };
  const b: SampledVideo = { source: 'b.mp4', durationSeconds: 2, rows: [row(0, 'muddy', 'fauna')] };
  const summary = summariseRun([a, b], HEADS);

  it('counts seconds, shares and frames per class of each head in each video', () => {
    const [va] = summary.videos;
    expect(va!.seconds).toBe(4);
    expect(find(va!.classes, 'floor', 'sandy')).toMatchObject({ seconds: 2, share: 0.5, frames: 2 });
    expect(find(va!.classes, 'floor', UNCERTAIN)).toMatchObject({ seconds: 1, share: 0.25, frames: 1, mainFrames: undefined });
    expect(find(va!.classes, 'floor', 'muddy')).toMatchObject({ seconds: 1, share: 0.25, frames: 1 });
    expect(find(va!.classes, 'element', 'rocks')).toMatchObject({ seconds: 3, share: 0.75, frames: 3, mainFrames: 3 });
  });

  it('counts a frame as main for the top class even when the head called it uncertain', () => {
    expect(find(summary.videos[0]!.classes, 'floor', 'sandy').mainFrames).toBe(3);
  });

  it('gives every head shares that add up to one', () => {
    for (const v of [...summary.videos, summary.overall]) {
      for (const head of Object.keys(HEADS)) {
        const total = v.classes.filter((c) => c.head === head).reduce((s, c) => s + c.share, 0);
        expect(total).toBeCloseTo(1, 12);
      }
    }
  });

  it('says where a class was first and last seen, across videos for the whole run', () => {
    const muddy = find(summary.overall.classes, 'floor', 'muddy');
    expect(muddy.firstSeen).toEqual({ source: 'a.mp4', ptsSeconds: 3 });
    expect(muddy.lastSeen).toEqual({ source: 'b.mp4', ptsSeconds: 0 });
    expect(find(summary.videos[0]!.classes, 'element', 'fauna').firstSeen).toEqual({ source: 'a.mp4', ptsSeconds: 1 });
  });

  it('adds the videos up for the whole run', () => {
    expect(summary.overall.seconds).toBe(6);
    expect(summary.overall.frames).toBe(5);
    expect(find(summary.overall.classes, 'floor', 'muddy')).toMatchObject({ seconds: 3, share: 0.5, frames: 2, mainFrames: 2 });
    expect(find(summary.overall.classes, 'element', 'fauna')).toMatchObject({ frames: 2, mainFrames: 2 });
  });

  it('lists classes never seen with zero time and no first sighting', () => {
    const none = summariseRun([{ source: 'c.mp4', rows: [row(0, 'sandy', 'rocks'), row(1, 'sandy', 'rocks')] }], HEADS);
    const muddy = find(none.overall.classes, 'floor', 'muddy');
    expect(muddy).toMatchObject({ seconds: 0, share: 0, frames: 0, mainFrames: 0 });
    expect(muddy.firstSeen).toBeUndefined();
  });

  it('summarises an empty run as zeros, without dividing by zero', () => {
    const empty = summariseRun([], HEADS);
    expect(empty.overall.classes.every((c) => c.share === 0 && c.seconds === 0)).toBe(true);
  });
});

describe('summaryCsv', () => {
  it('writes one row per video and class, then one per class for the whole run', () => {
    const summary = summariseRun([{ source: 'dive, 1.mp4', rows: [row(0, 'sandy', 'rocks'), row(1.5, 'muddy', 'fauna')] }], HEADS);
    const records = parse(summaryCsv(summary), { columns: true }) as Record<string, string>[];
    expect(Object.keys(records[0]!)).toEqual([...SUMMARY_HEADER]);
    const classes = 2 * (2 + 1);
    expect(records).toHaveLength(2 * classes);
    expect(records.slice(0, classes).every((r) => r.scope === 'video' && r.video === 'dive, 1.mp4')).toBe(true);
    const muddy = records.find((r) => r.scope === 'run' && r.class === 'muddy')!;
    expect(muddy).toMatchObject({ seconds: '1.5', share: '0.5', frames: '1', main_frames: '1', first_seen_video: 'dive, 1.mp4' });
    expect(muddy.first_seen).toBe('00:00:01.500');
    expect(records.find((r) => r.class === UNCERTAIN)!.main_frames).toBe('');
  });
});
