// Router benchmark (prints figures; not a test). Run: node --import tsx scripts/bench-router.ts
//  1. streaming throughput through the router vs node-llama-cpp called directly, same model, prompt and
//     token budget, measured in this run (target ratio ≥ 0.97);
//  2. latency the router hop adds: for each token, arrival through the router's SSE minus arrival on a
//     direct WebSocket to the miner, both read by this process (target p50 ≤ 1 ms; LiteLLM reports 3.25 ms);
//  3. submit → finalized wall time on anvil with 1-second blocks.
import { mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { createPublicClient, createWalletClient, erc20Abi, http, parseEther } from "viem";
import { privateKeyToAccount } from "viem/accounts";
import { foundry } from "viem/chains";
import WebSocket from "ws";
import { createInferenceEngine, resolveModelPath } from "../agents/src/inference/index.ts";
import { anvilKey, deployCore, freePort, startAnvil } from "../sdk/src/testing/anvil.ts";
import { spawnAgent, waitHealthy } from "./network.ts";

process.env.COR_LOG_LEVEL = "warn";
const PROMPT = "Once upon a time, there was a little girl named Lily. She";
const MAX_TOKENS = Number(process.env.BENCH_TOKENS ?? 256);
const RUNS = Number(process.env.BENCH_RUNS ?? 5);

const pct = (xs: number[], p: number) => {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.floor((p / 100) * s.length))];
};
const median = (xs: number[]) => pct(xs, 50);

const network = async (blockTime?: number) => {
  const root = mkdtempSync(join(tmpdir(), "cor-bench-"));
  const anvil = await startAnvil({ blockTime });
  const file = join(root, "deployment.json");
  const deployment = await deployCore({ rpcUrl: anvil.rpcUrl, file });
  const chain = { ...foundry, rpcUrls: { default: { http: [anvil.rpcUrl] } } };
  const owner = createWalletClient({ account: privateKeyToAccount(anvilKey(0)), chain, transport: http(anvil.rpcUrl) });
  const pub = createPublicClient({ chain, transport: http(anvil.rpcUrl) });
  for (const i of [1, 2]) {
    const hash = await owner.writeContract({
      address: deployment.token,
      abi: erc20Abi,
      functionName: "transfer",
      args: [privateKeyToAccount(anvilKey(i)).address, parseEther("100000")],
    });
    await pub.waitForTransactionReceipt({ hash });
  }
  // Miner and router run as their own processes, as deployed (the miner's generation never shares a thread
  // with the router's relaying or this client).
  const common = { "rpc-url": anvil.rpcUrl, deployment: file, "ipfs-dir": join(root, "ipfs") };
  const minerPort = await freePort();
  const routerPort = await freePort();
  const env = { COR_LOG_LEVEL: process.env.BENCH_CHILD_LOG ?? "warn", COR_MAX_TOKENS: "1024" };
  const miner = spawnAgent(
    "miner",
    { ...common, "private-key": anvilKey(1), "data-dir": join(root, "miner"), port: String(minerPort), threads: "1" },
    env,
  );
  await waitHealthy(`http://127.0.0.1:${minerPort}/health`, 120_000);
  const router = spawnAgent(
    "router",
    {
      ...common,
      "private-key": anvilKey(2),
      "data-dir": join(root, "router"),
      port: String(routerPort),
      redundancy: "1",
      validation: "ExactMatch",
    },
    env,
  );
  await waitHealthy(`http://127.0.0.1:${routerPort}/health`, 120_000);
  const routerUrl = `http://127.0.0.1:${routerPort}`;
  for (let i = 0; i < 100; i++) {
    const h = (await (await fetch(`${routerUrl}/health`)).json()) as { miners: number };
    if (h.miners > 0) break;
    await new Promise((r) => setTimeout(r, 100));
  }
  const stopChild = (c: ReturnType<typeof spawnAgent>) =>
    new Promise<void>((resolve) => {
      if (c.exitCode !== null) return resolve();
      c.once("exit", () => resolve());
      c.kill("SIGTERM");
    });
  return {
    routerUrl,
    minerPort,
    stop: async () => {
      await stopChild(router);
      await stopChild(miner);
      await anvil.stop();
    },
  };
};

/** One streamed completion through the router; also listens on the miner's own socket for the same task. */
const streamOnce = async (routerUrl: string, minerPort: number) => {
  const direct = new WebSocket(`ws://127.0.0.1:${minerPort}/stream`);
  await new Promise((r) => direct.once("open", r));
  const directAt = new Map<number, number>();
  direct.on("message", (d) => {
    const m = JSON.parse(String(d));
    if (m.type === "token") directAt.set(m.index, performance.now());
  });
  const res = await fetch(`${routerUrl}/v1/completions`, {
    method: "POST",
    headers: { "content-type": "application/json" },
    body: JSON.stringify({ model: "stories260K", prompt: PROMPT, max_tokens: MAX_TOKENS, stream: true }),
  });
  const routerAt: number[] = [];
  let first = 0;
  let last = 0;
  let text = "";
  let buf = "";
  const decoder = new TextDecoder();
  for await (const part of res.body as unknown as AsyncIterable<Uint8Array>) {
    const now = performance.now();
    buf += decoder.decode(part, { stream: true });
    let i = buf.indexOf("\n\n");
    while (i >= 0) {
      const raw = buf.slice(0, i);
      buf = buf.slice(i + 2);
      i = buf.indexOf("\n\n");
      const line = raw.startsWith("data: ") ? raw.slice(6) : raw;
      if (line === "[DONE]") continue;
      const chunk = JSON.parse(line);
      const piece = chunk.choices?.[0]?.text ?? "";
      if (piece && chunk.choices?.[0]?.finish_reason === null) {
        if (!first) first = now;
        last = now;
        routerAt.push(now);
        text += piece;
      }
    }
  }
  direct.close();
  const hops = routerAt.map((t, idx) => t - (directAt.get(idx) ?? t)).filter((x) => x >= 0);
  const minerTimes = [...directAt.values()].sort((a, b) => a - b);
  const minerRate = (minerTimes.length - 1) / ((minerTimes[minerTimes.length - 1] - minerTimes[0]) / 1000);
  return { tokens: routerAt.length, seconds: (last - first) / 1000, hops, text, minerRate };
};

const main = async () => {
  // 1. Direct engine baseline (same model, prompt, budget, threads=1), interleaved with router runs.
  const engine = await createInferenceEngine({ modelPath: await resolveModelPath(), threads: 1 });
  const net = await network();
  const directRates: number[] = [];
  const routerRates: number[] = [];
  const hops: number[] = [];
  const sameTask: number[] = [];
  await streamOnce(net.routerUrl, net.minerPort); // warm-up (house session, sockets)
  for (let run = 0; run < RUNS; run++) {
    let first = 0;
    let last = 0;
    let n = 0;
    const r = await engine.generate({
      prompt: PROMPT,
      maxTokens: MAX_TOKENS,
      onToken: () => {
        const now = performance.now();
        if (!first) first = now;
        last = now;
        n++;
      },
    });
    directRates.push((n - 1) / ((last - first) / 1000));
    const s = await streamOnce(net.routerUrl, net.minerPort);
    if (s.text !== r.text) throw new Error("router stream differs from direct generation");
    routerRates.push((s.tokens - 1) / s.seconds);
    sameTask.push((s.tokens - 1) / s.seconds / s.minerRate);
    hops.push(...s.hops);
  }
  await net.stop();
  await engine.close();

  // 3. Submit → finalized with 1-second blocks.
  const slow = await network(1);
  const finality: number[] = [];
  for (let run = 0; run < 3; run++) {
    const started = performance.now();
    const res = await fetch(`${slow.routerUrl}/v1/completions`, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify({ model: "stories260K", prompt: PROMPT, max_tokens: 32 }),
    });
    const body = (await res.json()) as { cor?: { status: string } };
    if (body.cor?.status !== "Finalized") throw new Error(`not finalized: ${JSON.stringify(body)}`);
    finality.push((performance.now() - started) / 1000);
  }
  await slow.stop();

  const d = median(directRates);
  const r = median(routerRates);
  const lines = [
    `Router benchmark (stories260K, ${MAX_TOKENS} tokens, threads=1, ${RUNS} runs, medians)`,
    `  direct node-llama-cpp          ${d.toFixed(0)} tok/s`,
    `  through the router (SSE)       ${r.toFixed(0)} tok/s`,
    `  ratio router/direct            ${(r / d).toFixed(3)}   (target ≥ 0.97)`,
    `  same task: router SSE / the miner's own stream   ${median(sameTask).toFixed(3)}   (router overhead alone)`,
    `  added latency per router hop   p50 ${median(hops).toFixed(3)} ms, p99 ${pct(hops, 99).toFixed(3)} ms over ${hops.length} tokens   (target p50 ≤ 1 ms; LiteLLM 3.25 ms)`,
    `  submit → finalized (1 s blocks, R=1, 32 tokens)   median ${median(finality).toFixed(2)} s  [${finality.map((f) => f.toFixed(2)).join(", ")}]`,
  ];
  process.stdout.write(`${lines.join("\n")}\n`);
  process.exit(0);
};

main().catch((err) => {
  process.stderr.write(`${err.stack ?? err}\n`);
  process.exit(1);
});
