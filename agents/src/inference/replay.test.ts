/**
 * Replay scorer on REAL model output: stories260K generates honest results with the miner's engine,
 * the cheats are derived from them, and the scorer (its own llama.cpp context, threads 1) judges.
 * `BAR` is the acceptance bar these tests hold the scorer to (docs/verification.md recommends the
 * protocol's Replay bar be 9000; every cheat must stay below 8000 so a lower bar still rejects it).
 */
import type { Token } from "node-llama-cpp";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createInferenceEngine, type InferenceEngine } from "./engine.ts";
import { resolveModelPath } from "./model.ts";
import {
  createReplayScorer,
  FAULT_CAP,
  MAX_SCORE,
  ModelIdMismatchError,
  type PositionLogits,
  type ReplayScorer,
  type ReplayVerdict,
  scoreGreedy,
  scoreSampled,
} from "./replay.ts";
import type { SamplingParams } from "./sampling.ts";

const BAR = 9000;
const CHEAT_MAX = 8000;
const STORIES_ID = "0x270cba1bd5109f42d03350f60406024560464db173c0e387d91f0426d3bd256d";
const PROMPT = "Tom had a red ball. He";
const OTHER = "Once upon a time, there was a little girl named Lily. She";
const PROMPTS = [
  PROMPT,
  OTHER,
  "One day, a little dog",
  "The sun was hot and",
  "Sam and Mia",
  "Anna found a small box.",
  "There was a big tree",
];
const MAX = 64;
const T1: SamplingParams = { temperature: 1, topK: 0, topP: 1 };

let engine: InferenceEngine;
let scorer: ReplayScorer;
const count = (text: string, maxTokens = MAX) => engine.countOutputTokens(text, maxTokens);

beforeAll(async () => {
  const modelPath = await resolveModelPath();
  engine = await createInferenceEngine({ modelPath, threads: 1 });
  scorer = await createReplayScorer({ modelPath, threads: 1, modelId: STORIES_ID });
});

afterAll(async () => {
  await scorer?.close();
  await engine?.close();
});

/** Replaces every 5th word (from the 3rd) with a common word: ~20% of the words. */
const perturb = (text: string) => {
  const common = ["the", "a", "and", "was", "to", "he", "she", "it"];
  let k = 0;
  return text
    .split(" ")
    .map((w, i) =>
      i % 5 === 2 && /^[a-z]+$/.test(w) && w !== common[k % common.length] ? common[k++ % common.length] : w,
    )
    .join(" ");
};

describe("greedy sessions", () => {
  it("scores honest greedy outputs 10000 (several prompts and lengths, incl. non-canonical splits)", async () => {
    for (const prompt of PROMPTS) {
      for (const maxTokens of [16, 64, 256]) {
        const g = await engine.generate({ prompt, maxTokens });
        const v = await scorer.score({ prompt, output: g.text, tokens: count(g.text, maxTokens), maxTokens });
        expect(v, `${prompt} / ${maxTokens}`).toMatchObject({
          score: MAX_SCORE,
          fault: "none",
          mismatches: 0,
          endingOk: true,
        });
      }
    }
  });

  it("scores long honest outputs (BOS between stories) 10000 (a split after BOS was missed: 5000 before)", async () => {
    for (const [prompt, maxTokens] of [
      ["One day, a little dog", 512],
      ["One day, a little dog", 1024],
      ["The sun was hot and", 1024],
    ] as const) {
      const g = await engine.generate({ prompt, maxTokens });
      const v = await scorer.score({ prompt, output: g.text, tokens: count(g.text, maxTokens), maxTokens });
      expect(v, `${prompt} / ${maxTokens}`).toMatchObject({ score: MAX_SCORE, fault: "none", endingOk: true });
    }
  });

  it("rejects the cheats: lazy, truncated, perturbed, sampled at T=1, inflated count", async () => {
    const honest = await engine.generate({ prompt: PROMPT, maxTokens: MAX });
    const lazy = (await engine.generate({ prompt: OTHER, maxTokens: MAX })).text;
    // The first 25% of the honest tokens, cut at a token boundary (what a truncating miner streams).
    let truncated = "";
    await engine.generate({
      prompt: PROMPT,
      maxTokens: MAX / 4,
      onToken: (piece) => {
        truncated += piece;
      },
    });
    expect(honest.text.startsWith(truncated)).toBe(true);
    const perturbed = perturb(honest.text);
    expect(perturbed).not.toBe(honest.text);
    const cheats: [string, string, number][] = [
      ["lazy", lazy, count(lazy)],
      ["truncated", truncated, count(truncated)],
      ["perturbed", perturbed, count(perturbed)],
      ["inflated", honest.text, count(honest.text) + 8],
      ["inflated to max", truncated, MAX],
    ];
    for (let seed = 1; seed <= 5; seed++) {
      const s = await engine.generate({ prompt: PROMPT, maxTokens: MAX, sampling: T1, seed });
      cheats.push([`sampled seed ${seed}`, s.text, count(s.text)]);
    }
    const scores: Record<string, number> = {};
    for (const [name, output, tokens] of cheats) {
      const v = await scorer.score({ prompt: PROMPT, output, tokens, maxTokens: MAX });
      scores[name] = v.score;
      expect(v.score, name).toBeLessThan(CHEAT_MAX);
      expect(v.fault, name).not.toBe("none");
    }
    expect(scores.inflated).toBe(0);
    expect(scores["inflated to max"]).toBe(0);
    expect(scores.truncated).toBeLessThanOrEqual(FAULT_CAP);
    process.stdout.write(`greedy cheat scores: ${JSON.stringify(scores)}\n`);
  });

  it("bounds a cheat's repair work: a lazy 256-token answer evaluates < 2.5x its tokens (was up to 3.4x)", async () => {
    const lazy = (await engine.generate({ prompt: "There was a big tree", maxTokens: 256 })).text;
    const ratios: number[] = [];
    for (const prompt of [OTHER, "One day, a little dog", "Tom had a red ball. He", "The sun was hot and"]) {
      const v = await scorer.score({ prompt, output: lazy, tokens: count(lazy, 256), maxTokens: 256 });
      ratios.push(v.evaluated / v.outputTokens);
    }
    expect(Math.max(...ratios)).toBeLessThan(2.5);
  });

  it("rejects lazy answers at any length: another prompt's greedy story stays below the bar at 256 and 512 tokens", async () => {
    // Its mismatches sit in its first tokens; as a share of the whole output they once let 7 of 30 lazy 512-token
    // answers pass a 9000 bar.
    const worst: Record<number, number> = {};
    for (const maxTokens of [256, 512]) {
      const stories = await Promise.all(
        PROMPTS.map(async (p) => (await engine.generate({ prompt: p, maxTokens })).text),
      );
      worst[maxTokens] = 0;
      for (const [i, prompt] of PROMPTS.entries())
        for (const [j, story] of stories.entries()) {
          if (i === j || (maxTokens === 256 && j !== (i + 1) % PROMPTS.length)) continue;
          const v = await scorer.score({ prompt, output: story, tokens: count(story, maxTokens), maxTokens });
          worst[maxTokens] = Math.max(worst[maxTokens], v.score);
        }
    }
    process.stdout.write(`lazy answers, best score: ${JSON.stringify(worst)}\n`);
    expect(worst[256]).toBeLessThan(BAR);
    expect(worst[512]).toBeLessThan(BAR);
  }, 120_000);

  it("checks the ending: a result the model would continue fails unless it stopped at maxTokens", async () => {
    const g = await engine.generate({ prompt: PROMPT, maxTokens: 40 });
    // Honest at maxTokens 40; the same text claimed for a task allowing 64 tokens ends too early.
    expect((await scorer.score({ prompt: PROMPT, output: g.text, tokens: 40, maxTokens: 40 })).score).toBe(MAX_SCORE);
    const early = await scorer.score({ prompt: PROMPT, output: g.text, tokens: 40, maxTokens: 64 });
    expect(early).toMatchObject({ fault: "ending", endingOk: false });
    expect(early.score).toBeLessThanOrEqual(FAULT_CAP);
  });
});

describe("results of one task share the prompt's evaluation", () => {
  const LONG = "Once upon a time, there was a little girl named Lily. She loved to play with her toys. One day,";
  const strip = (v: ReplayVerdict) => ({ ...v, ms: 0, evaluated: 0 });

  it("a second result for the same prompt feeds only its output; verdicts equal a fresh replay's", async () => {
    const honest = await engine.generate({ prompt: LONG, maxTokens: MAX });
    const lazy = (await engine.generate({ prompt: "The sun was hot and", maxTokens: MAX })).text;
    const req = (output: string) => ({ prompt: LONG, output, tokens: count(output), maxTokens: MAX });
    const other = await engine.generate({ prompt: PROMPT, maxTokens: MAX });
    // A different prompt first, so nothing of LONG is evaluated yet.
    await scorer.score({ prompt: PROMPT, output: other.text, tokens: count(other.text), maxTokens: MAX });
    const first = await scorer.score(req(honest.text));
    const cheat = await scorer.score(req(lazy));
    const again = await scorer.score(req(honest.text));
    expect(first.score).toBe(MAX_SCORE);
    expect(cheat.score).toBeLessThan(CHEAT_MAX);
    expect(strip(again)).toEqual(strip(first));
    // The first replay fed the prompt (less the BOS it shares with the previous prompt) and the output, plus what
    // split repairs evaluate twice; the later ones only the prompt's last token (its logits predict the first
    // output token) and their output.
    expect(honest.promptTokens).toBeGreaterThan(20);
    expect(first.evaluated).toBeGreaterThanOrEqual(honest.promptTokens - 1 + first.outputTokens);
    expect(again.evaluated).toBe(first.evaluated - (honest.promptTokens - 2));

    // A scorer that never saw this prompt, with the engine's context settings (flash attention, F16 KV cache):
    // the same verdicts (the cheat's fault and bar, not its exact count: other float rounding near ties).
    const fresh = await createReplayScorer({
      modelPath: await resolveModelPath(),
      threads: 1,
      flashAttention: true,
      kvCacheType: "F16",
    });
    try {
      const freshCheat = await fresh.score(req(lazy));
      expect(freshCheat.fault).toBe(cheat.fault);
      expect(freshCheat.score).toBeLessThan(CHEAT_MAX);
      expect(strip(await fresh.score(req(honest.text)))).toEqual(strip(first));
      // A prompt that extends the one evaluated keeps the shared tokens: it feeds at least LONG's tokens (less its
      // BOS, which any two prompts share) fewer than after an unrelated prompt, for the same verdict.
      const longer = `${LONG} she`;
      const g = await engine.generate({ prompt: longer, maxTokens: MAX });
      const reqLonger = { prompt: longer, output: g.text, tokens: count(g.text), maxTokens: MAX };
      await fresh.score({ prompt: PROMPT, output: other.text, tokens: count(other.text), maxTokens: MAX });
      const afterOther = await fresh.score(reqLonger);
      await fresh.score(req(honest.text));
      const afterLong = await fresh.score(reqLonger);
      expect(afterLong).toMatchObject({ score: MAX_SCORE, fault: "none" });
      expect(strip(afterLong)).toEqual(strip(afterOther));
      expect(afterOther.evaluated - afterLong.evaluated).toBeGreaterThanOrEqual(honest.promptTokens - 1);
    } finally {
      await fresh.close();
    }
  });
});

describe("empty results", () => {
  it("an empty result must be where the model ends: it is not, for these prompts", async () => {
    const greedy = await scorer.score({ prompt: PROMPT, output: "", tokens: 0, maxTokens: 2 });
    expect(greedy).toMatchObject({ fault: "ending", endingOk: false });
    expect(greedy.score).toBeLessThanOrEqual(FAULT_CAP);
    const tight: SamplingParams = { temperature: 0.7, topK: 10, topP: 0.9 };
    const sampled = await scorer.score({ prompt: PROMPT, output: "", tokens: 0, maxTokens: 2, sampling: tight });
    expect(sampled.score).toBeLessThan(CHEAT_MAX);
  });
});

describe("sampled sessions", () => {
  const configs: SamplingParams[] = [
    { temperature: 1, topK: 0, topP: 1 },
    { temperature: 0.8, topK: 40, topP: 0.95 },
    { temperature: 0.7, topK: 0, topP: 0.9 },
    { temperature: 1.2, topK: 10, topP: 1 },
  ];

  it("accepts honest sampled outputs across 120 seeds (≤ 1% below the bar)", async () => {
    const below: string[] = [];
    const zs: number[] = [];
    for (let seed = 0; seed < 120; seed++) {
      const sampling = configs[seed % configs.length];
      const prompt = PROMPTS[seed % PROMPTS.length];
      const g = await engine.generate({ prompt, maxTokens: MAX, sampling, seed: 1000 + seed });
      const v = await scorer.score({ prompt, output: g.text, tokens: count(g.text), maxTokens: MAX, sampling });
      zs.push(v.z ?? Number.NaN);
      if (v.score < BAR)
        below.push(`seed ${seed} ${JSON.stringify(sampling)}: ${v.score} ${v.fault} z=${v.z?.toFixed(2)}`);
    }
    zs.sort((a, b) => a - b);
    process.stdout.write(
      `honest sampled z: min ${zs[0].toFixed(2)} median ${zs[60].toFixed(2)} max ${zs[119].toFixed(2)}; below bar: ${below.length}/120 ${below.join("; ")}\n`,
    );
    expect(below.length).toBeLessThanOrEqual(1);
  });

  it("rejects outputs the declared window cannot produce, and garbage or perturbed text", async () => {
    const tight: SamplingParams = { temperature: 0.7, topK: 10, topP: 0.9 };
    const honest = await engine.generate({ prompt: PROMPT, maxTokens: MAX, sampling: tight, seed: 7 });
    expect(
      (
        await scorer.score({
          prompt: PROMPT,
          output: honest.text,
          tokens: count(honest.text),
          maxTokens: MAX,
          sampling: tight,
        })
      ).score,
    ).toBeGreaterThanOrEqual(BAR);
    const hot = await engine.generate({
      prompt: PROMPT,
      maxTokens: MAX,
      sampling: { temperature: 1.5, topK: 0, topP: 1 },
      seed: 7,
    });
    const cases: [string, string, SamplingParams][] = [
      ["T=1.5 full vocabulary vs declared top-k 10", hot.text, tight],
      ["perturbed (tight window)", perturb(honest.text), tight],
      [
        "perturbed (T=1)",
        perturb((await engine.generate({ prompt: PROMPT, maxTokens: MAX, sampling: T1, seed: 9 })).text),
        T1,
      ],
      ["garbage (T=1)", " zzzz qqq 123 !!! blorp", T1],
    ];
    for (const [name, output, sampling] of cases) {
      const v = await scorer.score({ prompt: PROMPT, output, tokens: count(output), maxTokens: MAX, sampling });
      expect(v.score, `${name}: ${v.fault} z=${v.z}`).toBeLessThan(CHEAT_MAX);
    }
  });
});

describe("model identity and inputs", () => {
  it("refuses a model file whose sha256 is not the session's model id", async () => {
    const err = await createReplayScorer({
      modelPath: await resolveModelPath(),
      threads: 1,
      modelId: `0x${"11".repeat(32)}`,
    }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(ModelIdMismatchError);
    expect((err as Error).message).toContain(STORIES_ID.slice(2));
    expect(scorer.sha256).toBe(STORIES_ID.slice(2));
  });

  it("rejects bad requests with clear errors", async () => {
    await expect(scorer.score({ prompt: PROMPT, output: "x", tokens: 1, maxTokens: 0 })).rejects.toThrow(/maxTokens/);
    await expect(
      scorer.score({
        prompt: PROMPT,
        output: "x",
        tokens: 1,
        maxTokens: 4,
        sampling: { temperature: -1, topK: 0, topP: 1 },
      }),
    ).rejects.toThrow(/temperature/);
  });
});

describe("pure scoring", () => {
  const pos = (claimed: number, logits: [number, number][]): PositionLogits => ({
    claimed: claimed as Token,
    claimedLogit: logits.find(([t]) => t === claimed)?.[1] ?? Number.NEGATIVE_INFINITY,
    top: [...logits].sort((a, b) => b[1] - a[1]) as [Token, number][],
    totalWeight: logits.reduce((s, [, l]) => s + Math.exp(l - Math.max(...logits.map(([, x]) => x))), 0),
    vocabulary: logits.length,
  });
  it("greedy: counts non-argmax tokens, tolerates near ties, and caps a wrong ending", () => {
    const ok = pos(1, [
      [1, 5],
      [2, 1],
    ]);
    const tie = pos(2, [
      [1, 5],
      [2, 4.995],
    ]);
    const wrong = pos(2, [
      [1, 5],
      [2, 1],
    ]);
    const isEnd = (t: number) => t === 9;
    expect(scoreGreedy([ok, tie, ok, ok], 4, isEnd)).toEqual({ score: MAX_SCORE, mismatches: 0, endingOk: true });
    expect(scoreGreedy([ok, wrong, ok, ok, ok, ok, ok, ok, ok, ok], 10, isEnd).score).toBe(6000);
    // Beyond 64 tokens mismatches are not diluted: one in 256 → 9375 (above a 9000 bar), six → 6250.
    const long = (wrongs: number) => Array.from({ length: 256 }, (_, i) => (i < wrongs ? wrong : ok));
    expect(scoreGreedy(long(1), 256, isEnd).score).toBe(9375);
    expect(scoreGreedy(long(6), 256, isEnd).score).toBe(6250);
    expect(
      scoreGreedy(
        [
          ok,
          ok,
          pos(9, [
            [1, 5],
            [9, 1],
          ]),
        ],
        2,
        isEnd,
      ),
    ).toEqual({ score: FAULT_CAP, mismatches: 0, endingOk: false });
    expect(
      scoreGreedy(
        [
          ok,
          ok,
          pos(9, [
            [9, 5],
            [1, 1],
          ]),
        ],
        2,
        isEnd,
      ).score,
    ).toBe(MAX_SCORE);
  });
  it("sampled: a token outside top-k caps the score; top-p uses the renormalised top-k set", () => {
    const logits: [number, number][] = [
      [1, 3],
      [2, 2],
      [3, 1],
      [4, 0],
    ];
    const k2: SamplingParams = { temperature: 1, topK: 2, topP: 1 };
    expect(scoreSampled([pos(3, logits)], k2).outside).toBe(1);
    expect(scoreSampled([pos(2, logits)], k2).outside).toBe(0);
    // Within top-2 the probabilities are 0.73 / 0.27: top-p 0.7 keeps only token 1.
    expect(scoreSampled([pos(2, logits)], { temperature: 1, topK: 2, topP: 0.7 }).outside).toBe(1);
    expect(scoreSampled([pos(2, logits)], { temperature: 1, topK: 2, topP: 0.8 }).outside).toBe(0);
  });
});
