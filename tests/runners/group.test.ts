/**
 * Grouping quality on real images (small size; bench/grouping.ts runs the large one): pairwise
 * precision and recall of consecutive groups against the holds, and of groups with revisits
 * merged against the images, at the default thresholds, hash only (no model).
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { defaultGroupPipelineOptions } from '../../pipelines/group.js';
import { groupInputs, type GroupingReport } from '../../src/runners/group.js';
import { pairwiseScores } from '../../src/similarity/pairwise.js';
import { describeWithData, sharedPath } from '../helpers/shared-data.js';
import { writeEvalClip, type EvalClip } from '../../bench/eval-clip.js';

describeWithData('grouping on real images held with pans, zoom, noise, drift and re-encoding', () => {
  let dir: string;
  let clip: EvalClip;
  let report: GroupingReport;
  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'rovlens-group-eval-'));
    clip = await writeEvalClip(sharedPath(), dir, { images: 10, revisits: 4, holdSeconds: 3, fps: 4, seed: 11 });
    report = await groupInputs([clip.path], {
      options: defaultGroupPipelineOptions({ every: 0.5, crop: { widthFraction: 1, heightFraction: 1 }, thumbnailWidth: 0 }),
    });
  }, 60_000);
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it('finds each hold as one consecutive group with pairwise precision and recall of at least 0.95', () => {
    const s = pairwiseScores(
      report.frames.map((f) => f.segmentId),
      report.frames.map((f) => clip.truthAt(f.ptsSeconds).hold),
    );
    expect(report.frames).toHaveLength(14 * 6);
    expect(s.precision).toBeGreaterThanOrEqual(0.95);
    expect(s.recall).toBeGreaterThanOrEqual(0.95);
    expect(Math.abs(s.predictedGroups - 14)).toBeLessThanOrEqual(1);
  });

  it('merges revisits so that groups match the distinct images with precision and recall of at least 0.95', () => {
    const s = pairwiseScores(
      report.frames.map((f) => f.groupId),
      report.frames.map((f) => clip.truthAt(f.ptsSeconds).image),
    );
    expect(s.precision).toBeGreaterThanOrEqual(0.95);
    expect(s.recall).toBeGreaterThanOrEqual(0.95);
    expect(Math.abs(s.predictedGroups - 10)).toBeLessThanOrEqual(1);
  });
});
