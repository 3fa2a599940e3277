/**
 * The miner's inference engine: plain-text completion with node-llama-cpp, greedy by default or
 * sampled as the session declares (`sampling`: temperature / top-k / top-p, see sampling.ts).
 *
 * Determinism contract for greedy generations (what lets redundant miners produce byte-identical
 * results, so tasks take the on-chain fast path): for the same model file, prompt, maxTokens and
 * contextSize the output text is byte-identical across calls, processes and thread counts. To get
 * there every generation
 * - samples greedily (temperature 0) with no repeat penalty, no grammar, no stop strings (sampled
 *   generations use exactly the declared window and nothing else, so validators can replay it);
 * - starts from an empty KV cache (`clearHistory()`), so the prompt is always evaluated the same way
 *   and never partly reused from an earlier request;
 * - runs alone in its own llama.cpp context: concurrency uses one context per slot instead of one
 *   context with several sequences, because llama.cpp batches the sequences of one context into a
 *   single decode, and a different batch shape can change floating-point rounding;
 * - never shifts the context: generation stops at EOS, at maxTokens, or when the context is full.
 *
 * The prompt is tokenized with BOS prepended (as LlamaCompletion does); the output is the raw
 * continuation, detokenized against the prompt so a leading space is kept (`prompt + text` is the
 * full document).
 */

import { randomInt } from "node:crypto";
import { stat } from "node:fs/promises";
import { basename, resolve } from "node:path";
import {
  LlamaCompletion,
  type LlamaContext,
  type LlamaContextSequence,
  type LlamaModel,
  type Token,
} from "node-llama-cpp";
import { assertThreads, getSharedLlama, sha256File } from "./llama.ts";
import { ModelNotFoundError } from "./model.ts";
import { assertSampling, GREEDY, isGreedy, type SamplingParams } from "./sampling.ts";
import { committedTokenCount, promptTokensOf } from "./tokens.ts";

export interface InferenceEngineOptions {
  /** Absolute or cwd-relative path of a GGUF file (see `resolveModelPath`). */
  modelPath: string;
  /** llama.cpp threads per generation; required (the library default is very slow on small hosts). */
  threads: number;
  /** Tokens of context per slot (prompt + output); default min(2048, the model's train context). */
  contextSize?: number;
  /** Generations that may run at once (one llama.cpp context each); default 1. Extra calls wait FIFO. */
  maxConcurrency?: number;
}

export interface GenerateRequest {
  /** Plain-text prompt (use `renderChatPrompt` for chat messages). */
  prompt: string;
  /** Upper bound on generated tokens (positive integer). */
  maxTokens: number;
  /** Receives decoded text pieces as they are produced; their concatenation equals `text`. */
  onToken?: (piece: string) => void;
  /** Aborts while queued or generating; the promise rejects with `signal.reason`. */
  signal?: AbortSignal;
  /** The session's declared sampling; default greedy. */
  sampling?: SamplingParams;
  /** Seed of a sampled generation (uint32); default a fresh random one. Ignored when greedy. */
  seed?: number;
}

export type StopReason = "eos" | "maxTokens" | "contextFull";

export interface GenerateResult {
  /** The generated continuation (not including the prompt). */
  text: string;
  /** Number of generated output tokens (EOS excluded); 0 < tokens ≤ maxTokens unless EOS came first. */
  tokens: number;
  /** Prompt tokens evaluated, BOS included. */
  promptTokens: number;
  /** Wall time of the generation itself (after leaving the queue), in ms. */
  ms: number;
  /** From the start of the generation to the first text piece, in ms (equals `ms` if none). */
  firstTokenMs: number;
  /** Time spent waiting for a free slot, in ms. */
  queueMs: number;
  stopReason: StopReason;
}

export interface InferenceEngine {
  /** Absolute path of the loaded GGUF file. */
  readonly modelPath: string;
  /** Basename of the GGUF file, e.g. `stories260K.gguf`. */
  readonly modelFile: string;
  /** Hex sha256 of the GGUF file (derive the on-chain model id from it). */
  readonly sha256: string;
  readonly threads: number;
  readonly contextSize: number;
  readonly maxConcurrency: number;
  /** Generations running now. */
  readonly active: number;
  /** Generations waiting for a slot. */
  readonly queued: number;
  generate(request: GenerateRequest): Promise<GenerateResult>;
  /** Number of tokens `text` tokenizes to (no BOS). */
  countTokens(text: string): number;
  /** The token count a miner commits for a result text of a task (tokens.ts: `committedTokenCount`). */
  countOutputTokens(text: string, maxTokens: number): number;
  /**
   * Rejects queued calls, waits for running ones to finish, then disposes the contexts and the
   * model. Idempotent.
   */
  close(): Promise<void>;
}

export class EngineClosedError extends Error {
  override readonly name = "EngineClosedError";
  constructor() {
    super("Inference engine is closed");
  }
}

export class PromptTooLongError extends Error {
  override readonly name = "PromptTooLongError";
  constructor(
    readonly promptTokens: number,
    readonly contextSize: number,
  ) {
    super(
      `Prompt is ${promptTokens} tokens, which leaves no room to generate in a context of ${contextSize} tokens; ` +
        "shorten the prompt or raise contextSize",
    );
  }
}

interface Slot {
  context: LlamaContext;
  sequence: LlamaContextSequence;
  completion: LlamaCompletion;
}

interface Waiter {
  resolve: (slot: Slot) => void;
  reject: (err: unknown) => void;
}

const DEFAULT_CONTEXT_SIZE = 2048;
const MAX_BATCH_SIZE = 512;
/** Recent tokens passed to the detokenizer so pieces keep their leading spaces. */
const DETOKENIZE_CONTEXT = 16;

function assertPositiveInt(name: string, v: unknown): asserts v is number {
  if (typeof v !== "number" || !Number.isInteger(v) || v < 1) {
    throw new TypeError(`${name} must be a positive integer (got ${String(v)})`);
  }
}

/**
 * LlamaCompletion options for a declared sampling. node-llama-cpp defaults to top-k 40 and top-p
 * 0.95 when they are not given, so "off" is passed explicitly (top-k 0 = whole vocabulary, top-p 1).
 */
function samplerOptions(sampling: SamplingParams, seed: number | undefined) {
  if (isGreedy(sampling)) return { temperature: 0 };
  return {
    temperature: sampling.temperature,
    topK: sampling.topK,
    topP: sampling.topP,
    minP: 0,
    seed: seed ?? randomInt(0, 2 ** 32 - 1),
  };
}

/** Loads the model once and prepares `maxConcurrency` generation slots. */
export async function createInferenceEngine(options: InferenceEngineOptions): Promise<InferenceEngine> {
  const { threads } = options;
  assertThreads(threads);
  const maxConcurrency = options.maxConcurrency ?? 1;
  assertPositiveInt("maxConcurrency", maxConcurrency);
  if (options.contextSize !== undefined) assertPositiveInt("contextSize", options.contextSize);

  const modelPath = resolve(options.modelPath);
  const st = await stat(modelPath).catch(() => undefined);
  if (!st?.isFile()) throw new ModelNotFoundError(options.modelPath, [modelPath], "argument");

  const shaPromise = sha256File(modelPath);
  shaPromise.catch(() => {}); // awaited below; avoid an unhandled rejection if loading fails first
  const llama = await getSharedLlama();
  const model = await llama.loadModel({ modelPath });
  const slots: Slot[] = [];
  try {
    const contextSize = options.contextSize ?? Math.min(DEFAULT_CONTEXT_SIZE, model.trainContextSize);
    for (let i = 0; i < maxConcurrency; i++) {
      const context = await model.createContext({
        contextSize,
        batchSize: Math.min(MAX_BATCH_SIZE, contextSize),
        threads,
        sequences: 1,
      });
      const sequence = context.getSequence();
      slots.push({ context, sequence, completion: new LlamaCompletion({ contextSequence: sequence }) });
    }
    const sha256 = await shaPromise;
    return new Engine(model, slots, {
      modelPath,
      sha256,
      threads,
      contextSize: slots[0].context.contextSize,
      maxConcurrency,
    });
  } catch (err) {
    for (const s of slots) await s.context.dispose().catch(() => {});
    await model.dispose().catch(() => {});
    throw err;
  }
}

class Engine implements InferenceEngine {
  readonly modelPath: string;
  readonly modelFile: string;
  readonly sha256: string;
  readonly threads: number;
  readonly contextSize: number;
  readonly maxConcurrency: number;

  private readonly free: Slot[];
  private readonly waiters: Waiter[] = [];
  private closed = false;
  private closing: Promise<void> | undefined;
  private drained: (() => void) | undefined;

  constructor(
    private readonly model: LlamaModel,
    private readonly slots: Slot[],
    info: { modelPath: string; sha256: string; threads: number; contextSize: number; maxConcurrency: number },
  ) {
    this.modelPath = info.modelPath;
    this.modelFile = basename(info.modelPath);
    this.sha256 = info.sha256;
    this.threads = info.threads;
    this.contextSize = info.contextSize;
    this.maxConcurrency = info.maxConcurrency;
    this.free = [...slots];
  }

  get active(): number {
    return this.slots.length - this.free.length;
  }

  get queued(): number {
    return this.waiters.length;
  }

  countTokens(text: string): number {
    if (this.closed) throw new EngineClosedError();
    return this.model.tokenize(text, false).length;
  }

  countOutputTokens(text: string, maxTokens: number): number {
    if (this.closed) throw new EngineClosedError();
    return committedTokenCount(this.model, text, maxTokens);
  }

  async generate(request: GenerateRequest): Promise<GenerateResult> {
    const { prompt, maxTokens, onToken, signal } = request;
    const sampling = request.sampling ?? GREEDY;
    if (typeof prompt !== "string") throw new TypeError("prompt must be a string");
    assertPositiveInt("maxTokens", maxTokens);
    assertSampling(sampling);
    if (this.closed) throw new EngineClosedError();
    signal?.throwIfAborted();

    // Same tokenization LlamaCompletion uses for a string prompt, so the count is exact.
    const promptTokens = promptTokensOf(this.model, prompt);
    if (promptTokens.length >= this.contextSize) {
      throw new PromptTooLongError(promptTokens.length, this.contextSize);
    }

    const queuedAt = performance.now();
    const slot = await this.acquire(signal);
    const start = performance.now();
    try {
      await slot.sequence.clearHistory();
      let recent: Token[] = promptTokens.slice(-DETOKENIZE_CONTEXT);
      const pieces: string[] = [];
      let tokens = 0;
      let firstTokenAt: number | undefined;
      const result = await slot.completion.generateCompletionWithMeta(prompt, {
        maxTokens,
        ...samplerOptions(sampling, request.seed),
        repeatPenalty: false,
        disableContextShift: true,
        contextShiftSize: 1,
        ...(signal ? { signal } : {}),
        onToken: (chunk) => {
          const piece = this.model.detokenize(chunk, false, recent);
          recent = [...recent, ...chunk].slice(-DETOKENIZE_CONTEXT);
          tokens += chunk.length;
          if (piece === "") return;
          firstTokenAt ??= performance.now();
          pieces.push(piece);
          onToken?.(piece);
        },
      });
      const end = performance.now();
      const stop = result.metadata.stopReason;
      // With context shift disabled LlamaCompletion lowers maxTokens to the room left in the context.
      const contextFull = this.contextSize - promptTokens.length < maxTokens;
      const stopReason: StopReason = stop === "maxTokens" ? (contextFull ? "contextFull" : "maxTokens") : "eos";
      return {
        text: pieces.join(""),
        tokens,
        promptTokens: promptTokens.length,
        ms: end - start,
        firstTokenMs: (firstTokenAt ?? end) - start,
        queueMs: start - queuedAt,
        stopReason,
      };
    } finally {
      this.release(slot);
    }
  }

  private acquire(signal: AbortSignal | undefined): Promise<Slot> {
    const slot = this.free.shift();
    if (slot) return Promise.resolve(slot);
    return new Promise<Slot>((resolve, reject) => {
      const onAbort = () => {
        const i = this.waiters.indexOf(waiter);
        if (i >= 0) this.waiters.splice(i, 1);
        reject(signal?.reason);
      };
      const waiter: Waiter = {
        resolve: (s) => {
          signal?.removeEventListener("abort", onAbort);
          resolve(s);
        },
        reject: (err) => {
          signal?.removeEventListener("abort", onAbort);
          reject(err);
        },
      };
      signal?.addEventListener("abort", onAbort, { once: true });
      this.waiters.push(waiter);
    });
  }

  private release(slot: Slot): void {
    if (this.closed) {
      this.free.push(slot);
      if (this.free.length === this.slots.length) this.drained?.();
      return;
    }
    const next = this.waiters.shift();
    if (next) next.resolve(slot);
    else this.free.push(slot);
  }

  close(): Promise<void> {
    this.closing ??= (async () => {
      this.closed = true;
      for (const w of this.waiters.splice(0)) w.reject(new EngineClosedError());
      // Let running generations finish (callers can abort them with their signals).
      if (this.free.length < this.slots.length) {
        await new Promise<void>((resolve) => {
          this.drained = resolve;
        });
      }
      for (const s of this.slots) {
        s.completion.dispose();
        await s.context.dispose();
      }
      await this.model.dispose();
    })();
    return this.closing;
  }
}
