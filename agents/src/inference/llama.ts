/**
 * One node-llama-cpp `Llama` instance per process, shared by the inference engine and the GGUF
 * embedder.
 *
 * Always CPU (`gpu: false`) and always the prebuilt binary (`build: "never"`): a source build
 * would try to download and compile llama.cpp, which is slow and fails offline. Thread counts are
 * passed per context by the callers (the node-llama-cpp default is far slower on small machines).
 */

import { createHash } from "node:crypto";
import { createReadStream } from "node:fs";
import { stat } from "node:fs/promises";
import { getLlama, type Llama, LlamaLogLevel } from "node-llama-cpp";

export interface SharedLlamaOptions {
  /** llama.cpp log level; default `error` (llama.cpp warns about harmless GGUF metadata quirks). */
  logLevel?: LlamaLogLevel;
  /** Receives llama.cpp log lines at or above `logLevel`; default: node-llama-cpp's console logger. */
  logger?: (level: LlamaLogLevel, message: string) => void;
}

let llamaPromise: Promise<Llama> | undefined;

/**
 * The process-wide `Llama` instance (created on first call; the first caller's options win).
 * A failed load is not cached, so a later call retries.
 */
export function getSharedLlama(options: SharedLlamaOptions = {}): Promise<Llama> {
  if (!llamaPromise) {
    const p = getLlama({
      gpu: false,
      build: "never",
      logLevel: options.logLevel ?? LlamaLogLevel.error,
      ...(options.logger ? { logger: options.logger } : {}),
    });
    llamaPromise = p;
    p.catch(() => {
      if (llamaPromise === p) llamaPromise = undefined;
    });
  }
  return llamaPromise;
}

/** Throws a TypeError unless `threads` is a positive integer. */
export function assertThreads(threads: unknown): asserts threads is number {
  if (typeof threads !== "number" || !Number.isInteger(threads) || threads < 1) {
    throw new TypeError(
      `threads must be a positive integer (got ${String(threads)}); pass it explicitly, e.g. threads: 1`,
    );
  }
}

const shaCache = new Map<string, Promise<string>>();

/**
 * Hex sha256 of a file, computed by streaming it once. Cached per (path, size, mtime), so several
 * engines over the same model file hash it only once per process.
 */
export async function sha256File(path: string): Promise<string> {
  const st = await stat(path);
  const key = `${path}\0${st.size}\0${st.mtimeMs}`;
  let p = shaCache.get(key);
  if (!p) {
    p = new Promise<string>((resolve, reject) => {
      const hash = createHash("sha256");
      createReadStream(path)
        .on("data", (chunk) => hash.update(chunk))
        .on("error", reject)
        .on("end", () => resolve(hash.digest("hex")));
    });
    shaCache.set(key, p);
    p.catch(() => shaCache.delete(key));
  }
  return p;
}
