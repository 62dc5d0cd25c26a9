/**
 * Runs to groups: each finished run (a video's consecutive near-duplicate group, or a linked set of
 * images) is matched against the scenes seen so far (SceneIndex) and joins the group of the scene
 * it shows, so a revisit, also in another file, lands in the group of its first visit. Groups are
 * numbered in order of first appearance; a group's representative is the first frame of its first run.
 * Memory: the records themselves, and per scene SceneIndex.bytesPerScene.
 */
import type { FramePlace, FrameRecord, GroupRecord } from '../types.js';
import { SceneIndex, sceneSignature } from './scene-index.js';
import { normalized } from './vector.js';

/** One frame of a run: its record (ids are filled in when the run is added) and its perceptual hash. */
export interface RunMember {
  record: FrameRecord;
  hash: bigint;
}

export class SceneCollector {
  readonly frames: FrameRecord[] = [];
  readonly groups: GroupRecord[] = [];
  private readonly index: SceneIndex | undefined;
  private segmentCount = 0;
  private readonly groupOfScene = new Map<number, GroupRecord>();
  private embeddingLength = 0;

  /** Without `revisit` thresholds every run is a group of its own. */
  constructor(revisit?: { hashBits: number; minCosine: number }) {
    if (revisit) this.index = new SceneIndex(revisit);
  }

  /** Bytes the scene index holds, to size archives. */
  get indexBytes(): number {
    return this.index ? this.index.size * SceneIndex.bytesPerScene(this.embeddingLength) : 0;
  }

  /** One finished run: its members in order, the sum of their unit embeddings, the thumbnail of its first member. */
  addSegment(members: RunMember[], embeddingSum: Float32Array | undefined, thumbnail: Buffer | undefined): void {
    if (!members.length) return;
    const segmentId = this.segmentCount++;
    if (embeddingSum) this.embeddingLength = embeddingSum.length;
    const signature = { ...sceneSignature(members), ...(embeddingSum ? { embedding: normalized(embeddingSum) } : {}) };
    const sceneId = this.index ? this.index.assign(signature).sceneId : segmentId;
    let group = this.groupOfScene.get(sceneId);
    const first = members[0]!.record;
    const last = members[members.length - 1]!.record;
    const place = (r: FrameRecord): FramePlace => ({ sourceId: r.sourceId, index: r.index, ptsSeconds: r.ptsSeconds });
    if (!group) {
      group = {
        groupId: this.groups.length,
        members: 0,
        segments: 0,
        sources: [],
        first: place(first),
        last: place(last),
        representative: place(first),
        ...(thumbnail ? { thumbnail } : {}),
      };
      this.groups.push(group);
      this.groupOfScene.set(sceneId, group);
    }
    group.members += members.length;
    group.segments++;
    group.last = place(last);
    for (const m of members) if (!group.sources.includes(m.record.sourceId)) group.sources.push(m.record.sourceId);
    for (const m of members) {
      m.record.segmentId = segmentId;
      m.record.groupId = group.groupId;
      this.frames.push(m.record);
    }
  }
}
