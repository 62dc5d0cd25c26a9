import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { ExitCode, InputError } from '../../src/errors.js';
import { ManifestWriter, formatManifestRow, manifestHeader, readManifest } from '../../src/review/manifest.js';
import { reviewOrder, type ReviewGroup } from '../../src/review/order.js';
import { ReviewSession } from '../../src/review/session.js';

const LABELS = { floor: ['sandy', 'muddy', 'reef'], element: ['fauna', 'waste', 'rocks'] };
const CROP = { widthFraction: 0.67, heightFraction: 1 };

let dir: string;
let video: string;
let writer: ManifestWriter | undefined;
beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'rovlens-session-'));
  video = join(dir, 'dive.mp4');
});
afterEach(() => writer?.close());

/** Group g0: 3 frames the model calls sandy/fauna; g1: 2 frames muddy/waste, one of them muddy/rocks. */
const groups = (): ReviewGroup[] => [
  {
    group: 'g0',
    frames: [0, 1, 2].map((t) => ({
      source: video,
      ptsSeconds: t,
      predictions: { floor: { label: 'sandy', confidence: 0.9 }, element: { label: 'fauna', confidence: 0.9 } },
    })),
  },
  {
    group: 'g1',
    frames: [
      {
        source: video,
        ptsSeconds: 10,
        predictions: { floor: { label: 'muddy', confidence: 0.6 }, element: { label: 'waste', confidence: 0.5 } },
      },
      {
        source: video,
        ptsSeconds: 11,
        predictions: { floor: { label: 'muddy', confidence: 0.6 }, element: { label: 'rocks', confidence: 0.5 } },
      },
    ],
  },
];

const open = (path = join(dir, 'labels.csv')) => {
  writer = ManifestWriter.open(path);
  const g = groups();
  return new ReviewSession(reviewOrder(g), g, writer, {
    crop: CROP,
    reviewer: 'ana',
    labels: LABELS,
    manifestName: 'labels.csv',
    now: () => new Date('2026-12-07T10:00:00Z'),
  });
};

describe('ReviewSession', () => {
  it('writes a row for every frame of a group, with what the model said about each frame', () => {
    const session = open();
    expect(session.items.map((i) => i.group)).toEqual(['g1', 'g0']);
    expect(session.decide({ group: 'g1', labels: { floor: 'muddy', element: 'rocks' } })).toBe(2);
    const rows = readManifest(join(dir, 'labels.csv'));
    expect(rows.map((r) => [r.ptsSeconds, r.floor, r.element, r.group, r.predictedElement, r.reviewer, r.reviewedAt])).toEqual([
      [10, 'muddy', 'rocks', 'g1', 'waste', 'ana', '2026-12-07T10:00:00.000Z'],
      [11, 'muddy', 'rocks', 'g1', 'rocks', 'ana', '2026-12-07T10:00:00.000Z'],
    ]);
    expect(rows[0]!.crop).toEqual(CROP);
  });

  it('counts progress and the agreement rate per class over frames', () => {
    const session = open();
    session.decide({ group: 'g1', labels: { floor: 'muddy', element: 'rocks' } });
    session.decide({ group: 'g0', labels: { floor: 'reef', element: null } });
    const p = session.progress();
    expect([p.groupsReviewed, p.groups, p.framesCovered, p.frames]).toEqual([2, 2, 5, 5]);
    expect(p.heads.floor).toEqual({
      labelled: 5,
      agreed: 2,
      perClass: { muddy: { frames: 2, agreed: 2 }, reef: { frames: 3, agreed: 0 } },
    });
    // The element of g0 was marked unsure: not counted.
    expect(p.heads.element).toEqual({ labelled: 2, agreed: 1, perClass: { rocks: { frames: 2, agreed: 1 } } });
  });

  it('undoes a new decision by removing its rows, and a changed one by restoring the earlier', () => {
    const session = open();
    session.decide({ group: 'g1', labels: { floor: 'muddy', element: 'rocks' } });
    session.decide({ group: 'g1', labels: { floor: 'muddy', element: 'waste' } });
    expect(readManifest(join(dir, 'labels.csv')).map((r) => r.element)).toEqual(['waste', 'waste']);
    expect(session.undo()).toBe('g1');
    expect(readManifest(join(dir, 'labels.csv')).map((r) => r.element)).toEqual(['rocks', 'rocks']);
    expect(session.undo()).toBe('g1');
    expect(readManifest(join(dir, 'labels.csv'))).toEqual([]);
    expect(session.undo()).toBeUndefined();
    expect(session.firstOpen()).toBe(0);
  });

  it('resumes from the manifest: reviewed groups keep their decision, the first open group is next', () => {
    open().decide({ group: 'g1', labels: { floor: 'muddy', element: 'waste' }, box: { x0: 0.1, y0: 0.1, x1: 0.4, y1: 0.5 } });
    writer!.close();
    const again = open();
    expect(again.decision('g1')).toEqual({
      group: 'g1',
      labels: { floor: 'muddy', element: 'waste' },
      box: { x0: 0.1, y0: 0.1, x1: 0.4, y1: 0.5 },
    });
    expect(again.firstOpen()).toBe(1);
    expect(again.progress().framesCovered).toBe(2);
  });

  it('refuses a label the model card does not have, and writes nothing', () => {
    const session = open();
    expect(() => session.decide({ group: 'g0', labels: { element: 'gravel' } })).toThrow(
      "element 'gravel' is not a label of the model card (fauna, waste, rocks)",
    );
    expect(readManifest(join(dir, 'labels.csv'))).toEqual([]);
  });

  const existing = (rows: string) => {
    const path = join(dir, 'labels.csv');
    writeFileSync(path, manifestHeader() + rows);
    return path;
  };
  const row = (over: Record<string, unknown>) =>
    formatManifestRow(join(dir, 'labels.csv'), {
      source: video,
      ptsSeconds: 0,
      floor: 'sandy',
      element: 'fauna',
      group: 'g0',
      crop: CROP,
      reviewer: 'bo',
      reviewedAt: 'then',
      ...over,
      // Named relative to the test's folder, which exists only once a test runs.
      ...(typeof over.source === 'string' ? { source: join(dir, over.source) } : {}),
    });

  it.each([
    ['labels of another recording', { source: 'other.mp4' }, /holds labels for .*other\.mp4, which is not among the inputs/],
    ['a frame this review did not sample', { ptsSeconds: 0.5 }, /at 0\.500 s, which is not a frame of this review/],
    ['a label the model card does not have', { floor: 'gravel' }, /floor 'gravel' is not a label of the model card/],
    ['another crop', { crop: { widthFraction: 0.5, heightFraction: 1 } }, /labelled with crop 0\.5x1, this review classifies with 0\.67x1/],
  ])('refuses to resume a manifest with %s (exit 4)', (_name, over, message) => {
    const path = existing(row(over));
    try {
      open(path);
      expect.unreachable();
    } catch (error) {
      expect(error).toBeInstanceOf(InputError);
      expect((error as InputError).exitCode).toBe(ExitCode.inputInvalid);
      expect((error as Error).message).toMatch(message);
    }
  });
});
