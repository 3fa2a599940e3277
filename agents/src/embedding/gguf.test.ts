/**
 * Plumbing only: stories260K's own 64-d embeddings are not semantically meaningful, so nothing
 * here asserts that similar texts score higher than different ones.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { ModelNotFoundError, resolveModelPath } from "../inference/model.ts";
import { createEmbedder } from "./index.ts";
import type { Embedder } from "./types.ts";

let embedder: Embedder;

beforeAll(async () => {
  embedder = await createEmbedder({ kind: "gguf", modelPath: await resolveModelPath(), threads: 1 });
});

afterAll(async () => {
  await embedder?.close();
});

describe("GGUF embedder (stories260K)", () => {
  it("reports its name and dimensions", () => {
    expect(embedder.name).toBe("gguf:stories260K.gguf");
    expect(embedder.dimensions).toBe(64);
  });

  it("returns deterministic, L2-normalised 64-d vectors", async () => {
    const text = "Once upon a time there was a cat.";
    const a = await embedder.embed(text);
    const b = await embedder.embed(text);
    await embedder.embed("Something else in between.");
    const c = await embedder.embed(text);
    expect(a).toBeInstanceOf(Float32Array);
    expect(a.length).toBe(64);
    expect(Array.from(b)).toEqual(Array.from(a));
    expect(Array.from(c)).toEqual(Array.from(a));
    expect(Math.hypot(...a)).toBeCloseTo(1, 5);
    expect(a.some((x) => x !== 0)).toBe(true);
  });

  it("gives the zero vector for empty text and truncates over-long text", async () => {
    expect((await embedder.embed("")).every((x) => x === 0)).toBe(true);
    const long = await embedder.embed("Once upon a time there was a cat. ".repeat(400)); // > 2048 tokens
    expect(long.length).toBe(64);
    expect(Math.hypot(...long)).toBeCloseTo(1, 5);
  });

  it("requires threads and an existing file", async () => {
    await expect(createEmbedder({ kind: "gguf", modelPath: await resolveModelPath(), threads: 0 })).rejects.toThrow(
      /threads/,
    );
    await expect(createEmbedder({ kind: "gguf", modelPath: "/no/such.gguf", threads: 1 })).rejects.toBeInstanceOf(
      ModelNotFoundError,
    );
  });
});
