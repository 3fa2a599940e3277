import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import {
  ContentNotFoundError,
  ContentVerificationError,
  contentHash,
  StorageError,
  type TaskSlot,
} from "@cor-network/sdk";
import { createEmbeddedStore } from "@cor-network/sdk/storage";
import { describe, expect, it } from "vitest";
import { samplingOfSession } from "../shared/sampling.ts";
import { fetchRevealed, revealedResults, scoringPlanOf } from "./attest.ts";

const MODEL = `0x${"ab".repeat(32)}` as const;
const OTHER = `0x${"cd".repeat(32)}` as const;
const slot = (i: number, text: string | undefined): TaskSlot => ({
  slot: i,
  nodeId: i + 1,
  committed: true,
  revealed: text !== undefined,
  dropped: false,
  tokens: 3,
  hash: text === undefined ? `0x${"00".repeat(32)}` : contentHash(text),
});

describe("what a validator attests", () => {
  it("replays Replay sessions on its own model only, skips other models, embeds the other modes", () => {
    expect(scoringPlanOf({ validation: "Replay", modelId: MODEL }, MODEL)).toEqual({ kind: "replay" });
    expect(scoringPlanOf({ validation: "Replay", modelId: MODEL }, MODEL.toUpperCase() as `0x${string}`).kind).toBe(
      "replay",
    );
    expect(scoringPlanOf({ validation: "Replay", modelId: OTHER }, MODEL).kind).toBe("skip");
    expect(scoringPlanOf({ validation: "Replay", modelId: MODEL }, undefined).kind).toBe("skip"); // --replay off
    expect(scoringPlanOf({ validation: "Embedding", modelId: OTHER }, MODEL)).toEqual({ kind: "embedding" });
  });

  it("scores revealed slots only; bytes that differ from the revealed hash, or missing, count as no result", async () => {
    const task = { slots: [slot(0, "the cat"), slot(1, undefined), slot(2, "a dog"), slot(3, "kept")] };
    const served: Record<number, string> = { 0: "the cat", 2: "a DIFFERENT dog" }; // slot 3 never fetched
    const results = await revealedResults(task, async (s) =>
      served[s] === undefined ? undefined : { bytes: new TextEncoder().encode(served[s]), tokens: 10 + s },
    );
    expect(results).toEqual([
      { slot: 0, text: "the cat", tokens: 10 },
      { slot: 2, text: undefined, tokens: 12 },
      { slot: 3, text: undefined, tokens: 0 },
    ]);
  });

  it("a session's declared sampling in engine units (topP 0 = off = 1)", () => {
    expect(samplingOfSession({ sampling: { temperature: 0, topK: 0, topP: 0 } })).toEqual({
      temperature: 0,
      topK: 0,
      topP: 1,
    });
    expect(samplingOfSession({ sampling: { temperature: 0.7, topK: 40, topP: 0.9 } })).toEqual({
      temperature: 0.7,
      topK: 40,
      topP: 0.9,
    });
  });

  it("blames a miner only for content nobody serves; a failing store makes the validator not attest", async () => {
    const dir = mkdtempSync(join(tmpdir(), "cor-validator-fetch-"));
    const store = await createEmbeddedStore({ directory: dir });
    try {
      const { cid } = await store.add("a revealed result");
      expect(new TextDecoder().decode(await fetchRevealed(store, cid, { retryMs: 1 }))).toBe("a revealed result");
      // Never published: empty bytes, which do not match the revealed hash (score 0), after every attempt.
      const missing = (await store.add("published elsewhere, not here")).cid;
      const other = await createEmbeddedStore({ directory: join(dir, "other") });
      const gets: string[] = [];
      const counting = {
        get: (c: string, o?: { timeoutMs?: number }) => {
          gets.push(c);
          return other.get(c, o);
        },
      };
      expect(await fetchRevealed(counting, missing, { retryMs: 1 })).toHaveLength(0);
      expect(gets).toHaveLength(3);
      await other.close();
      // The validator's own trouble (unreachable store, bytes that do not match their CID): it throws after the
      // attempts instead of scoring the miner 0; a transient failure is retried and the result scored.
      let calls = 0;
      const flaky = {
        get: async (c: string) => {
          if (++calls < 3) throw new StorageError("The IPFS daemon is unreachable.", { retryable: true });
          return store.get(c);
        },
      };
      expect(new TextDecoder().decode(await fetchRevealed(flaky, cid, { retryMs: 1 }))).toBe("a revealed result");
      const corrupt = {
        get: async () => {
          throw new ContentVerificationError({ cid, actualCid: missing });
        },
      };
      await expect(fetchRevealed(corrupt, cid, { retryMs: 1 })).rejects.toBeInstanceOf(ContentVerificationError);
      // A revealed CID that is not a file's (here a malformed one) is the miner's fault: empty, scores 0.
      expect(await fetchRevealed(store, "not-a-cid", { retryMs: 1 })).toHaveLength(0);
      // A CID nobody serves, on a store that only gives up at its timeout (Kubo): the attest deadline bounds the
      // attempts and each read, so the validator still attests in time (3 × 15 s would outlast a 30 s window).
      const slow = {
        get: async (c: string, o?: { timeoutMs?: number }) => {
          await new Promise((r) => setTimeout(r, o?.timeoutMs ?? 15_000));
          throw new ContentNotFoundError({ cid: c, timeoutMs: o?.timeoutMs });
        },
      };
      const t0 = performance.now();
      expect(await fetchRevealed(store, cid, { until: t0 + 5_000.5 })).toHaveLength(17); // timeouts are whole ms
      expect(await fetchRevealed(slow, cid, { until: t0 + 2_500.5 })).toHaveLength(0);
      expect(performance.now() - t0).toBeLessThan(4_000);
    } finally {
      await store.close();
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
