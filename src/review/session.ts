/**
 * One review in progress: the ordered queue, the decisions made so far (kept in the labels manifest,
 * which is written before a decision returns), undo, and progress. A decision labels every frame of
 * its group. Reopening the same manifest resumes: a group whose frames have rows is reviewed.
 */
import { InputError } from '../errors.js';
import type { RelativeCrop } from '../geometry.js';
import { frameKey, formatCrop, type ManifestBox, type ManifestRow, type ManifestWriter } from './manifest.js';
import type { ReviewGroup, ReviewItem } from './order.js';

/** Heads a manifest has columns for. */
export const MANIFEST_HEADS = ['floor', 'element'] as const;
export type ManifestHead = (typeof MANIFEST_HEADS)[number];

export interface Decision {
  group: string;
  /** Per head: a label of the card, or null for unsure/skipped. */
  labels: Partial<Record<ManifestHead, string | null>>;
  box?: ManifestBox;
}

export interface ClassAgreement {
  /** Frames reviewed with this true label. */
  frames: number;
  /** Of those, frames the model predicted right. */
  agreed: number;
}

export interface HeadProgress {
  /** Frames with a label for this head (not unsure/skipped). */
  labelled: number;
  agreed: number;
  /** By the reviewer's label. */
  perClass: Record<string, ClassAgreement>;
}

export interface Progress {
  groupsReviewed: number;
  groups: number;
  framesCovered: number;
  frames: number;
  heads: Record<string, HeadProgress>;
}

export interface ReviewSessionOptions {
  crop: RelativeCrop;
  reviewer: string;
  /** The model card's labels per head. */
  labels: Record<string, readonly string[]>;
  /** Where the manifest is shown from in messages. */
  manifestName: string;
  now?: () => Date;
}

export class ReviewSession {
  private readonly groupsById = new Map<string, ReviewGroup>();
  private readonly decisions = new Map<string, Decision>();
  /** Groups decided in this session, newest last, with what they held before (for undo). */
  private readonly history: { group: string; before?: Decision }[] = [];
  readonly totalFrames: number;

  constructor(
    readonly items: readonly ReviewItem[],
    groups: readonly ReviewGroup[],
    private readonly writer: ManifestWriter,
    private readonly options: ReviewSessionOptions,
  ) {
    for (const g of groups) this.groupsById.set(g.group, g);
    this.totalFrames = items.reduce((n, i) => n + i.size, 0);
    this.resume(writer.rows());
  }

  /**
   * Checks the manifest's rows belong to this review and takes their decisions over. Refuses (one
   * line, exit 4) rows of another recording or sampling, labels the card does not have, another crop.
   */
  private resume(rows: readonly ManifestRow[]): void {
    if (!rows.length) return;
    const groupOfFrame = new Map<string, string>();
    const sources = new Set<string>();
    for (const g of this.groupsById.values()) {
      for (const f of g.frames) {
        groupOfFrame.set(frameKey(f.source, f.ptsSeconds), g.group);
        sources.add(f.source);
      }
    }
    const name = this.options.manifestName;
    const crop = formatCrop(this.options.crop);
    for (const row of rows) {
      if (!sources.has(row.source)) {
        throw new InputError(
          `${name} holds labels for ${row.source}, which is not among the inputs of this review: review that recording with it, or pass another --labels file`,
        );
      }
      const group = groupOfFrame.get(frameKey(row.source, row.ptsSeconds));
      if (group === undefined) {
        throw new InputError(
          `${name} labels ${row.source} at ${row.ptsSeconds?.toFixed(3)} s, which is not a frame of this review: was it sampled with another --every? pass the same, or another --labels file`,
        );
      }
      if (formatCrop(row.crop) !== crop) {
        throw new InputError(
          `${name} was labelled with crop ${formatCrop(row.crop)}, this review classifies with ${crop}: pass --crop ${formatCrop(row.crop)}, or another --labels file`,
        );
      }
      for (const head of MANIFEST_HEADS) {
        const label = row[head];
        const known = this.options.labels[head];
        if (label !== undefined && known && !known.includes(label)) {
          throw new InputError(`${name}: ${head} '${label}' is not a label of the model card (${known.join(', ')})`);
        }
      }
      if (!this.decisions.has(group)) {
        this.decisions.set(group, {
          group,
          labels: Object.fromEntries(MANIFEST_HEADS.filter((h) => this.options.labels[h]).map((h) => [h, row[h] ?? null])),
          ...(row.box ? { box: row.box } : {}),
        });
      }
    }
  }

  decision(group: string): Decision | undefined {
    return this.decisions.get(group);
  }

  /** Index in `items` of the first group not reviewed yet, or items.length when all are. */
  firstOpen(): number {
    const at = this.items.findIndex((i) => !this.decisions.has(i.group));
    return at < 0 ? this.items.length : at;
  }

  /** Records a decision for the whole group (replacing an earlier one); on disk before it returns. */
  decide(decision: Decision): number {
    const group = this.groupsById.get(decision.group);
    if (!group) throw new InputError(`no group ${decision.group} in this review`);
    for (const head of MANIFEST_HEADS) {
      const label = decision.labels[head];
      const known = this.options.labels[head];
      if (label === undefined || label === null) continue;
      if (!known) throw new InputError(`the model card has no ${head} head`);
      if (!known.includes(label)) throw new InputError(`${head} '${label}' is not a label of the model card (${known.join(', ')})`);
    }
    if (decision.box) {
      const { x0, y0, x1, y1 } = decision.box;
      if (![x0, y0, x1, y1].every((v) => Number.isFinite(v) && v >= 0 && v <= 1) || !(x0 < x1 && y0 < y1)) {
        throw new InputError('a box must be four numbers in 0..1 with x0 < x1 and y0 < y1');
      }
    }
    const before = this.decisions.get(decision.group);
    this.writer.write(this.rowsFor(group, decision));
    this.decisions.set(decision.group, decision);
    this.history.push({ group: decision.group, ...(before ? { before } : {}) });
    return group.frames.length;
  }

  /** Takes back the newest decision of this session; returns its group, or undefined when there is none. */
  undo(): string | undefined {
    const last = this.history.pop();
    if (!last) return undefined;
    const group = this.groupsById.get(last.group)!;
    if (last.before) {
      this.writer.write(this.rowsFor(group, last.before));
      this.decisions.set(last.group, last.before);
    } else {
      this.writer.removeGroups([last.group]);
      this.decisions.delete(last.group);
    }
    return last.group;
  }

  get canUndo(): boolean {
    return this.history.length > 0;
  }

  progress(): Progress {
    const heads: Record<string, HeadProgress> = {};
    for (const head of MANIFEST_HEADS) if (this.options.labels[head]) heads[head] = { labelled: 0, agreed: 0, perClass: {} };
    let groupsReviewed = 0;
    let framesCovered = 0;
    for (const item of this.items) {
      const decision = this.decisions.get(item.group);
      if (!decision) continue;
      groupsReviewed++;
      const frames = this.groupsById.get(item.group)!.frames;
      framesCovered += frames.length;
      for (const [head, progress] of Object.entries(heads)) {
        const truth = decision.labels[head as ManifestHead];
        if (!truth) continue;
        const perClass = (progress.perClass[truth] ??= { frames: 0, agreed: 0 });
        for (const frame of frames) {
          const agreed = frame.predictions[head]?.label === truth ? 1 : 0;
          progress.labelled++;
          progress.agreed += agreed;
          perClass.frames++;
          perClass.agreed += agreed;
        }
      }
    }
    return { groupsReviewed, groups: this.items.length, framesCovered, frames: this.totalFrames, heads };
  }

  private rowsFor(group: ReviewGroup, decision: Decision): ManifestRow[] {
    const reviewedAt = (this.options.now?.() ?? new Date()).toISOString();
    return group.frames.map((frame) => {
      const floor = decision.labels.floor ?? undefined;
      const element = decision.labels.element ?? undefined;
      const predictedFloor = frame.predictions.floor?.label;
      const predictedElement = frame.predictions.element?.label;
      return {
        source: frame.source,
        ...(frame.ptsSeconds !== undefined ? { ptsSeconds: frame.ptsSeconds } : {}),
        ...(floor ? { floor } : {}),
        ...(element ? { element } : {}),
        group: group.group,
        ...(decision.box ? { box: decision.box } : {}),
        crop: this.options.crop,
        reviewer: this.options.reviewer,
        reviewedAt,
        ...(predictedFloor ? { predictedFloor } : {}),
        ...(predictedElement ? { predictedElement } : {}),
      };
    });
  }
}
