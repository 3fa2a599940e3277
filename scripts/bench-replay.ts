/**
 * Replay cost vs generation cost, same model, same process, same run (issue 9 target: replay ≤ 0.3×).
 *
 *   node --conditions=cor-source --import tsx scripts/bench-replay.ts [--rounds 3] [--max-tokens 256] [--threads 1]
 *
 * For each prompt the miner's engine generates a result (greedy, then sampled at T=0.8/top-k 40/
 * top-p 0.95), and the validator's replay scorer judges that same result right after, so both see
 * the same machine load. Prints per-kind totals and the median per-result ratio replay/generation.
 */
import { parseArgs } from "node:util";
import { createInferenceEngine, createReplayScorer, resolveModelPath } from "../agents/src/inference/index.ts";
import type { SamplingParams } from "../agents/src/inference/sampling.ts";

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
const KINDS: [string, SamplingParams | undefined][] = [
  ["greedy", undefined],
  ["sampled T=0.8 k=40 p=0.95", { temperature: 0.8, topK: 40, topP: 0.95 }],
];

const modelPath = await resolveModelPath();
const engine = await createInferenceEngine({ modelPath, threads });
const scorer = await createReplayScorer({ modelPath, threads, modelId: `0x${engine.sha256}` });
const median = (xs: number[]) => {
  const s = [...xs].sort((a, b) => a - b);
  return s.length % 2 ? s[(s.length - 1) / 2] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2;
};

const out: string[] = [
  `bench-replay: ${engine.modelFile}, threads ${threads}, maxTokens ${maxTokens}, ${PROMPTS.length} prompts × ${rounds} rounds`,
  "",
  "| results | tokens | generation ms | replay ms | wall ratio | median wall ratio | p90 wall ratio | CPU ratio | min score |",
  "|---|---|---|---|---|---|---|---|---|",
];
try {
  // Warm-up: first calls pay for allocations.
  const w = await engine.generate({ prompt: PROMPTS[0], maxTokens: 16 });
  await scorer.score({
    prompt: PROMPTS[0],
    output: w.text,
    tokens: engine.countOutputTokens(w.text, 16),
    maxTokens: 16,
  });
  const cpuMs = (since: NodeJS.CpuUsage) => {
    const d = process.cpuUsage(since);
    return (d.user + d.system) / 1000;
  };
  for (const [kind, sampling] of KINDS) {
    let gen = 0;
    let rep = 0;
    let genCpu = 0;
    let repCpu = 0;
    let tokens = 0;
    let minScore = 10_000;
    const ratios: number[] = [];
    for (let round = 0; round < rounds; round++) {
      for (const [i, prompt] of PROMPTS.entries()) {
        let cpu = process.cpuUsage();
        const g = await engine.generate({
          prompt,
          maxTokens,
          ...(sampling ? { sampling, seed: round * 100 + i } : {}),
        });
        genCpu += cpuMs(cpu);
        cpu = process.cpuUsage();
        const v = await scorer.score({
          prompt,
          output: g.text,
          tokens: engine.countOutputTokens(g.text, maxTokens),
          maxTokens,
          ...(sampling ? { sampling } : {}),
        });
        repCpu += cpuMs(cpu);
        gen += g.ms;
        rep += v.ms;
        tokens += g.tokens;
        minScore = Math.min(minScore, v.score);
        ratios.push(v.ms / g.ms);
      }
    }
    const p90 = [...ratios].sort((a, b) => a - b)[Math.floor(ratios.length * 0.9)];
    out.push(
      `| ${kind} (${ratios.length}) | ${tokens} | ${gen.toFixed(0)} | ${rep.toFixed(0)} | ${(rep / gen).toFixed(2)}× | ${median(ratios).toFixed(2)}× | ${p90.toFixed(2)}× | ${(repCpu / genCpu).toFixed(2)}× | ${minScore} |`,
    );
  }
  out.push(
    "",
    "ratio = replay / generation of the same results (target ≤ 0.3×); CPU = process.cpuUsage (llama.cpp threads",
    "included), less disturbed by other processes than wall time; min score: honest results should all be 10000.",
  );
  process.stdout.write(`${out.join("\n")}\n`);
} finally {
  await scorer.close();
  await engine.close();
}
