import {
  ContentNotFoundError,
  type ContentStore,
  contentHash,
  type SessionInfo,
  type TaskInfo,
} from "@cor-network/sdk";
import type { Hex } from "viem";
import type { RevealedResult } from "./score.ts";

/** How this validator scores a Validating task, from its session. */
export type ScoringPlan = { kind: "replay" } | { kind: "embedding" } | { kind: "skip"; reason: string };

/**
 * Replay sessions are replayed only on the model this validator loaded (its sha256 is the session's model id;
 * validators that run another model leave the task to those that run it); every other validated session is scored
 * by embedding similarity.
 */
export const scoringPlanOf = (
  session: Pick<SessionInfo, "validation" | "modelId">,
  replayModelId: Hex | undefined,
): ScoringPlan => {
  if (session.validation !== "Replay") return { kind: "embedding" };
  if (replayModelId && session.modelId.toLowerCase() === replayModelId.toLowerCase()) return { kind: "replay" };
  return { kind: "skip", reason: `Replay session on model ${session.modelId}, which this validator does not run` };
};

/**
 * The results to score: one per revealed slot, in slot order. `read(slot)` returns the result's plaintext bytes
 * and revealed token count (undefined when it was never seen); bytes that do not match the revealed hash on chain
 * count as no result (score 0), so a miner cannot reveal one text and serve another.
 */
export const revealedResults = async (
  task: Pick<TaskInfo, "slots">,
  read: (slot: number) => Promise<{ bytes: Uint8Array; tokens: number } | undefined>,
): Promise<RevealedResult[]> => {
  const results: RevealedResult[] = [];
  for (const s of task.slots) {
    if (!s.revealed) continue;
    const r = await read(s.slot);
    const text = r && contentHash(r.bytes) === s.hash ? new TextDecoder().decode(r.bytes) : undefined;
    results.push({ slot: s.slot, text, tokens: r?.tokens ?? 0 });
  }
  return results;
};

/**
 * A revealed result's stored bytes, for `revealedResults`. Content nobody serves (ContentNotFoundError on every
 * one of `attempts`) is the miner's fault — it must keep what it revealed available — and reads as empty, which
 * scores 0. Any other failure (the store unreachable, a storage error, bytes that do not match their CID) may be
 * this validator's own: it throws after the attempts, and the validator does not attest rather than score an
 * honest miner 0 (an attestation cannot be taken back; a missing one only counts against the quorum).
 */
export const fetchRevealed = async (
  store: Pick<ContentStore, "get">,
  cid: string,
  opts: { attempts?: number; retryMs?: number; timeoutMs?: number } = {},
): Promise<Uint8Array> => {
  const attempts = opts.attempts ?? 3;
  for (let attempt = 1; ; attempt++) {
    try {
      return await store.get(cid, { timeoutMs: opts.timeoutMs ?? 15_000 });
    } catch (err) {
      if (attempt >= attempts) {
        if (err instanceof ContentNotFoundError) return new Uint8Array();
        throw err;
      }
      await new Promise((r) => setTimeout(r, (opts.retryMs ?? 500) * attempt));
    }
  }
};
