/**
 * Replay validation: a validator re-evaluates `prompt + claimed output` through the session's model
 * in ONE prefill pass (node-llama-cpp `sequence.controlledEvaluate`, next-token logits at every
 * output position) and scores the miner 0..10000.
 *
 * Tokenization is the miners' (tokens.ts): BOS + prompt tokens, then the output's canonical tokens;
 * their count must equal the committed/revealed token count, otherwise the score is 0.
 *
 * Greedy sessions (temperature 0): the output must be the model's argmax at every position.
 * - A position matches when the claimed token is the argmax, ties within `TIE_LOGITS` included
 *   (generation decodes one token at a time, the replay in batches: float rounding can differ).
 * - Where the argmax spells the same text by another split (greedy generation picks a non-canonical
 *   split of a word now and then, or a control token the text cannot show, like the BOS stories260K
 *   emits between stories), the token path is repaired from there and the suffix re-evaluated.
 * - score = 10000 × max(0, 1 − 4 × mismatches / min(n, 64)): one wrong token in 64 or more → 9375 (a float
 *   flip beyond the tie allowance, ≈ 1 in 32,000 positions, stays above the 9000 bar), two → 8750, six → 6250.
 *   Normalising by at most 64 tokens matters: an answer to another prompt gets its mismatches in its first tokens
 *   (then the model predicts the story from the story itself), so a share of the whole length shrank with length.
 * - Ending: an output shorter than its cap (min(maxTokens, context room)) must end where the model
 *   ends it, i.e. end-of-sequence is the argmax after the last token. Otherwise (a truncated answer)
 *   the score is capped at 5000.
 * Sampled sessions (temperature > 0): the output must be a plausible draw from the declared window.
 * - The window at each position is what node-llama-cpp's sampler keeps: top-k, then the top-p nucleus
 *   of the renormalised top-k set at temperature 1, then temperature. A claimed token (or the final
 *   end-of-sequence when the output is shorter than its cap) outside the window, or whose probability
 *   under the windowed distribution at the declared temperature is below `PROBABILITY_FLOOR`, is
 *   "outside"; any outside token caps the score at 5000 × the inside share.
 * - Typicality: z = (Σ surprisal − Σ entropy) / sqrt(Σ variance + 1) over the windowed distributions.
 *   An honest draw has E[z] = 0, sd ≈ 1; unrelated, perturbed or garbage text is far more surprising
 *   (z ≫ 0), a greedy answer to a sampled session far less (z ≪ 0). score = 10000 for
 *   −Z_LOW ≤ z ≤ Z_HIGH, then −2000 per unit of z beyond.
 */
import { stat } from "node:fs/promises";
import { basename, resolve } from "node:path";
import type { LlamaContext, LlamaContextSequence, LlamaModel, Token } from "node-llama-cpp";
import { assertThreads, getSharedLlama, sha256File } from "./llama.ts";
import { ModelNotFoundError } from "./model.ts";
import { assertSampling, GREEDY, isGreedy, type SamplingParams } from "./sampling.ts";
import { outputTokensOf, promptTokensOf } from "./tokens.ts";

export const MAX_SCORE = 10_000;
/** Logit distance under which two tokens count as tied for argmax (batch-shape float noise). */
export const TIE_LOGITS = 0.01;
/** Each wrong token costs this many times its share of the output, or of `MISMATCH_WINDOW` tokens (greedy). */
export const MISMATCH_WEIGHT = 4;
/**
 * Longer outputs do not dilute mismatches beyond this many tokens: an answer written for another prompt diverges
 * in its first few tokens only (a lazy 512-token answer scored up to 9531 when mismatches were a share of n).
 */
export const MISMATCH_WINDOW = 64;
/** Cap for a result that does not end where the model ends it, or has tokens outside the window. */
export const FAULT_CAP = 5_000;
/** Minimum probability of a sampled token under the declared window and temperature. */
export const PROBABILITY_FLOOR = 1e-7;
/** Typicality bounds on z (sampled sessions) inside which the score is full. */
export const Z_HIGH = 3;
export const Z_LOW = 5;
/** Score lost per unit of z beyond the bounds. */
export const Z_SLOPE = 2_000;
/** Logits fetched per position for sampled sessions (the whole vocabulary for small models). */
const SAMPLED_TOP = 1024;
/** At most this many non-canonical splits are repaired per output. */
const MAX_REPAIRS = 16;
/** Extra logits fetched beyond a top-k window, for ties at its edge. */
const TIE_MARGIN = 8;
/** Path tokens fed per evaluation call at most (splits are repaired between calls). */
const REPLAY_CHUNK = 128;
/**
 * Path tokens fed by the first call after a repair; each call without a repair doubles it up to `REPLAY_CHUNK`.
 * What a repair wastes is what was evaluated past it, so bad positions close together (a cheat) cost little.
 */
const REPAIR_CHUNK = 16;
/** Tokens of context a piece is rendered after (the miners' engine renders its output the same way). */
const DETOKENIZE_CONTEXT = 16;
/** How many tokens before a bad position a split may start. */
const BACKTRACK = 2;
/**
 * Share of the cap (at least 2 tokens) by which a canonical token count may differ from the sampling
 * steps: sampled outputs that close to their cap count as stopped by it, and may exceed it by as much.
 */
export const SPLIT_SLACK = 0.03;

export interface ReplayScorerOptions {
  /** GGUF file of the session's model. */
  modelPath: string;
  /** llama.cpp threads (required; 1 on small hosts). */
  threads: number;
  /** Expected on-chain model id (0x + sha256 of the GGUF); loading fails if the file differs. */
  modelId?: string;
  /** Tokens of context; default the engine's rule, min(2048, the model's train context). */
  contextSize?: number;
  /** Prefill batch size; default 64 (measured fastest for stories260K on one thread). */
  batchSize?: number;
  /**
   * Flash attention in the replay context; default false. llama.cpp's CPU flash-attention kernel computes a
   * batch's attention one query at a time (no matrix product), so it makes a batched prefill almost as slow as
   * decoding token by token; without it the prefill of stories260K costs a third (docs/verification.md).
   */
  flashAttention?: boolean;
  /**
   * Precision of the replay context's KV cache; default "F32" (the F16 cache costs a conversion per read on CPU
   * and rounds more: measured greedy argmax flips vs generation, see docs/verification.md). "F32" doubles the
   * cache's memory (5 MB for stories260K at 2048 tokens; 2 GB for a 7B model).
   */
  kvCacheType?: "F16" | "F32";
}

export interface ReplayRequest {
  prompt: string;
  /** The claimed result text. */
  output: string;
  /** The token count the miner committed and revealed. */
  tokens: number;
  /** The task's maxTokens. */
  maxTokens: number;
  /** The session's declared sampling; default greedy. */
  sampling?: SamplingParams;
}

export type ReplayFault =
  | "none"
  | "tokenCount" // committed count differs from the text's token count
  | "tooLong" // more tokens than the task allows
  | "promptTooLong"
  | "mismatch" // greedy: tokens that are not the model's choice
  | "ending" // stops where the model would not (truncated / runs past EOS)
  | "outsideWindow" // sampled: tokens the declared sampler could not have produced
  | "atypical"; // sampled: far more (or less) surprising than a draw from the window

export interface ReplayVerdict {
  /** 0..10000. */
  score: number;
  /** The main reason the score is below 10000 ("none" when it is not). */
  fault: ReplayFault;
  /** Tokens of the output text (tokens.ts), the count the miner should have committed. */
  outputTokens: number;
  claimedTokens: number;
  /** Greedy: output positions that are not the model's choice. */
  mismatches: number;
  /** Sampled: positions (ending included) outside the declared window. */
  outside: number;
  /** Whether the ending is right: model's EOS, or exactly the cap. */
  endingOk: boolean;
  /** Sampled: typicality statistic. */
  z?: number;
  /** Wall time of the evaluation, ms. */
  ms: number;
  /**
   * Tokens this replay fed to the model: the prompt (less what the previous replay of the same prompt left
   * evaluated), the output, and what split repairs evaluate again.
   */
  evaluated: number;
}

export interface ReplayScorer {
  readonly modelPath: string;
  readonly modelFile: string;
  /** Hex sha256 of the GGUF file (the model id without 0x). */
  readonly sha256: string;
  readonly contextSize: number;
  /**
   * Scores one claimed result. Calls are serialised (one llama.cpp context). The prompt's evaluation is kept
   * between calls: a call with the same prompt (the other results of a task) evaluates only its output.
   */
  score(request: ReplayRequest): Promise<ReplayVerdict>;
  close(): Promise<void>;
}

export class ModelIdMismatchError extends Error {
  override readonly name = "ModelIdMismatchError";
  constructor(
    readonly modelPath: string,
    readonly expected: string,
    readonly actual: string,
  ) {
    super(
      `Model file ${modelPath} has id 0x${actual}, but the session's model id is ${expected}; configure the matching GGUF`,
    );
  }
}

/** What one output position of the replay gives the pure scoring functions. */
export interface PositionLogits {
  /** Token at this position in the claimed output (EOS for the ending position). */
  claimed: Token;
  /** Logit of the claimed token. */
  claimedLogit: number;
  /** (token, logit) pairs sorted by logit, highest first; at least the argmax. */
  top: readonly (readonly [Token, number])[];
  /** Σ exp(logit − max logit) over the whole vocabulary (temperature 1). */
  totalWeight: number;
  /** Vocabulary size (to know whether `top` is the whole distribution). */
  vocabulary: number;
}

const clampScore = (x: number) => Math.max(0, Math.min(MAX_SCORE, Math.floor(x)));

/**
 * Greedy verdict from per-position logits (`positions[j]` predicts output token j; the extra last
 * position predicts the end and is present only when the output is shorter than its cap).
 * `isEnd(t)` says whether a token ends generation.
 */
export function scoreGreedy(
  positions: readonly PositionLogits[],
  n: number,
  isEnd: (t: Token) => boolean,
): { score: number; mismatches: number; endingOk: boolean } {
  let mismatches = 0;
  for (let j = 0; j < n; j++) {
    const p = positions[j];
    const [top, topLogit] = p.top[0];
    if (top === p.claimed || p.claimedLogit >= topLogit - TIE_LOGITS) continue;
    mismatches++;
  }
  let endingOk = true;
  if (positions.length > n) {
    const end = positions[n];
    const [top, topLogit] = end.top[0];
    endingOk = isEnd(top) || end.claimedLogit >= topLogit - TIE_LOGITS;
  }
  const share = (MISMATCH_WEIGHT * mismatches) / Math.min(n, MISMATCH_WINDOW);
  let score = n === 0 ? MAX_SCORE : clampScore(MAX_SCORE * Math.max(0, 1 - share));
  if (!endingOk) score = Math.min(score, FAULT_CAP);
  return { score, mismatches, endingOk };
}

/** The declared window at one position: its tokens and their logits, most likely first. */
function windowOf(p: PositionLogits, s: SamplingParams): { logits: number[]; tokens: Token[] } {
  const known = p.top.length;
  const k = s.topK > 0 ? Math.min(s.topK, p.vocabulary) : p.vocabulary;
  const max = p.top[0][1];
  const limit = Math.min(k, known);
  let size = limit;
  if (s.topP < 1) {
    // top-p over the top-k set renormalised at temperature 1 (llama.cpp's top_k → top_p order).
    let mass = 0;
    if (k >= p.vocabulary) mass = p.totalWeight;
    else for (let i = 0; i < limit; i++) mass += Math.exp(p.top[i][1] - max);
    let cum = 0;
    size = 0;
    while (size < limit) {
      cum += Math.exp(p.top[size][1] - max) / mass;
      size++;
      if (cum >= s.topP) break;
    }
  }
  // Tokens tied with the window's last one are inside too (float noise at the boundary).
  const edge = p.top[size - 1][1];
  while (size < known && p.top[size][1] >= edge - TIE_LOGITS) size++;
  const logits: number[] = [];
  const tokens: Token[] = [];
  for (let i = 0; i < size; i++) {
    tokens.push(p.top[i][0]);
    logits.push(p.top[i][1]);
  }
  return { logits, tokens };
}

/** Whether the claimed token at a position is one the declared sampler could draw. */
function drawable(p: PositionLogits, s: SamplingParams): boolean {
  const w = windowOf(p, s);
  if (!w.tokens.includes(p.claimed)) return false;
  const max = w.logits[0];
  let z = 0;
  for (const l of w.logits) z += Math.exp((l - max) / s.temperature);
  return Math.exp((p.claimedLogit - max) / s.temperature) / z >= PROBABILITY_FLOOR;
}

/**
 * Sampled verdict from per-position logits (see the module doc). Positions beyond the known top
 * list (vocabularies larger than the fetched list) are treated as outside the window; the windowed
 * distribution then ignores the unfetched tail.
 */
export function scoreSampled(
  positions: readonly PositionLogits[],
  sampling: SamplingParams,
): { score: number; outside: number; z: number; lastInside: boolean } {
  let outside = 0;
  let surprisal = 0;
  let entropy = 0;
  let variance = 0;
  let lastInside = true;
  const t = sampling.temperature;
  positions.forEach((p) => {
    const w = windowOf(p, sampling);
    const max = w.logits[0];
    let z = 0;
    for (const l of w.logits) z += Math.exp((l - max) / t);
    const logZ = Math.log(z);
    let h = 0;
    let h2 = 0;
    for (const l of w.logits) {
      const lq = (l - max) / t - logZ;
      const q = Math.exp(lq);
      h -= q * lq;
      h2 += q * lq * lq;
    }
    entropy += h;
    variance += Math.max(0, h2 - h * h);
    const inside = w.tokens.includes(p.claimed);
    const lq = (p.claimedLogit - max) / t - logZ;
    lastInside = inside && Math.exp(lq) >= PROBABILITY_FLOOR;
    if (!lastInside) {
      outside++;
      // Count an impossible token as very surprising, but bounded so z stays finite.
      surprisal += Math.max(-lq, -Math.log(PROBABILITY_FLOOR));
    } else {
      surprisal -= lq;
    }
  });
  const zStat = (surprisal - entropy) / Math.sqrt(variance + 1);
  let score = MAX_SCORE;
  if (zStat > Z_HIGH) score = clampScore(MAX_SCORE - Z_SLOPE * (zStat - Z_HIGH));
  else if (zStat < -Z_LOW) score = clampScore(MAX_SCORE - Z_SLOPE * (-Z_LOW - zStat));
  if (outside > 0) score = Math.min(score, clampScore(FAULT_CAP * (1 - outside / positions.length)));
  return { score, outside, z: zStat, lastInside };
}

/** Loads the model (checking its id) and one replay context. */
export async function createReplayScorer(options: ReplayScorerOptions): Promise<ReplayScorer> {
  assertThreads(options.threads);
  const modelPath = resolve(options.modelPath);
  const st = await stat(modelPath).catch(() => undefined);
  if (!st?.isFile()) throw new ModelNotFoundError(options.modelPath, [modelPath], "argument");
  const sha256 = await sha256File(modelPath);
  if (options.modelId !== undefined && options.modelId.toLowerCase().replace(/^0x/, "") !== sha256) {
    throw new ModelIdMismatchError(modelPath, options.modelId, sha256);
  }
  const llama = await getSharedLlama();
  const model = await llama.loadModel({ modelPath });
  try {
    const contextSize = options.contextSize ?? Math.min(2048, model.trainContextSize);
    const kvCacheType = options.kvCacheType ?? "F32";
    const context = await model.createContext({
      contextSize,
      batchSize: Math.min(options.batchSize ?? 64, contextSize),
      threads: options.threads,
      sequences: 1,
      flashAttention: options.flashAttention ?? false,
      experimentalKvCacheKeyType: kvCacheType,
      experimentalKvCacheValueType: kvCacheType,
    });
    // The vocabulary size is not exposed directly: one raw-logits evaluation of a single token gives it.
    const probe = context.getSequence();
    const out = await probe.controlledEvaluate([
      [beginningTokenOr0(model), { generateNext: { logits: true, options: { temperature: 0 } } }],
    ]);
    await probe.clearHistory();
    const vocabulary = out[0]?.next.logits?.size ?? 0;
    if (vocabulary < 2) throw new Error(`${basename(modelPath)}: could not read the vocabulary size`);
    return new Scorer(model, context, probe, modelPath, sha256, vocabulary);
  } catch (err) {
    await model.dispose().catch(() => {});
    throw err;
  }
}

const beginningTokenOr0 = (model: LlamaModel): Token => (model.tokens.bos ?? 0) as Token;

class Scorer implements ReplayScorer {
  readonly modelFile: string;
  readonly contextSize: number;
  private queue: Promise<unknown> = Promise.resolve();
  private closed = false;
  /** Tokens fed to the model so far (for `ReplayVerdict.evaluated`). */
  private fed = 0;

  constructor(
    private readonly model: LlamaModel,
    private readonly context: LlamaContext,
    private readonly sequence: LlamaContextSequence,
    readonly modelPath: string,
    readonly sha256: string,
    private readonly vocabulary: number,
  ) {
    this.modelFile = basename(modelPath);
    this.contextSize = context.contextSize;
  }

  score(request: ReplayRequest): Promise<ReplayVerdict> {
    if (this.closed) return Promise.reject(new Error("Replay scorer is closed"));
    const run = this.queue.then(() => this.run(request));
    this.queue = run.catch(() => {});
    return run;
  }

  private async run(request: ReplayRequest): Promise<ReplayVerdict> {
    const sampling = request.sampling ?? GREEDY;
    assertSampling(sampling);
    if (typeof request.prompt !== "string" || typeof request.output !== "string") {
      throw new TypeError("prompt and output must be strings");
    }
    if (!Number.isInteger(request.maxTokens) || request.maxTokens < 1) {
      throw new TypeError(`maxTokens must be a positive integer (got ${String(request.maxTokens)})`);
    }
    const started = performance.now();
    const fedBefore = this.fed;
    const model = this.model;
    const prompt = promptTokensOf(model, request.prompt);
    const output = outputTokensOf(model, request.output);
    const n = output.length;
    const counted = Math.min(n, request.maxTokens);
    const base = { outputTokens: counted, claimedTokens: request.tokens, mismatches: 0, outside: 0 };
    const ms = () => performance.now() - started;
    const fail = (fault: ReplayFault): ReplayVerdict => ({
      ...base,
      score: 0,
      fault,
      endingOk: false,
      ms: ms(),
      evaluated: 0,
    });
    if (request.tokens !== counted) return fail("tokenCount");
    if (prompt.length >= this.contextSize) return fail("promptTooLong");
    const room = this.contextSize - prompt.length;
    const cap = Math.min(request.maxTokens, room);
    // Non-canonical splits can make the canonical count exceed the steps a little (see tokens.ts).
    const slack = Math.max(2, Math.ceil(cap * SPLIT_SLACK));
    if (n > Math.min(cap + slack, room)) return fail("tooLong");

    let done = false;
    try {
      let verdict: ReplayVerdict;
      if (isGreedy(sampling)) {
        const r = await this.greedy(prompt, output, request.output, cap);
        verdict = { ...base, ...r, ms: ms(), evaluated: this.fed - fedBefore };
      } else {
        // Sampled: the canonical tokens, repaired where a drawable token spells the same text by
        // another split. Splits the repair cannot see (a canonical token that is drawable too) leave the
        // path shorter than the draw, so an output within `SPLIT_SLACK` of its cap counts as capped.
        // A top-k window lies within the top k (+ a margin for ties at its edge); otherwise fetch up to SAMPLED_TOP.
        const top = Math.min(this.vocabulary, sampling.topK > 0 ? sampling.topK + TIE_MARGIN : SAMPLED_TOP);
        const { path, positions } = await this.repair(
          prompt,
          output,
          request.output,
          top,
          (p) => !drawable(p, sampling),
          (p) =>
            // Only visible pieces: an invisible control token would "spell" any text.
            windowOf(p, sampling).tokens.filter((t) => t !== p.claimed && !this.model.isSpecialToken(t)),
        );
        const steps = path.length;
        const scored = steps + slack < cap || steps === 0 ? positions : positions.slice(0, steps);
        const r = scoreSampled(scored, sampling);
        const endingOk = scored.length > steps ? r.lastInside : true;
        const fault: ReplayFault =
          r.outside > 0 ? (endingOk ? "outsideWindow" : "ending") : r.score < MAX_SCORE ? "atypical" : "none";
        const evaluated = this.fed - fedBefore;
        verdict = { ...base, score: r.score, fault, outside: r.outside, endingOk, z: r.z, ms: ms(), evaluated };
      }
      done = true;
      return verdict;
    } finally {
      // On success the prompt's evaluation stays for the next call (`keepPrompt`); after a failure, start afresh.
      if (!done) await this.sequence.clearHistory().catch(() => {});
    }
  }

  /** Greedy replay: every step must be the argmax, the ending must be the model's. */
  private async greedy(prompt: Token[], canonical: Token[], text: string, cap: number) {
    const isArgmax = (p: PositionLogits) => p.claimed === p.top[0][0] || p.claimedLogit >= p.top[0][1] - TIE_LOGITS;
    const { path, positions } = await this.repair(
      prompt,
      canonical,
      text,
      "argmax",
      (p) => !isArgmax(p),
      (p) => [p.top[0][0]],
    );
    const steps = path.length;
    const r = scoreGreedy(steps < cap ? positions : positions.slice(0, steps), steps, (t) => this.model.isEogToken(t));
    if (steps > cap)
      return {
        score: Math.min(r.score, FAULT_CAP),
        fault: "tooLong" as const,
        mismatches: r.mismatches,
        endingOk: false,
      };
    const fault: ReplayFault = r.mismatches > 0 ? "mismatch" : !r.endingOk ? "ending" : "none";
    return { score: r.score, fault, mismatches: r.mismatches, endingOk: r.endingOk };
  }

  /**
   * Evaluates the canonical tokens chunk by chunk (up to `REPLAY_CHUNK` tokens per call, `REPAIR_CHUNK` right after
   * a repair, doubling) and repairs the token path on
   * the way: at the first position whose token is `bad`, if one of the `candidates` there or up to `BACKTRACK`
   * positions earlier (most likely first) spells the text that follows by another split (greedy and sampled
   * generation pick a non-canonical split of a word now and then, or a control token the text cannot show, like
   * the BOS stories260K emits between stories), the path continues with that token and the canonical tokens of
   * the rest, and evaluation resumes from there (the KV cache keeps everything before). At most `MAX_REPAIRS`
   * times; a bad position with no such candidate stays. Cost: one prefill of the path plus at most one chunk per
   * repair (a repair that follows another soon wastes at most `REPAIR_CHUNK` tokens).
   */
  private async repair(
    prompt: Token[],
    canonical: Token[],
    text: string,
    fetch: Fetch,
    bad: (p: PositionLogits) => boolean,
    candidates: (p: PositionLogits) => Token[],
  ): Promise<{ path: Token[]; positions: PositionLogits[] }> {
    let path = canonical;
    const room = this.contextSize - prompt.length;
    let positions: PositionLogits[] = [];
    let fed = 0; // path tokens in the KV cache (after the prompt)
    let from = 0; // first position not yet checked for a split
    let repairs = 0;
    let started = false;
    // Built at the first bad position only (an honest output with canonical splits throughout needs none).
    let spell: Speller | undefined;
    let chunk = REPLAY_CHUNK;
    for (;;) {
      const until = Math.min(path.length, fed + chunk);
      if (!started || until > fed) {
        positions.push(...(await this.evaluate(prompt, path, fed, path.length < room, fetch, until)));
        fed = until;
        started = true;
        chunk = Math.min(REPLAY_CHUNK, chunk * 2);
      }
      // Positions 0..fed are known (position fed predicts path[fed], or the end).
      const checkEnd = Math.min(fed + 1, path.length);
      let split = -1;
      let token: Token | undefined;
      if (repairs < MAX_REPAIRS) {
        for (let j = from; j < checkEnd && split < 0; j++) {
          if (!bad(positions[j])) continue;
          spell ??= new Speller(this.model, prompt, text, path);
          const sp = spell;
          let offset = 0;
          for (let k = j; k >= Math.max(0, j - BACKTRACK) && split < 0; k--) {
            const at = positions[k];
            const o = sp.offsetAt(k);
            if (o === undefined) continue;
            token = candidates(at).find((t) => t !== at.claimed && text.startsWith(sp.pieceAt(k, t), o));
            if (token !== undefined) {
              split = k;
              offset = o;
            }
          }
          if (split >= 0 && token !== undefined) {
            const rest = text.slice(offset + sp.pieceAt(split, token).length);
            const repaired = [...path.slice(0, split), token, ...(rest === "" ? [] : outputTokensOf(this.model, rest))];
            if (repaired.length > room) split = -1;
            else {
              path = repaired;
              sp.update(path, split);
            }
          }
        }
      }
      if (split < 0 || token === undefined) {
        from = checkEnd;
        if (fed >= path.length) break;
        continue;
      }
      repairs++;
      chunk = REPAIR_CHUNK;
      const at = positions[split];
      const logit = at.top.find(([t]) => t === token)?.[1] ?? Number.NEGATIVE_INFINITY;
      if (split === 0) {
        // Evaluated again from the prompt's last token (`evaluate` erases what follows it).
        positions = [];
        fed = 0;
        started = false;
      } else {
        await this.sequence.eraseContextTokenRanges([
          { start: prompt.length + split, end: this.sequence.nextTokenIndex },
        ]);
        positions = [...positions.slice(0, split), { ...at, claimed: token, claimedLogit: logit }];
        fed = split;
      }
      from = split + 1;
    }
    return { path, positions };
  }

  /**
   * Keeps the longest evaluated prefix the sequence shares with `prompt` (at most all but the prompt's last
   * token, whose next-token logits are needed) and erases everything after it; returns its length. The
   * results of one task share their prompt, so all but the first replay skip its evaluation.
   */
  private async keepPrompt(prompt: readonly Token[]): Promise<number> {
    const evaluated = this.sequence.contextTokens;
    const max = Math.max(0, prompt.length - 1);
    let keep = 0;
    while (keep < max && keep < evaluated.length && evaluated[keep] === prompt[keep]) keep++;
    if (keep === 0) await this.sequence.clearHistory();
    else if (this.sequence.nextTokenIndex > keep) {
      await this.sequence.eraseContextTokenRanges([{ start: keep, end: this.sequence.nextTokenIndex }]);
    }
    return keep;
  }

  /**
   * Feeds `path[from..until)` (and the prompt first when `from` is 0, after what the sequence already holds of
   * it) and returns the next-token logits of output positions from+1..until (0..until when `from` is 0);
   * position n (after the last token, predicting the end) only with `withEnd`.
   */
  private async evaluate(
    prompt: readonly Token[],
    path: readonly Token[],
    from: number,
    withEnd: boolean,
    fetch: Fetch,
    until = path.length,
  ): Promise<PositionLogits[]> {
    const eos = (this.model.tokens.eos ?? -1) as Token;
    const n = path.length;
    const claimedAt = (j: number): Token => (j < n ? path[j] : eos);
    const last = withEnd ? n : n - 1; // last output position to score
    let feed: Token[];
    let first: number; // first output position to score
    let shift: number; // feed[i] predicts output position i + shift
    if (from === 0) {
      // The prompt's last token predicts output position 0.
      const keep = await this.keepPrompt(prompt);
      feed = [...prompt.slice(keep), ...path.slice(0, until)];
      first = 0;
      shift = keep - (prompt.length - 1);
    } else {
      // A suffix feed starts at path[from], which predicts position from + 1.
      feed = path.slice(from, until);
      first = from + 1;
      shift = from + 1;
    }
    const input = feed.map((token, i) => {
      const j = i + shift;
      if (j < first || j > last) return token;
      const tokens = [claimedAt(j)];
      return [
        token,
        {
          generateNext:
            fetch === "argmax"
              ? // The argmax (the greedy sampler's choice) and the claimed token's logit: no sort of the vocabulary.
                { token: true, logits: { filter: { tokens, includeSelected: true } }, options: RAW }
              : { logits: { filter: { tokens, includeTop: fetch } }, totalLogitWeight: true, options: RAW },
        },
      ] as const;
    });
    this.fed += feed.length;
    const evaluated = await this.sequence.controlledEvaluate(input as never);
    const positions: PositionLogits[] = [];
    for (let i = Math.max(0, first - shift); i < feed.length && i + shift <= last; i++) {
      const j = i + shift;
      const next = evaluated[i]?.next;
      if (!next?.logits) throw new Error(`Replay produced no logits at output position ${j}`);
      const claimed = claimedAt(j);
      const claimedLogit = next.logits.get(claimed) ?? Number.NEGATIVE_INFINITY;
      if (fetch === "argmax") {
        const top = next.token;
        const topLogit = top == null ? undefined : next.logits.get(top);
        if (top == null || topLogit === undefined) throw new Error(`Replay produced no argmax at output position ${j}`);
        positions.push({ claimed, claimedLogit, top: [[top, topLogit]], totalWeight: 0, vocabulary: this.vocabulary });
      } else {
        positions.push({
          claimed,
          claimedLogit,
          top: descending(next.logits),
          totalWeight: next.totalLogitWeight ?? 0,
          vocabulary: this.vocabulary,
        });
      }
    }
    return positions;
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    await this.queue;
    await this.context.dispose();
    await this.model.dispose();
  }
}

/** What a replay fetches per position: the argmax and the claimed token's logit (greedy), or the top N logits. */
type Fetch = "argmax" | number;

/** Raw logits: node-llama-cpp applies its sampler chain to what it returns. */
const RAW = { temperature: 0 } as const;

/** A logits map as (token, logit) pairs, highest first (node-llama-cpp returns a top list sorted; checked). */
function descending(logits: ReadonlyMap<Token, number>): [Token, number][] {
  const pairs = [...logits];
  for (let i = 1; i < pairs.length; i++) {
    if (pairs[i][1] > pairs[i - 1][1]) return pairs.sort((a, b) => b[1] - a[1]);
  }
  return pairs;
}

/**
 * Where the path's tokens lie in the text, and the text a token spells at a position; offsets are computed as far
 * as they are asked for and kept across repairs (a repair at position k changes nothing before k).
 */
class Speller {
  private readonly offsets: number[] = [0];

  constructor(
    private readonly model: LlamaModel,
    private readonly prompt: readonly Token[],
    private readonly text: string,
    private path: readonly Token[],
  ) {}

  /** The path changed from position `from` on. */
  update(path: readonly Token[], from: number): void {
    this.path = path;
    if (this.offsets.length > from + 1) this.offsets.length = from + 1;
  }

  /**
   * The text token `t` spells at position `j`, rendered after the `DETOKENIZE_CONTEXT` tokens before it (prompt
   * and path) as the miners' engine renders its output: one token of context is not enough after an invisible
   * one (a piece after a BOS alone loses its leading space, after "friend. BOS" it keeps it).
   */
  pieceAt(j: number, t: Token): string {
    const before =
      j >= DETOKENIZE_CONTEXT ? [] : this.prompt.slice(Math.max(0, this.prompt.length - (DETOKENIZE_CONTEXT - j)));
    return this.model.detokenize([t], false, [...before, ...this.path.slice(Math.max(0, j - DETOKENIZE_CONTEXT), j)]);
  }

  /**
   * Text offset of `path[j]`, or undefined when the pieces before it do not spell the text (a character split
   * across byte tokens, unusual detokenizers): no split can be recognised there.
   */
  offsetAt(j: number): number | undefined {
    const o = this.offsets;
    while (o.length <= j) {
      const i = o.length - 1;
      const piece = this.pieceAt(i, this.path[i]);
      if (!this.text.startsWith(piece, o[i])) return undefined;
      o.push(o[i] + piece.length);
    }
    return o[j];
  }
}
