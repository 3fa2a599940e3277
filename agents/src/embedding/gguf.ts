/**
 * Embeddings from a GGUF model through node-llama-cpp (`model.createEmbeddingContext()`).
 *
 * Meant for a real sentence-embedding GGUF (e.g. a bge / nomic-embed / all-MiniLM conversion). Any
 * GGUF works mechanically, but a plain language model's embeddings (such as stories260K's 64-d ones)
 * are not semantically meaningful, so they are only used to test the plumbing.
 *
 * Texts longer than the context are truncated to their first `contextSize - 3` tokens (room for
 * BOS/EOS), so long results can still be scored. Vectors are L2-normalised; an empty text gives the
 * zero vector.
 */

import { stat } from "node:fs/promises";
import { basename, resolve } from "node:path";
import type { LlamaEmbeddingContext, LlamaModel } from "node-llama-cpp";
import { assertThreads, getSharedLlama } from "../inference/llama.ts";
import { ModelNotFoundError } from "../inference/model.ts";
import type { Embedder } from "./types.ts";
import { l2Normalize } from "./vector.ts";

export interface GgufEmbedderOptions {
  /** Path of the GGUF embedding model. */
  modelPath: string;
  /** llama.cpp threads; required (the library default is very slow on small hosts). */
  threads: number;
  /** Context size in tokens (longer texts are truncated); default min(2048, the model's train context). */
  contextSize?: number;
}

export async function createGgufEmbedder(options: GgufEmbedderOptions): Promise<Embedder> {
  const { threads } = options;
  assertThreads(threads);
  const cs = options.contextSize;
  if (cs !== undefined && (!Number.isInteger(cs) || cs < 4)) {
    throw new TypeError(`contextSize must be an integer >= 4 (got ${String(cs)})`);
  }
  const modelPath = resolve(options.modelPath);
  const st = await stat(modelPath).catch(() => undefined);
  if (!st?.isFile()) throw new ModelNotFoundError(options.modelPath, [modelPath], "argument");

  const llama = await getSharedLlama();
  const model = await llama.loadModel({ modelPath });
  let context: LlamaEmbeddingContext;
  const contextSize = options.contextSize ?? Math.min(2048, model.trainContextSize);
  try {
    // The whole input must fit in one batch for pooled embeddings.
    context = await model.createEmbeddingContext({ contextSize, batchSize: contextSize, threads });
  } catch (err) {
    await model.dispose().catch(() => {});
    throw err;
  }
  return new GgufEmbedder(model, context, `gguf:${basename(modelPath)}`, contextSize);
}

class GgufEmbedder implements Embedder {
  readonly dimensions: number;
  private closed = false;

  constructor(
    private readonly model: LlamaModel,
    private readonly context: LlamaEmbeddingContext,
    readonly name: string,
    /** Requested context size (llama.cpp may round the real one up, never down). */
    private readonly contextSize: number,
  ) {
    this.dimensions = model.embeddingVectorSize;
  }

  async embed(text: string): Promise<Float32Array> {
    if (this.closed) throw new Error(`${this.name}: embedder is closed`);
    if (text.trim() === "") return new Float32Array(this.dimensions);
    let tokens = this.model.tokenize(text, false);
    const room = Math.max(1, this.contextSize - 3);
    if (tokens.length > room) tokens = tokens.slice(0, room);
    const { vector } = await this.context.getEmbeddingFor(tokens);
    if (vector.length !== this.dimensions) {
      throw new Error(`${this.name}: expected a ${this.dimensions}-d embedding, got ${vector.length}`);
    }
    return l2Normalize(Float32Array.from(vector));
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    await this.context.dispose();
    await this.model.dispose();
  }
}
