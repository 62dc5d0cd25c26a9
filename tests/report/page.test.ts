import { describe, expect, it } from 'vitest';
import { buildReport, mergeVideos, reportSegments, type ReportRun } from '../../src/report/build.js';
import { pickGallery, spreadOverGroups } from '../../src/report/gallery.js';
import { shellQuote } from '../../src/report/from-runs.js';
import { UNCERTAIN, type SampledRow } from '../../src/report/summary.js';
import { trackOf, trackSvg } from '../../src/report/track-svg.js';

const HEADS = { floor: ['sandy', 'muddy'], element: ['rocks', 'fauna'] };

function row(ptsSeconds: number, floorP: number, element = 'rocks', position?: [number, number]): SampledRow {
  const floorTop = floorP >= 0.5 ? 'sandy' : 'muddy';
  const top = Math.max(floorP, 1 - floorP);
  return {
    ptsSeconds,
    frameIndex: ptsSeconds * 10,
    heads: {
      floor: {
        label: top < 0.6 ? UNCERTAIN : floorTop,
        confidence: top,
        uncertain: top < 0.6,
        probabilities: { sandy: floorP, muddy: 1 - floorP },
      },
      element: {
        label: element,
        confidence: 0.9,
        probabilities: { rocks: element === 'rocks' ? 0.9 : 0.1, fauna: element === 'fauna' ? 0.9 : 0.1 },
      },
    },
    ...(position ? { nav: { time: '', values: { latitude: position[0], longitude: position[1], depth: 30 } } } : {}),
  };
}

describe('pickGallery', () => {
  const rows = [row(0, 0.9), row(1, 0.55), row(2, 0.99), row(3, 0.7), row(4, 0.2)];
  const sandy = pickGallery([{ source: 'a.mp4', rows }], HEADS, 2).find((g) => g.head === 'floor' && g.label === 'sandy')!;

  it('shows the rows labelled with a class, surest first', () => {
    expect(sandy.mostConfident.map((r) => r.row.ptsSeconds)).toEqual([2, 0]);
  });

  it('shows the rows where the class was on top, least sure first, those called uncertain included', () => {
    expect(sandy.leastCertain.map((r) => r.row.ptsSeconds)).toEqual([1, 3]);
  });
});

describe('spreadOverGroups', () => {
  const ref = (t: number, groupId?: number) => ({
    source: 'a.mp4',
    row: { ...row(t, 0.9), ...(groupId === undefined ? {} : { group: { groupId } }) },
  });

  it('takes one frame per near-duplicate group while other groups have frames', () => {
    const sorted = [ref(0, 1), ref(1, 1), ref(2, 2), ref(3, 1), ref(4, 3)];
    expect(spreadOverGroups(sorted, 3).map((r) => r.row.ptsSeconds)).toEqual([0, 2, 4]);
  });

  it('fills up from groups already shown when there are fewer groups than frames asked for, keeping the order', () => {
    const sorted = [ref(0, 1), ref(1, 1), ref(2, 2), ref(3)];
    expect(spreadOverGroups(sorted, 4).map((r) => r.row.ptsSeconds)).toEqual([0, 1, 2, 3]);
    expect(spreadOverGroups(sorted, 3).map((r) => r.row.ptsSeconds)).toEqual([0, 2, 3]);
  });
});

describe('reportSegments', () => {
  it('gives each segment the time of its middle row, and ends the last one at the video end', () => {
    const video = { source: 'a.mp4', durationSeconds: 4.2, rows: [0, 1, 2, 3, 4].map((t) => row(t, 0.9, t < 3 ? 'rocks' : 'fauna')) };
    const segments = reportSegments([video], HEADS).filter((s) => s.head === 'element');
    expect(segments.map((s) => [s.segment.label, s.thumbnailAtSeconds, s.segment.endSeconds])).toEqual([
      ['rocks', 1, 3],
      ['fauna', 3, 4.2],
    ]);
  });
});

describe('mergeVideos', () => {
  it('makes one video of the parts of a video run separately, its rows in time order', () => {
    const run = (times: number[]): ReportRun => ({
      path: 'r.jsonl',
      model: { heads: HEADS },
      videos: [{ source: 'a.mp4', rows: times.map((t) => row(t, 0.9)) }],
    });
    const [merged, ...rest] = mergeVideos([run([5, 6]), run([0, 1, 5])]);
    expect(rest).toEqual([]);
    expect(merged!.rows.map((r) => r.ptsSeconds)).toEqual([0, 1, 5, 6]);
  });
});

describe('trackSvg', () => {
  it('draws one leg between consecutive positions, coloured by the label where the leg starts', () => {
    const rows = [
      row(0, 0.9, 'rocks', [43.65, 7.35]),
      row(1, 0.9, 'rocks', [43.65, 7.3501]),
      row(2, 0.1, 'rocks', [43.6501, 7.3501]),
      row(3, 0.1),
    ];
    const track = trackOf('a.mp4', rows, 'floor');
    expect(track.points.map((p) => p.label)).toEqual(['sandy', 'sandy', 'muddy']);
    const svg = trackSvg([track], (label) => (label === 'sandy' ? '#111111' : '#222222'))!;
    expect(svg.match(/<line [^>]*stroke="#111111"/g)).toHaveLength(2);
    expect(svg.match(/<line [^>]*stroke="#222222"/g) ?? []).toHaveLength(0);
  });

  it('puts north up: a leg going north goes up the picture', () => {
    const track = trackOf('a.mp4', [row(0, 0.9, 'rocks', [43.65, 7.35]), row(1, 0.9, 'rocks', [43.651, 7.35])], 'floor');
    const [, y1, y2] = /<line x1="[\d.]+" y1="([\d.]+)" x2="[\d.]+" y2="([\d.]+)"/.exec(trackSvg([track], () => '#000')!)!.map(Number);
    expect(y2).toBeLessThan(y1!);
  });

  it('draws nothing without two distinct positions', () => {
    expect(trackSvg([trackOf('a.mp4', [row(0, 0.9), row(1, 0.9, 'rocks', [43.65, 7.35])], 'floor')], () => '#000')).toBeUndefined();
  });
});

describe('the report page', () => {
  it('escapes names from the run, so a file called <script> stays text, and carries no script of its own', async () => {
    const built = await buildReport(
      [
        {
          path: 'r.jsonl',
          commandLine: shellQuote(['rovlens', 'timeline', '<script>alert(1)</script>.mp4', "it's.mp4"]),
          model: { name: 'm<b>', heads: HEADS, provenance: { knownWeaknesses: { general: 'a & b' } } },
          videos: [{ source: '<script>alert(1)</script>.mp4', rows: [row(0, 0.9), row(1, 0.9)] }],
        },
      ],
      { thumbnails: false, generatedAt: 'now' },
    );
    expect(built.html).not.toMatch(/<script/i);
    expect(built.html).toContain('&#60;script&#62;');
    expect(built.html).toContain("'it'\\''s.mp4'".replace(/'/g, '&#39;'));
    expect(built.html).toContain("default-src 'none'");
  });
});

describe('shellQuote', () => {
  it('leaves plain words bare and single-quotes the rest', () => {
    expect(shellQuote(['rovlens', 'timeline', 'my dive.mp4', '--nav', "o'neil.csv", 'a/b-c_1.mp4'])).toBe(
      `rovlens timeline 'my dive.mp4' --nav 'o'\\''neil.csv' a/b-c_1.mp4`,
    );
  });
});
