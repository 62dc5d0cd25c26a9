/**
 * An index of scenes for finding revisits: each scene keeps a few member hashes and the unit mean
 * of its members' embeddings. A consecutive group is matched against every scene (linear scan:
 * a few hundred scenes an hour of video) and joins the closest one that passes the thresholds.
 * Memory grows with the archive: `bytesPerScene` says how much.
 */
import { hashDistance } from './hash.js';
import { cosine, normalized } from './vector.js';

export interface SceneSignature {
  hashes: readonly bigint[];
  /** Unit-length mean embedding of the members, when inference ran. */
  embedding?: Float32Array;
}

export interface SceneMatch {
  sceneId: number;
  hashBits: number;
  cosine?: number;
}

interface Scene {
  hashes: bigint[];
  embedding?: Float32Array;
  /** Members behind the running mean embedding. */
  weight: number;
}

/** Signature of a run of frames: up to `maxHashes` hashes spread evenly over the run, and the mean embedding. */
export function sceneSignature(members: readonly { hash: bigint; embedding?: Float32Array }[], maxHashes = 8): SceneSignature {
  const hashes: bigint[] = [];
  const step = Math.max(1, members.length / maxHashes);
  for (let i = 0; i < members.length && hashes.length < maxHashes; i += step) hashes.push(members[Math.floor(i)]!.hash);
  const withEmbedding = members.filter((m) => m.embedding);
  if (!withEmbedding.length) return { hashes };
  const sum = new Float32Array(withEmbedding[0]!.embedding!.length);
  for (const m of withEmbedding) {
    const unit = normalized(m.embedding!);
    for (let i = 0; i < sum.length; i++) sum[i]! += unit[i]!;
  }
  return { hashes, embedding: normalized(sum) };
}

export class SceneIndex {
  private readonly scenes: Scene[] = [];

  constructor(
    private readonly thresholds: { hashBits: number; minCosine: number },
    private readonly maxHashesPerScene = 16,
  ) {}

  get size(): number {
    return this.scenes.length;
  }

  /** Approximate bytes held for one scene with `embeddingLength` floats. */
  static bytesPerScene(embeddingLength: number, maxHashesPerScene = 16): number {
    return maxHashesPerScene * 8 + embeddingLength * 4 + 64;
  }

  /** The best scene within the thresholds (fewest hash bits, then highest cosine), if any. */
  match(signature: SceneSignature): SceneMatch | undefined {
    let best: SceneMatch | undefined;
    this.scenes.forEach((scene, sceneId) => {
      let bits = 65;
      for (const a of scene.hashes) for (const b of signature.hashes) bits = Math.min(bits, hashDistance(a, b));
      if (bits > this.thresholds.hashBits) return;
      const cos = scene.embedding && signature.embedding ? cosine(scene.embedding, signature.embedding) : undefined;
      if (cos !== undefined && cos < this.thresholds.minCosine) return;
      if (!best || bits < best.hashBits || (bits === best.hashBits && (cos ?? 0) > (best.cosine ?? 0)))
        best = { sceneId, hashBits: bits, ...(cos !== undefined ? { cosine: cos } : {}) };
    });
    return best;
  }

  /** Adds a new scene and returns its id. */
  add(signature: SceneSignature): number {
    this.scenes.push({
      hashes: signature.hashes.slice(0, this.maxHashesPerScene),
      ...(signature.embedding ? { embedding: signature.embedding } : {}),
      weight: 1,
    });
    return this.scenes.length - 1;
  }

  /** Folds a matched run into a scene: more hashes (up to the cap) and a running mean embedding. */
  extend(sceneId: number, signature: SceneSignature): void {
    const scene = this.scenes[sceneId];
    if (!scene) throw new RangeError(`no scene ${sceneId}`);
    for (const h of signature.hashes) if (scene.hashes.length < this.maxHashesPerScene && !scene.hashes.includes(h)) scene.hashes.push(h);
    if (signature.embedding) {
      if (!scene.embedding) scene.embedding = signature.embedding;
      else {
        const merged = new Float32Array(scene.embedding.length);
        for (let i = 0; i < merged.length; i++) merged[i] = scene.embedding[i]! * scene.weight + signature.embedding[i]!;
        scene.embedding = normalized(merged);
      }
      scene.weight++;
    }
  }

  /** Matches `signature` and extends that scene, or adds a new one. */
  assign(signature: SceneSignature): { sceneId: number; revisit: boolean } {
    const found = this.match(signature);
    if (found) {
      this.extend(found.sceneId, signature);
      return { sceneId: found.sceneId, revisit: true };
    }
    return { sceneId: this.add(signature), revisit: false };
  }
}
