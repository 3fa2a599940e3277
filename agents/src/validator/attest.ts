import {
  ContentNotFoundError,
  type ContentStore,
  contentHash,
  InvalidCidError,
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
 * A revealed result's stored bytes, for `revealedResults`. Content nobody serves (ContentNotFoundError, which is
 * also a read that times out) or a revealed CID that is not a file's (InvalidCidError) is the miner's fault — it
 * must keep what it revealed available — and reads as empty, which scores 0. Any other failure (the store
 * unreachable, a storage error, bytes that do not match their CID) may be this validator's own: it throws after the
 * attempts, and the validator does not attest rather than score an honest miner 0 (an attestation cannot be taken
 * back; a missing one only counts against the quorum).
 *
 * `until` (a `performance.now()` time: the attest deadline less a margin for the attestation itself) bounds the
 * attempts and each read's timeout, so a miner that reveals a CID nobody serves cannot make the validator retry past
 * the deadline (no quorum would pay it as Unverified): every read gets at least 1 s.
 */
export const fetchRevealed = async (
  store: Pick<ContentStore, "get">,
  cid: string,
  opts: { attempts?: number; retryMs?: number; timeoutMs?: number; until?: number } = {},
): Promise<Uint8Array> => {
  const attempts = opts.attempts ?? 3;
  const left = () => (opts.until ?? Number.POSITIVE_INFINITY) - performance.now();
  for (let attempt = 1; ; attempt++) {
    try {
      // Whole milliseconds: the stores reject a fractional timeout.
      const timeoutMs = Math.floor(Math.max(1_000, Math.min(opts.timeoutMs ?? 15_000, left())));
      return await store.get(cid, { timeoutMs });
    } catch (err) {
      const wait = (opts.retryMs ?? 500) * attempt;
      if (attempt >= attempts || left() < wait + 1_000) {
        if (err instanceof ContentNotFoundError || err instanceof InvalidCidError) return new Uint8Array();
        throw err;
      }
      await new Promise((r) => setTimeout(r, wait));
    }
  }
};
