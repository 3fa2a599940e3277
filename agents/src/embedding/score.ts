/**
 * Pure scoring functions for the `Embedding` validation mode.
 *
 * A validator embeds the R revealed results of a task, finds their medoid (the result most similar
 * to all the others) and attests one score per miner: `round(max(0, cosine(v_i, v_medoid)) * 10000)`,
 * an integer in 0..10000 (the medoid itself scores 10000). The contract takes the median of the
 * validators' scores per miner at finalization; miners whose median is >= the session's acceptance
 * threshold are accepted, the highest-scored result becomes the task's result, and the others are
 * rejected (reputation down, stake slashed).
 */
import type { Vector } from "./types.ts";

/** Maximum score (cosine similarity 1.0), in basis points. */
export const MAX_SCORE = 10_000;

/**
 * Cosine similarity of two equal-length vectors, in [-1, 1]. A zero vector has similarity 0 with
 * everything (including another zero vector), so empty results never look alike.
 */
export function cosine(a: Vector, b: Vector): number {
  if (a.length !== b.length) {
    throw new RangeError(`cosine: vector lengths differ (${a.length} vs ${b.length})`);
  }
  let dot = 0;
  let na = 0;
  let nb = 0;
  for (let i = 0; i < a.length; i++) {
    const x = a[i];
    const y = b[i];
    dot += x * y;
    na += x * x;
    nb += y * y;
  }
  if (na === 0 || nb === 0) return 0;
  const c = dot / (Math.sqrt(na) * Math.sqrt(nb));
  // Clamp float noise so identical vectors give exactly 1.
  return Math.max(-1, Math.min(1, c));
}

/**
 * Index of the medoid: the vector with the highest summed cosine similarity to all the others.
 * Ties go to the lowest index. Throws on an empty list.
 */
export function medoidIndex(vectors: readonly Vector[]): number {
  if (vectors.length === 0) throw new RangeError("medoidIndex: no vectors");
  const n = vectors.length;
  const sums = new Array<number>(n).fill(0);
  for (let i = 0; i < n; i++) {
    for (let j = i + 1; j < n; j++) {
      const c = cosine(vectors[i], vectors[j]);
      sums[i] += c;
      sums[j] += c;
    }
  }
  let best = 0;
  for (let i = 1; i < n; i++) {
    if (sums[i] > sums[best]) best = i;
  }
  return best;
}

/** Converts a cosine similarity to an integer score 0..10000 (negative similarity → 0). */
export function similarityToScore(similarity: number): number {
  const s = Math.round(Math.max(0, similarity) * MAX_SCORE);
  return Math.min(MAX_SCORE, s);
}

/**
 * One integer score 0..10000 per vector: its cosine similarity to the medoid of all vectors
 * (negative similarity clamps to 0). The medoid itself always scores 10000, even if it is a zero
 * vector (in which case all the others are zero vectors or score 0 against it).
 */
export function scoreAgainstMedoid(vectors: readonly Vector[]): number[] {
  if (vectors.length === 0) return [];
  const m = medoidIndex(vectors);
  return vectors.map((v, i) => (i === m ? MAX_SCORE : similarityToScore(cosine(v, vectors[m]))));
}
