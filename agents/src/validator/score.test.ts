/**
 * Slot mapping of the validator's scores, with a stand-in scorer and embedder (the real replay scorer is tested on
 * stories260K in inference/replay.test.ts, the whole path end to end in agents/test/cheaters.e2e.test.ts).
 */
import { describe, expect, it } from "vitest";
import type { Embedder } from "../embedding/index.ts";
import type { ReplayRequest, ReplayScorer, ReplayVerdict } from "../inference/index.ts";
import { scoreByEmbedding, scoreByReplay } from "./score.ts";

const verdict = (score: number): ReplayVerdict => ({
  score,
  fault: score === 10_000 ? "none" : "mismatch",
  outputTokens: 1,
  claimedTokens: 1,
  mismatches: 0,
  outside: 0,
  endingOk: true,
  ms: 1,
  evaluated: 1,
});

describe("scoreByReplay", () => {
  it("scores each revealed result alone, in its slot; missing or hash-mismatched results score 0 unreplayed", async () => {
    const seen: ReplayRequest[] = [];
    const scorer = {
      score: async (r: ReplayRequest) => {
        seen.push(r);
        return verdict(r.output === "good" ? 10_000 : 1_234);
      },
    } as unknown as ReplayScorer;
    const sampling = { temperature: 0, topK: 0, topP: 1 };
    const { scores, verdicts } = await scoreByReplay(scorer, {
      prompt: "p",
      maxTokens: 8,
      sampling,
      slots: 4,
      results: [
        { slot: 0, text: "bad", tokens: 3 },
        { slot: 2, text: "good", tokens: 5 },
        { slot: 3, text: undefined, tokens: 7 },
      ],
    });
    expect(scores).toEqual([1234, 0, 10000, 0]);
    expect(verdicts[1]).toBeUndefined();
    expect(verdicts[3]).toBeUndefined();
    expect(seen.map((r) => [r.output, r.tokens, r.maxTokens, r.prompt])).toEqual([
      ["bad", 3, 8, "p"],
      ["good", 5, 8, "p"],
    ]);
    expect(seen[0].sampling).toBe(sampling);
  });
});

describe("scoreByReplay: one replay per distinct result", () => {
  const sampling = { temperature: 0, topK: 0, topP: 1 };
  const counting = () => {
    const seen: string[] = [];
    const scorer = {
      score: async (r: ReplayRequest) => {
        seen.push(`${r.output}/${r.tokens}`);
        return verdict(r.output === "honest" && r.tokens === 5 ? 10_000 : 2_500);
      },
    } as unknown as ReplayScorer;
    return { seen, scorer };
  };
  const task = (results: { slot: number; text: string | undefined; tokens: number }[]) => ({
    prompt: "p",
    maxTokens: 8,
    sampling,
    slots: results.length,
    results,
  });

  it("three identical honest results: one replay, three equal scores", async () => {
    const { seen, scorer } = counting();
    const r = await scoreByReplay(scorer, task([0, 1, 2].map((slot) => ({ slot, text: "honest", tokens: 5 }))));
    expect(seen).toEqual(["honest/5"]);
    expect(r.replays).toBe(1);
    expect(r.scores).toEqual([10_000, 10_000, 10_000]);
    expect(r.verdicts[0]).toBe(r.verdicts[2]);
  });

  it("two honest + one distinct cheat: two replays; the same text with another token count is another result", async () => {
    const { seen, scorer } = counting();
    const r = await scoreByReplay(
      scorer,
      task([
        { slot: 0, text: "honest", tokens: 5 },
        { slot: 1, text: "lazy", tokens: 5 },
        { slot: 2, text: "honest", tokens: 5 },
      ]),
    );
    expect(seen).toEqual(["honest/5", "lazy/5"]);
    expect(r.replays).toBe(2);
    expect(r.scores).toEqual([10_000, 2_500, 10_000]);

    const inflated = counting();
    const r2 = await scoreByReplay(
      inflated.scorer,
      task([
        { slot: 0, text: "honest", tokens: 5 },
        { slot: 1, text: "honest", tokens: 8 },
        { slot: 2, text: undefined, tokens: 5 },
      ]),
    );
    expect(inflated.seen).toEqual(["honest/5", "honest/8"]);
    expect(r2.replays).toBe(2);
    expect(r2.scores).toEqual([10_000, 2_500, 0]);
  });
});

describe("scoreByEmbedding", () => {
  it("scores against the medoid of the revealed results; a missing result scores 0", async () => {
    const vectors: Record<string, number[]> = { a: [1, 0], b: [1, 0.1], c: [0, 1], "": [0, 0] };
    const embedder = { embed: async (t: string) => Float32Array.from(vectors[t]) } as unknown as Embedder;
    const scores = await scoreByEmbedding(embedder, 4, [
      { slot: 0, text: "a", tokens: 1 },
      { slot: 1, text: "b", tokens: 1 },
      { slot: 3, text: undefined, tokens: 1 },
    ]);
    expect(scores[0]).toBe(10000);
    expect(scores[1]).toBeGreaterThan(9900);
    expect(scores[2]).toBe(0);
    expect(scores[3]).toBe(0);
  });
});
