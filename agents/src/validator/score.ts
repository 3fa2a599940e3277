/**
 * What a validator attests for a task in Validating: one score 0..10000 per slot.
 *
 * - Replay sessions (the session's model is the one this validator loaded, checked by its sha256
 *   model id): every revealed result is replayed through the model (inference/replay.ts) against the
 *   prompt, the session's declared sampling, the task's maxTokens and the token count the miner
 *   revealed. Each result is judged on its own, so two cheaters cannot outvote one honest miner; identical
 *   results (same text and token count) are replayed once and get the same score.
 * - Embedding sessions: cosine similarity to the medoid of all results (embedding/score.ts).
 * A result whose bytes do not match the revealed hash (or that is missing) scores 0; slots without
 * a reveal score 0 (the contract ignores them).
 */
import type { Embedder } from "../embedding/index.ts";
import { scoreAgainstMedoid } from "../embedding/index.ts";
import type { ReplayScorer, ReplayVerdict, SamplingParams } from "../inference/index.ts";

export type RevealedResult = {
  slot: number;
  /** The result text, or undefined when it could not be fetched or does not match its hash. */
  text: string | undefined;
  /** Token count the miner revealed. */
  tokens: number;
};

export type ReplayTask = {
  prompt: string;
  maxTokens: number;
  sampling: SamplingParams;
  slots: number;
  results: readonly RevealedResult[];
};

/**
 * Replay scores per slot, with each verdict (for logs) and how many replays it took. A verdict depends only on
 * (text, token count) within a task, and the contract requires identical results to get identical scores, so each
 * distinct result is replayed once: R honest miners with the same greedy answer cost one replay, not R. The
 * scorer keeps the prompt's evaluation between the replays of a task (replay.ts).
 */
export async function scoreByReplay(
  scorer: ReplayScorer,
  task: ReplayTask,
): Promise<{ scores: number[]; verdicts: (ReplayVerdict | undefined)[]; replays: number }> {
  const scores = new Array<number>(task.slots).fill(0);
  const verdicts = new Array<ReplayVerdict | undefined>(task.slots).fill(undefined);
  const byResult = new Map<string, ReplayVerdict>();
  for (const r of task.results) {
    if (r.text === undefined) continue;
    const key = `${r.tokens}:${r.text}`;
    let v = byResult.get(key);
    if (!v) {
      v = await scorer.score({
        prompt: task.prompt,
        output: r.text,
        tokens: r.tokens,
        maxTokens: task.maxTokens,
        sampling: task.sampling,
      });
      byResult.set(key, v);
    }
    scores[r.slot] = v.score;
    verdicts[r.slot] = v;
  }
  return { scores, verdicts, replays: byResult.size };
}

/** Embedding scores per slot: similarity to the medoid of the revealed results. */
export async function scoreByEmbedding(
  embedder: Embedder,
  slots: number,
  results: readonly RevealedResult[],
): Promise<number[]> {
  const vectors = await Promise.all(results.map((r) => embedder.embed(r.text ?? "")));
  const medoid = scoreAgainstMedoid(vectors);
  const scores = new Array<number>(slots).fill(0);
  results.forEach((r, i) => {
    scores[r.slot] = r.text === undefined ? 0 : medoid[i];
  });
  return scores;
}
