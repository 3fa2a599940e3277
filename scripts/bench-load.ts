// Load benchmark (prints figures; not a test). Run: npm run bench:load -- [--clients 32] [--seconds 60]
// A local network in this process's control, as `npm start` runs it: anvil with 1-second blocks, the
// forge-deployed contracts, 3 miners (--concurrency), validator (Replay), oracle and a router per R. N clients
// send 64-token completions through the router's OpenAI API, back to back, for --seconds at R=1 and then R=3.
// Figures: tasks/s (finalized answers / wall time), p50/p99 request→final latency, errors, and gas per task
// (every network transaction mined during the run, from the block receipts, / finalized tasks).
// Last line (R=3): `tasks/s=<x> p99_ms=<y> errors=<z>`.
import { mkdtempSync, rmSync } from "node:fs";
import { loadavg, tmpdir } from "node:os";
import { join } from "node:path";
import { parseArgs } from "node:util";
import { iCorNetworkAbi } from "@cor-network/sdk";
import { anvilKey, deployCore, freePort, startAnvil } from "@cor-network/sdk/testing";
import {
  createPublicClient,
  createWalletClient,
  decodeFunctionData,
  erc20Abi,
  type Hex,
  http,
  parseEther,
  toHex,
} from "viem";
import { privateKeyToAccount } from "viem/accounts";
import { foundry } from "viem/chains";
import { spawnAgent, waitHealthy } from "../agents/src/network/index.ts";

const { values } = parseArgs({
  options: {
    clients: { type: "string", default: "32" },
    seconds: { type: "string", default: "60" },
    miners: { type: "string", default: "3" },
    concurrency: { type: "string", default: "4" },
    tokens: { type: "string", default: "64" },
    "batch-ms": { type: "string", default: "250" },
  },
});
const CLIENTS = Number(values.clients);
const SECONDS = Number(values.seconds);
const MINERS = Number(values.miners);
const TOKENS = Number(values.tokens);
for (const [k, v] of Object.entries({ clients: CLIENTS, seconds: SECONDS, miners: MINERS, tokens: TOKENS })) {
  if (!Number.isInteger(v) || v < 1) {
    process.stderr.write(`bench-load: --${k} must be a positive integer\n`);
    process.exit(2);
  }
}
process.env.COR_CHILD_STDOUT = "ignore";
const PROMPTS = ["Once upon a time", "The little dog", "Lily went to the park", "Tom had a big red ball"];

const pct = (xs: number[], p: number) => {
  if (!xs.length) return Number.NaN;
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.floor((p / 100) * s.length))];
};

type Child = ReturnType<typeof spawnAgent>;
const stopChild = (c: Child) =>
  new Promise<void>((resolve) => {
    if (c.exitCode !== null || c.signalCode !== null) return resolve();
    c.once("exit", () => resolve());
    c.kill("SIGTERM");
  });

const main = async () => {
  const root = mkdtempSync(join(tmpdir(), "cor-bench-load-"));
  const anvil = await startAnvil({ blockTime: 1 });
  const file = join(root, "deployment.json");
  const deployment = await deployCore({ rpcUrl: anvil.rpcUrl, file });
  const chain = { ...foundry, rpcUrls: { default: { http: [anvil.rpcUrl] } } };
  const owner = createWalletClient({ account: privateKeyToAccount(anvilKey(0)), chain, transport: http(anvil.rpcUrl) });
  const pub = createPublicClient({ chain, transport: http(anvil.rpcUrl) });
  // Keys: miners 1..M, validator, oracle, one router per R.
  const keys = Array.from({ length: MINERS + 4 }, (_, i) => anvilKey(i + 1) as Hex);
  for (const key of keys) {
    const hash = await owner.writeContract({
      address: deployment.token,
      abi: erc20Abi,
      functionName: "transfer",
      args: [privateKeyToAccount(key).address, parseEther("100000")],
    });
    await pub.waitForTransactionReceipt({ hash });
  }
  const common = { "rpc-url": anvil.rpcUrl, deployment: file, "ipfs-dir": join(root, "ipfs") };
  const env = { COR_LOG_LEVEL: process.env.BENCH_CHILD_LOG ?? "error", COR_BATCH_MS: values["batch-ms"] };
  const children: Child[] = [];
  const start = async (role: string, key: Hex, flags: Record<string, string>) => {
    const port = await freePort();
    const child = spawnAgent(
      role,
      { ...common, "private-key": key, "data-dir": join(root, `${role}-${port}`), port: String(port), ...flags },
      env,
    );
    children.push(child);
    await waitHealthy(`http://127.0.0.1:${port}/health`, 180_000);
    return { child, url: `http://127.0.0.1:${port}` };
  };
  const stopAll = async () => {
    await Promise.all(children.map(stopChild));
    await anvil.stop();
    rmSync(root, { recursive: true, force: true });
  };
  process.once("SIGINT", () => void stopAll().then(() => process.exit(130)));
  // A failure (an agent not healthy, an RPC error) must not leave anvil and the agents running.
  fail = (err) => stopAll().finally(() => fatal(err));

  for (let i = 0; i < MINERS; i++)
    await start("miner", keys[i], { threads: "1", concurrency: values.concurrency as string });
  await start("validator", keys[MINERS], {});
  await start("oracle", keys[MINERS + 1], {});

  const lines: string[] = [];
  let last = "";
  for (const [k, R] of [1, 3].entries()) {
    const router = await start("router", keys[MINERS + 2 + k], { redundancy: String(R), validation: "Replay" });
    for (let i = 0; i < 600; i++) {
      const h = (await (await fetch(`${router.url}/health`)).json()) as { miners?: number };
      if ((h.miners ?? 0) >= MINERS) break;
      await new Promise((r) => setTimeout(r, 100));
    }
    const request = async (n: number) => {
      const started = performance.now();
      const res = await fetch(`${router.url}/v1/completions`, {
        method: "POST",
        headers: { "content-type": "application/json" },
        body: JSON.stringify({ model: "stories260K", prompt: PROMPTS[n % PROMPTS.length], max_tokens: TOKENS }),
        signal: AbortSignal.timeout(180_000),
      }).catch((err: Error) => err);
      const ms = performance.now() - started;
      if (res instanceof Error) return { ok: false, ms, error: res.message };
      const body = (await res.json().catch(() => ({}))) as { cor?: { status?: string }; error?: { message?: string } };
      if (res.ok && body.cor?.status === "Finalized") return { ok: true, ms };
      return { ok: false, ms, error: `${res.status} ${body.error?.message ?? body.cor?.status ?? ""}`.slice(0, 160) };
    };
    await request(0); // warm-up: the router's house session and miner links
    const fromBlock = (await pub.getBlockNumber()) + 1n;
    const latencies: number[] = [];
    const errors = new Map<string, number>();
    const began = performance.now();
    const deadline = began + SECONDS * 1000;
    let finished = began;
    let sent = 0;
    await Promise.all(
      Array.from({ length: CLIENTS }, async () => {
        while (performance.now() < deadline) {
          const r = await request(sent++);
          finished = performance.now();
          if (r.ok) latencies.push(r.ms);
          else {
            const kind = (r.error ?? "?").replace(/\d{6,}/g, "<id>"); // group by kind, not by task id
            errors.set(kind, (errors.get(kind) ?? 0) + 1);
          }
        }
      }),
    );
    const wall = (finished - began) / 1000;
    const toBlock = await pub.getBlockNumber();
    // Gas: every transaction to the network contract mined during the run (submits, assignments, commits,
    // reveals, validator attestations, oracle calls), from the block receipts, per finalized task.
    let gas = 0n;
    let txs = 0;
    const byCall = new Map<string, { txs: number; gas: bigint }>(); // issue 12: which entry points carried the load
    for (let b = fromBlock; b <= toBlock; b++) {
      const receipts = await pub.request({ method: "eth_getBlockReceipts", params: [toHex(b)] });
      const block = await pub.getBlock({ blockNumber: b, includeTransactions: true });
      const inputOf = new Map(block.transactions.map((t) => [t.hash, t.input]));
      for (const r of receipts ?? []) {
        if (r.to?.toLowerCase() !== deployment.network.toLowerCase()) continue;
        gas += BigInt(r.gasUsed);
        txs++;
        const input = inputOf.get(r.transactionHash);
        let fn = "?";
        try {
          if (input) fn = decodeFunctionData({ abi: iCorNetworkAbi, data: input }).functionName;
        } catch {}
        const c = byCall.get(fn) ?? { txs: 0, gas: 0n };
        byCall.set(fn, { txs: c.txs + 1, gas: c.gas + BigInt(r.gasUsed) });
      }
    }
    await stopChild(router.child);
    const ok = latencies.length;
    const errCount = [...errors.values()].reduce((a, b) => a + b, 0);
    const tps = ok / wall;
    const p50 = pct(latencies, 50);
    const p99 = pct(latencies, 99);
    const load = loadavg()
      .map((l) => l.toFixed(1))
      .join(" ");
    const phase = [
      `R=${R}: ${ok} tasks finalized in ${wall.toFixed(1)} s → ${tps.toFixed(2)} tasks/s; latency p50 ${p50.toFixed(0)} ms, p99 ${p99.toFixed(0)} ms; errors ${errCount}; gas/task ${ok ? (Number(gas) / ok / 1000).toFixed(0) : "-"}k all-in (${txs} network txs in blocks ${fromBlock}–${toBlock}); load average ${load}`,
    ];
    // Per entry point: transactions, gas per finalized task (the miners' commit/reveal path is commit*/reveal*).
    const calls = [...byCall].sort((a, b) => Number(b[1].gas - a[1].gas));
    phase.push(
      `  gas/task by call: ${calls.map(([fn, c]) => `${fn} ${ok ? (Number(c.gas) / ok / 1000).toFixed(1) : "-"}k (${c.txs} txs)`).join(", ")}`,
    );
    for (const [msg, n] of errors) phase.push(`  error ×${n}: ${msg}`);
    process.stderr.write(`${phase.join("\n")}\n`); // as it goes, in case a later phase fails
    lines.push(...phase);
    last = `tasks/s=${tps.toFixed(2)} p99_ms=${Number.isNaN(p99) ? "NaN" : p99.toFixed(0)} errors=${errCount}`;
  }
  await stopAll();
  const header = `Load benchmark: ${CLIENTS} clients × ${SECONDS} s per R, ${TOKENS} tokens, ${MINERS} miners (--concurrency ${values.concurrency}), 1-second blocks, COR_BATCH_MS=${values["batch-ms"]}; targets R=1 ≥ 5 tasks/s, R=3 ≥ 2 tasks/s, p99 ≤ 10 s, 0 errors`;
  process.stdout.write(`${[header, ...lines, last].join("\n")}\n`);
  process.exit(0);
};

const fatal = (err: unknown) => {
  process.stderr.write(`bench-load: ${(err as Error).stack ?? err}\n`);
  process.exit(1);
};
let fail: (err: unknown) => unknown = fatal;
main().catch((err) => fail(err));
