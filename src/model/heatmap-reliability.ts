/**
 * Whether the element heatmap a model ships is worth showing: its pointing game (the map's peak
 * inside a hand-drawn box of the element) against always pointing at the picture's centre, as the
 * model card records them in `provenance.localisation`. A heatmap that does not beat the centre is
 * worse than no heatmap: `annotate` and `live` then leave it off unless asked (`--heatmap`), and
 * every report marks it "unreliable: x % vs centre y %". Pure: reads the card, no I/O.
 */
import type { ModelCard } from './card.js';

export interface HeatmapReliability {
  /** False when the shipped heatmap points no better than the centre baseline. */
  reliable: boolean;
  /** Pointing game of the heatmap shown (the predicted class's CAM where measured), in percent. */
  heatmapPercent: number;
  centrePercent: number;
  images: number;
  /** Which boxed images, and which map, as the card names them. */
  subset: string;
  map: 'predicted class' | 'labelled class';
}

interface Row {
  subset?: unknown;
  images?: unknown;
  predictedCam?: { pointingGamePercent?: unknown };
  labelledCam?: { pointingGamePercent?: unknown };
  centreBaseline?: { pointingGamePercent?: unknown };
}

const num = (x: unknown): number | undefined => (typeof x === 'number' && Number.isFinite(x) ? x : undefined);

/**
 * The card's verdict on its heatmap, or undefined when the card records no pointing game (a model
 * made elsewhere: not measured). Prefers the single-instance subset (one element, box under 30 % of
 * the frame: the test that a centre guess passes least often), then all boxed images; and the map of
 * the predicted class (what a user sees), then the labelled class's.
 */
export function heatmapReliability(card: Pick<ModelCard, 'provenance'>): HeatmapReliability | undefined {
  const localisation = (card.provenance as Record<string, unknown> | undefined)?.localisation as { subsets?: unknown } | undefined;
  const rows = Array.isArray(localisation?.subsets) ? (localisation.subsets as Row[]) : [];
  const ranked = [...rows.filter((r) => String(r.subset).startsWith('single')), ...rows.filter((r) => String(r.subset).startsWith('all'))];
  for (const row of ranked) {
    const centre = num(row.centreBaseline?.pointingGamePercent);
    const predicted = num(row.predictedCam?.pointingGamePercent);
    const labelled = num(row.labelledCam?.pointingGamePercent);
    const heatmap = predicted ?? labelled;
    if (centre === undefined || heatmap === undefined) continue;
    return {
      reliable: heatmap > centre,
      heatmapPercent: heatmap,
      centrePercent: centre,
      images: num(row.images) ?? 0,
      subset: String(row.subset),
      map: predicted !== undefined ? 'predicted class' : 'labelled class',
    };
  }
  return undefined;
}

/** "unreliable: 37.5 % vs centre 60.0 %" (or "reliable: ..."), the words every report uses. */
export function reliabilityMark(r: HeatmapReliability): string {
  return `${r.reliable ? 'reliable' : 'unreliable'}: ${r.heatmapPercent.toFixed(1)} % vs centre ${r.centrePercent.toFixed(1)} %`;
}

/** One line for reports: the mark, and what it was measured on. */
export function reliabilityLine(r: HeatmapReliability): string {
  return `element heatmap ${reliabilityMark(r)} (pointing game of the ${r.map}'s map on ${r.images} boxed images, model card)`;
}

/**
 * Whether to compute and draw heatmaps: as asked (`--heatmap`), else only where the card does not
 * say they point worse than the centre (an unmeasured model keeps them).
 */
export const heatmapsOn = (asked: boolean | undefined, r: HeatmapReliability | undefined): boolean => asked ?? r?.reliable !== false;
