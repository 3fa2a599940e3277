/**
 * Replay cost vs generation cost, same model, same process, same run (issue 9 target: replay ≤ 0.3×).
 *
 *   node --conditions=cor-source --import tsx scripts/bench-replay.ts [--rounds 3] [--max-tokens 256] [--threads 1]
 *
 * 1. Per result: for each prompt the miner's engine generates a result (greedy, then sampled at T=0.8/top-k 40/
 *    top-p 0.95) and the validator's replay scorer judges that same result right after, so both see the same machine
 *    load: one row with the scorer at the miners' thread count (`--threads`), one at 2 threads (a validator may give
 *    its replays both cores; the miner's generation stays at `--threads`), each on its own generations.
 * 2. Per task at R = 3, as the validator scores it (`scoreByReplay`: one replay per distinct result, the prompt's
 *    evaluation shared): 3 honest greedy results (identical: 1 replay), 2 honest + 1 distinct cheater (a fluent
 *    answer to another prompt: 2 replays), 3 honest sampled results (3 distinct draws: 3 replays), each against the
 *    time the task's 3 honest generations took.
 * 3. Reference (greedy): generation with the replay context's settings (no flash attention, F32 KV cache) through
 *    node-llama-cpp directly, i.e. what a miner would take with those settings, and the bare prefill of prompt +
 *    output without any next-token output (the floor of a one-pass replay through node-llama-cpp).
 * Ratios are printed both in wall time and in CPU time (process.cpuUsage, llama.cpp threads included), which other
 * processes on a shared host disturb less.
 */
import { parseArgs } from "node:util";
import { LlamaCompletion, type Token } from "node-llama-cpp";
import {
  createInferenceEngine,
  createReplayScorer,
  getSharedLlama,
  outputTokensOf,
  promptTokensOf,
  type ReplayScorer,
  resolveModelPath,
} from "../agents/src/inference/index.ts";
import type { SamplingParams } from "../agents/src/inference/sampling.ts";
import { scoreByReplay } from "../agents/src/validator/score.ts";

const { values } = parseArgs({
  options: {
    rounds: { type: "string", default: "3" },
    "max-tokens": { type: "string", default: "256" },
    threads: { type: "string", default: "1" },
  },
});
const rounds = Number(values.rounds);
const maxTokens = Number(values["max-tokens"]);
const threads = Number(values.threads);
for (const [name, v] of [
  ["rounds", rounds],
  ["max-tokens", maxTokens],
  ["threads", threads],
] as const) {
  if (!Number.isInteger(v) || v < 1) {
    process.stderr.write(`--${name} must be a positive integer\n`);
    process.exit(2);
  }
}

const PROMPTS = [
  "Once upon a time, there was a little girl named Lily. She",
  "One day, a little dog",
  "Tom had a red ball. He",
  "User: Tell me a story about a cat.\n\nAssistant:",
  "The sun was hot and",
  "Anna found a small box.",
];
/** The cheater's fluent answer to another prompt. */
const LAZY_PROMPT = "There was a big tree";
const SAMPLED: SamplingParams = { temperature: 0.8, topK: 40, topP: 0.95 };
const KINDS: [string, SamplingParams | undefined][] = [
  ["greedy", undefined],
  ["sampled T=0.8 k=40 p=0.95", SAMPLED],
];
const REPLAY_THREADS = threads === 2 ? [2] : [threads, 2];

const modelPath = await resolveModelPath();
const engine = await createInferenceEngine({ modelPath, threads });
const scorers = new Map<number, ReplayScorer>();
for (const t of REPLAY_THREADS) {
  scorers.set(t, await createReplayScorer({ modelPath, threads: t, modelId: `0x${engine.sha256}` }));
}
const scorer = scorers.get(REPLAY_THREADS[0]) as ReplayScorer;

const median = (xs: number[]) => {
  const s = [...xs].sort((a, b) => a - b);
  return s.length % 2 ? s[(s.length - 1) / 2] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2;
};
const p90 = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length * 0.9)];
const x = (r: number) => `${r.toFixed(2)}×`;
/** Wall and CPU ms of `f`. */
async function timed<T>(f: () => Promise<T>): Promise<{ value: T; ms: number; cpu: number }> {
  const cpu0 = process.cpuUsage();
  const t0 = performance.now();
  const value = await f();
  const ms = performance.now() - t0;
  const d = process.cpuUsage(cpu0);
  return { value, ms, cpu: (d.user + d.system) / 1000 };
}
/** Accumulates one row: generation and replay times of the same results. */
class Row {
  gen = 0;
  rep = 0;
  genCpu = 0;
  repCpu = 0;
  tokens = 0;
  minScore = 10_000;
  ratios: number[] = [];
  add(gen: { ms: number; cpu: number }, rep: { ms: number; cpu: number }, tokens: number, score?: number) {
    this.gen += gen.ms;
    this.genCpu += gen.cpu;
    this.rep += rep.ms;
    this.repCpu += rep.cpu;
    this.tokens += tokens;
    if (score !== undefined) this.minScore = Math.min(this.minScore, score);
    this.ratios.push(rep.ms / gen.ms);
  }
  cells(label: string) {
    return `| ${label} (${this.ratios.length}) | ${this.tokens} | ${this.gen.toFixed(0)} | ${this.rep.toFixed(0)} | ${x(this.rep / this.gen)} | ${x(median(this.ratios))} | ${x(p90(this.ratios))} | ${x(this.repCpu / this.genCpu)} | ${this.minScore} |`;
  }
}
const HEADER = [
  "| results | tokens | generation ms | replay ms | wall ratio | median wall ratio | p90 wall ratio | CPU ratio | min score |",
  "|---|---|---|---|---|---|---|---|---|",
];

const out: string[] = [
  `bench-replay: ${engine.modelFile}, miner threads ${threads}, maxTokens ${maxTokens}, ${PROMPTS.length} prompts × ${rounds} rounds`,
  "",
  "## 1. Per result: replay / generation of the same result",
  "",
  ...HEADER,
];
const llama = await getSharedLlama();
const model = await llama.loadModel({ modelPath });
try {
  // Warm-up: first calls pay for allocations.
  const w = await engine.generate({ prompt: PROMPTS[0], maxTokens: 16 });
  for (const s of scorers.values()) {
    await s.score({ prompt: PROMPTS[0], output: w.text, tokens: engine.countOutputTokens(w.text, 16), maxTokens: 16 });
  }
  const request = (prompt: string, text: string, sampling?: SamplingParams) => ({
    prompt,
    output: text,
    tokens: engine.countOutputTokens(text, maxTokens),
    maxTokens,
    ...(sampling ? { sampling } : {}),
  });

  // 1. Per result, replay at the miners' thread count and at 2 threads. Each row generates its own results, right
  // before replaying each one: a 2-thread replay does not run between another row's generation and replay.
  for (const [kind, sampling] of KINDS) {
    const rows = new Map(REPLAY_THREADS.map((t) => [t, new Row()]));
    for (const [t, s] of scorers) {
      for (let round = 0; round < rounds; round++) {
        for (const [i, prompt] of PROMPTS.entries()) {
          const g = await timed(() =>
            engine.generate({ prompt, maxTokens, ...(sampling ? { sampling, seed: round * 100 + i } : {}) }),
          );
          const v = await timed(() => s.score(request(prompt, g.value.text, sampling)));
          rows
            .get(t)
            ?.add({ ms: g.value.ms, cpu: g.cpu }, { ms: v.value.ms, cpu: v.cpu }, g.value.tokens, v.value.score);
        }
      }
    }
    for (const [t, row] of rows) out.push(row.cells(`${kind}, replay threads ${t}`));
  }
  out.push(
    "",
    `Generation: the miner's engine at threads ${threads}. Replay: the validator's scorer (no flash attention, F32 KV`,
    "cache, batch 64) at the thread count shown. On a 2-core host shared with other work, 2 replay threads compete",
    "with everything else; compare the CPU ratio too.",
    "",
    "## 2. Per task at R = 3: the validator's replays (scoreByReplay) / the task's 3 honest generations",
    "",
    "| task | tasks | 3 generations ms | validator ms | replays | wall ratio | median wall ratio | CPU ratio | scores (last task) |",
    "|---|---|---|---|---|---|---|---|---|",
  );

  // 2. Per task at R = 3.
  const lazy = (await engine.generate({ prompt: LAZY_PROMPT, maxTokens })).text;
  const taskRows: [string, SamplingParams | undefined, boolean][] = [
    ["3 honest greedy (identical)", undefined, false],
    ["2 honest greedy + 1 lazy cheater", undefined, true],
    ["3 honest sampled (3 draws)", SAMPLED, false],
  ];
  for (const [label, sampling, cheater] of taskRows) {
    let gen = 0;
    let genCpu = 0;
    let val = 0;
    let valCpu = 0;
    let replays = 0;
    let tasks = 0;
    let last = "";
    const ratios: number[] = [];
    for (let round = 0; round < rounds; round++) {
      for (const [i, prompt] of PROMPTS.entries()) {
        const texts: string[] = [];
        let taskGen = 0;
        for (let m = 0; m < 3; m++) {
          const g = await timed(() =>
            engine.generate({
              prompt,
              maxTokens,
              ...(sampling ? { sampling, seed: 1000 + round * 100 + i * 3 + m } : {}),
            }),
          );
          texts.push(g.value.text);
          taskGen += g.value.ms;
          genCpu += g.cpu;
        }
        if (cheater) texts[2] = lazy;
        const v = await timed(() =>
          scoreByReplay(scorer, {
            prompt,
            maxTokens,
            sampling: sampling ?? { temperature: 0, topK: 0, topP: 1 },
            slots: 3,
            results: texts.map((text, slot) => ({ slot, text, tokens: engine.countOutputTokens(text, maxTokens) })),
          }),
        );
        gen += taskGen;
        val += v.ms;
        valCpu += v.cpu;
        replays += v.value.replays;
        tasks++;
        ratios.push(v.ms / taskGen);
        last = v.value.scores.join(" / ");
      }
    }
    out.push(
      `| ${label} | ${tasks} | ${gen.toFixed(0)} | ${val.toFixed(0)} | ${(replays / tasks).toFixed(1)} | ${x(val / gen)} | ${x(median(ratios))} | ${x(valCpu / genCpu)} | ${last} |`,
    );
  }

  // 3. Reference: generation with the replay's context settings, and the bare prefill.
  out.push(
    "",
    "## 3. Reference (greedy, threads " + threads + "): what a replay through node-llama-cpp cannot go below",
    "",
    "| figure (per result) | wall ms | CPU ms | vs engine generation (wall / CPU) |",
    "|---|---|---|---|",
  );
  const fast = {
    flashAttention: false,
    experimentalKvCacheKeyType: "F32",
    experimentalKvCacheValueType: "F32",
  } as const;
  const genCtx = await model.createContext({ contextSize: scorer.contextSize, threads, sequences: 1, ...fast });
  const prefillCtx = await model.createContext({
    contextSize: scorer.contextSize,
    batchSize: 64,
    threads,
    sequences: 1,
    ...fast,
  });
  try {
    const genSeq = genCtx.getSequence();
    const completion = new LlamaCompletion({ contextSequence: genSeq });
    const prefillSeq = prefillCtx.getSequence();
    // The same scorer code with the engine's context settings: what the code changes give without the settings.
    const minerLike = await createReplayScorer({ modelPath, threads, flashAttention: true, kvCacheType: "F16" });
    const sums = { engine: [0, 0], replay: [0, 0], minerLike: [0, 0], fastGen: [0, 0], prefill: [0, 0] };
    const add = (k: keyof typeof sums, t: { ms: number; cpu: number }) => {
      sums[k][0] += t.ms;
      sums[k][1] += t.cpu;
    };
    let sameText = 0;
    let n = 0;
    for (let round = 0; round < rounds; round++) {
      for (const prompt of PROMPTS) {
        const g = await timed(() => engine.generate({ prompt, maxTokens }));
        add("engine", g);
        add("replay", await timed(() => scorer.score(request(prompt, g.value.text))));
        add("minerLike", await timed(() => minerLike.score(request(prompt, g.value.text))));
        await genSeq.clearHistory();
        const f = await timed(() =>
          completion.generateCompletion(prompt, { maxTokens, temperature: 0, repeatPenalty: false }),
        );
        add("fastGen", f);
        if (f.value.trim() === g.value.text.trim()) sameText++; // LlamaCompletion trims the leading space
        const tokens: Token[] = [...promptTokensOf(model, prompt), ...outputTokensOf(model, g.value.text)];
        await prefillSeq.clearHistory();
        add("prefill", await timed(() => prefillSeq.controlledEvaluate(tokens)));
        n++;
      }
    }
    const line = (label: string, k: keyof typeof sums) =>
      `| ${label} | ${(sums[k][0] / n).toFixed(1)} | ${(sums[k][1] / n).toFixed(1)} | ${x(sums[k][0] / sums.engine[0])} / ${x(sums[k][1] / sums.engine[1])} |`;
    out.push(
      line("generation, miner's engine (flash attention auto = on, F16 KV)", "engine"),
      line("generation, node-llama-cpp with the replay's settings (no flash attention, F32 KV)", "fastGen"),
      line("replay (validator's scorer)", "replay"),
      line("replay with the engine's context settings (flash attention, F16 KV)", "minerLike"),
      line("bare prefill of prompt + output (no next-token output), replay's settings", "prefill"),
      "",
      `replay / generation with the replay's settings: ${x(sums.replay[0] / sums.fastGen[0])} wall, ${x(sums.replay[1] / sums.fastGen[1])} CPU;` +
        ` bare prefill / that generation: ${x(sums.prefill[0] / sums.fastGen[0])} wall, ${x(sums.prefill[1] / sums.fastGen[1])} CPU` +
        ` (same text as the engine's: ${sameText}/${n}).`,
    );
    await minerLike.close();
  } finally {
    await genCtx.dispose();
    await prefillCtx.dispose();
  }
  out.push("", "min score / scores: honest results should all be 10000, the lazy cheater far below the bar.");
  process.stdout.write(`${out.join("\n")}\n`);
} finally {
  for (const s of scorers.values()) await s.close();
  await model.dispose();
  await engine.close();
}
