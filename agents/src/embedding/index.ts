/**
 * Validator embeddings: pick an embedder by config, then score results with `score.ts`.
 *
 * - `{ kind: "wink" }`: offline 100-d word-vector sentence embeddings (default for validators).
 * - `{ kind: "gguf", modelPath, threads }`: a GGUF embedding model via node-llama-cpp.
 */
import { createGgufEmbedder, type GgufEmbedderOptions } from "./gguf.ts";
import type { Embedder } from "./types.ts";
import { createWordVectorEmbedder } from "./wordVectors.ts";

export type EmbedderConfig = { kind: "wink" } | ({ kind: "gguf" } & GgufEmbedderOptions);

export async function createEmbedder(config: EmbedderConfig): Promise<Embedder> {
  switch (config.kind) {
    case "wink":
      return createWordVectorEmbedder();
    case "gguf":
      return createGgufEmbedder({
        modelPath: config.modelPath,
        threads: config.threads,
        ...(config.contextSize !== undefined ? { contextSize: config.contextSize } : {}),
      });
    default: {
      const kind: never = config;
      throw new TypeError(`unknown embedder kind: ${JSON.stringify((kind as { kind?: unknown }).kind)}`);
    }
  }
}

export { createGgufEmbedder, type GgufEmbedderOptions } from "./gguf.ts";
export { cosine, MAX_SCORE, medoidIndex, scoreAgainstMedoid, similarityToScore } from "./score.ts";
export type { Embedder, Vector } from "./types.ts";
export { l2Normalize } from "./vector.ts";
export { createWordVectorEmbedder, WINK_EMBEDDER_NAME } from "./wordVectors.ts";
