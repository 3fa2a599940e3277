import { describe, expect, it } from "vitest";
import { cosine, MAX_SCORE, medoidIndex, scoreAgainstMedoid, similarityToScore } from "./score.ts";
import { l2Normalize } from "./vector.ts";

describe("cosine", () => {
  it("computes cosine similarity of hand-made vectors", () => {
    expect(cosine([1, 0], [1, 0])).toBe(1);
    expect(cosine([1, 0], [0, 1])).toBe(0);
    expect(cosine([1, 0], [-1, 0])).toBe(-1);
    expect(cosine([3, 4], [6, 8])).toBe(1); // scale-invariant
    expect(cosine([1, 1], [1, 0])).toBeCloseTo(Math.SQRT1_2, 12);
    expect(cosine(new Float32Array([1, 2, 3]), [1, 2, 3])).toBe(1);
  });

  it("treats zero vectors as similar to nothing and rejects length mismatches", () => {
    expect(cosine([0, 0], [1, 0])).toBe(0);
    expect(cosine([0, 0], [0, 0])).toBe(0);
    expect(() => cosine([1], [1, 2])).toThrow(RangeError);
  });
});

describe("medoidIndex", () => {
  it("picks the vector with the highest summed similarity to the others", () => {
    // b sits between a and c, so it is closest to both.
    const a = [1, 0];
    const b = [1, 1];
    const c = [0, 1];
    expect(medoidIndex([a, b, c])).toBe(1);
    expect(medoidIndex([c, a, b])).toBe(2);
  });

  it("ignores an outlier", () => {
    // The outlier is orthogonal to the others; [1, 0, 0] sits between the two [1, ±0.2, 0].
    const vs = [
      [1, 0.2, 0],
      [1, -0.2, 0],
      [1, 0, 0],
      [0, 0, 1],
    ];
    expect(medoidIndex(vs)).toBe(2);
  });

  it("breaks ties towards the lowest index", () => {
    expect(
      medoidIndex([
        [1, 0],
        [1, 0],
        [1, 0],
      ]),
    ).toBe(0);
    expect(
      medoidIndex([
        [1, 0],
        [0, 1],
      ]),
    ).toBe(0);
    expect(medoidIndex([[5, 5]])).toBe(0);
    expect(() => medoidIndex([])).toThrow(RangeError);
  });
});

describe("scoreAgainstMedoid", () => {
  it("scores each vector 0..10000 against the medoid, medoid = 10000", () => {
    const scores = scoreAgainstMedoid([
      [1, 0],
      [1, 1],
      [0, 1],
    ]);
    expect(scores).toEqual([7071, MAX_SCORE, 7071]);
  });

  it("clamps negative similarity to 0 and returns integers", () => {
    const scores = scoreAgainstMedoid([
      [1, 0.2],
      [1, -0.2],
      [-1, 0],
    ]);
    expect(scores[2]).toBe(0);
    for (const s of scores) {
      expect(Number.isInteger(s)).toBe(true);
      expect(s).toBeGreaterThanOrEqual(0);
      expect(s).toBeLessThanOrEqual(MAX_SCORE);
    }
    expect(Math.max(...scores)).toBe(MAX_SCORE);
  });

  it("gives identical vectors full marks and handles edge cases", () => {
    const v = l2Normalize(new Float32Array([0.3, -0.2, 0.9]));
    expect(scoreAgainstMedoid([v, Float32Array.from(v), Float32Array.from(v)])).toEqual([10000, 10000, 10000]);
    expect(scoreAgainstMedoid([])).toEqual([]);
    expect(scoreAgainstMedoid([[0, 0]])).toEqual([MAX_SCORE]);
    expect(
      scoreAgainstMedoid([
        [1, 0],
        [0, 0],
      ]),
    ).toEqual([MAX_SCORE, 0]);
  });

  it("rounds to the nearest basis point", () => {
    expect(similarityToScore(0.99995)).toBe(10000);
    expect(similarityToScore(0.12344)).toBe(1234);
    expect(similarityToScore(0.12345)).toBe(1235);
    expect(similarityToScore(-0.5)).toBe(0);
  });
});
