/**
 * Output columns are contributed by stages: a ColumnSet names its columns and extracts their values
 * from a FrameResult. The timeline CSV, JSON lines and the live feed all build on these, so a new
 * stage adds its columns in one place.
 */
import { camTargetKey, type CamTarget } from '../config/cam-targets.js';
import { timecode } from '../timecode.js';
import type { FrameResult, Localisation } from '../types.js';
import type { ModelCard } from '../model/card.js';

/** Kept importable from here; it lives in the shared kernel (src/timecode.ts). */
export { timecode };

/** The prefix of a CAM target's columns: 'element_waste'. */
export const camTargetColumnPrefix = (t: CamTarget): string => `${t.head}_${t.className}`;

export type Cell = string | number | undefined;

export interface ColumnSet {
  readonly header: readonly string[];
  values(result: FrameResult): readonly Cell[];
}


const round = (x: number, digits: number) => Number(x.toFixed(digits));

export const frameColumns: ColumnSet = {
  header: ['source', 'frame_index', 'pts_seconds', 'timecode'],
  values: ({ frame }) => [frame.sourceId, frame.index, round(frame.ptsSeconds, 3), timecode(frame.ptsSeconds)],
};

/** `<head>`, `<head>_confidence`, then one `<head>_p_<label>` column per class, per head in card order. */
export function headColumns(card: ModelCard): ColumnSet {
  const heads = Object.entries(card.heads);
  return {
    header: heads.flatMap(([name, spec]) => [name, `${name}_confidence`, ...spec.labels.map((l) => `${name}_p_${l}`)]),
    values: (result) =>
      heads.flatMap(([name, spec]) => {
        const p = result.heads[name];
        if (!p) return [undefined, undefined, ...spec.labels.map(() => undefined)];
        return [p.label, round(p.confidence, 4), ...Array.from(p.probabilities, (x) => round(x, 4))];
      }),
  };
}

/** Box as x y w h in source pixels (the largest), peak, area fraction: the cells of one localisation. */
function localisationCells(l: Localisation | undefined): Cell[] {
  if (!l) return [undefined, undefined, undefined, undefined];
  const box = l.boxes[0];
  return [
    box ? `${box.x} ${box.y} ${box.width} ${box.height}` : undefined,
    Math.round(l.peak.x),
    Math.round(l.peak.y),
    round(l.areaFraction, 4),
  ];
}

/** Where the element is (Grad-CAM stage): box, peak, area fraction, and the method that made the heatmap. */
export const localisationColumns: ColumnSet = {
  header: ['element_box', 'element_peak_x', 'element_peak_y', 'element_area', 'cam_method'],
  values: ({ localisation: l }) => [...localisationCells(l), l?.method],
};

/** The heatmaps asked for besides the element's (`--cam-also`): `<head>_<class>_box`, `_peak_x`, `_peak_y`, `_area`. */
export function extraLocalisationColumns(targets: readonly CamTarget[]): ColumnSet {
  return {
    header: targets.flatMap((t) => ['box', 'peak_x', 'peak_y', 'area'].map((c) => `${camTargetColumnPrefix(t)}_${c}`)),
    values: ({ extraLocalisations: extra }) => targets.flatMap((t) => localisationCells(extra?.[camTargetKey(t)])),
  };
}

/**
 * Where the vehicle was (the nav join): `nav_time`, then `nav_<column>` for each log column joined.
 * Values keep up to 7 decimals (about 1 cm of latitude).
 */
export function navColumns(fields: readonly string[]): ColumnSet {
  return {
    header: ['nav_time', ...fields.map((f) => `nav_${f}`)],
    values: ({ nav }) => [nav?.time, ...fields.map((f) => (nav?.values[f] === undefined ? undefined : round(nav.values[f], 7)))],
  };
}

/** Near-duplicate grouping stage. */
export const groupColumns: ColumnSet = {
  header: ['group_id', 'duplicate_of', 'reused'],
  values: ({ group: g }) => (g ? [g.groupId, g.duplicateOf, g.reused ? 1 : 0] : [undefined, undefined, undefined]),
};

export function combineColumns(sets: readonly ColumnSet[]): ColumnSet {
  return {
    header: sets.flatMap((s) => s.header),
    values: (result) => sets.flatMap((s) => s.values(result)),
  };
}
