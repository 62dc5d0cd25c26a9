/**
 * Which frames the report shows: per class, the rows the model was surest of and the rows where the
 * class was on top but the model was least sure (the ones a person should look at first), spread
 * over near-duplicate groups. Pure.
 */
import type { HeadLabels, SampledRow } from './summary.js';

/** A row of a video, as the report refers to it (for a thumbnail and a caption). */
export interface RowRef {
  source: string;
  row: SampledRow;
}

export interface ClassGallery {
  head: string;
  label: string;
  /** Rows labelled with the class, highest confidence first. */
  mostConfident: RowRef[];
  /** Rows where the class had the head's top probability, lowest first (those the head called uncertain included). */
  leastCertain: RowRef[];
}

function topProbability(row: SampledRow, head: string, labels: readonly string[]): { label: string; p: number } | undefined {
  const answer = row.heads[head];
  if (!answer) return undefined;
  let best: { label: string; p: number } | undefined;
  for (const label of labels) {
    const p = answer.probabilities[label];
    if (p !== undefined && (!best || p > best.p)) best = { label, p };
  }
  return best;
}

/** `perClass` frames of each kind for every class of every head; classes never on top get empty lists. */
export function pickGallery(
  videos: readonly { source: string; rows: readonly SampledRow[] }[],
  heads: HeadLabels,
  perClass: number,
): ClassGallery[] {
  const all: RowRef[] = videos.flatMap((v) => v.rows.map((row) => ({ source: v.source, row })));
  return Object.entries(heads).flatMap(([head, labels]) =>
    labels.map((label) => {
      const confidenceOf = (r: RowRef) => r.row.heads[head]!.probabilities[label] ?? 0;
      const labelled = all.filter((r) => r.row.heads[head]?.label === label);
      const onTop = all.filter((r) => topProbability(r.row, head, labels)?.label === label);
      return {
        head,
        label,
        mostConfident: spreadOverGroups(
          [...labelled].sort((a, b) => confidenceOf(b) - confidenceOf(a)),
          perClass,
        ),
        leastCertain: spreadOverGroups(
          [...onTop].sort((a, b) => confidenceOf(a) - confidenceOf(b)),
          perClass,
        ),
      };
    }),
  );
}

/**
 * The first `n` rows in order, but at most one per near-duplicate group while other groups have rows
 * left: four frames of the ROV hovering over one spot tell a reader less than four places.
 */
export function spreadOverGroups(sorted: readonly RowRef[], n: number): RowRef[] {
  const picked: RowRef[] = [];
  const groups = new Set<string>();
  for (const ref of sorted) {
    if (picked.length >= n) break;
    const group = ref.row.group && `${ref.source}\u0000${ref.row.group.groupId}`;
    if (group !== undefined && groups.has(group)) continue;
    if (group !== undefined) groups.add(group);
    picked.push(ref);
  }
  // Fewer groups than frames asked for: fill up with the best of the rest, in order.
  for (const ref of sorted) {
    if (picked.length >= n) break;
    if (!picked.includes(ref)) picked.push(ref);
  }
  return picked.sort((a, b) => sorted.indexOf(a) - sorted.indexOf(b));
}
