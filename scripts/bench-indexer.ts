// Indexer benchmark (prints figures; not a test). Run: node --import tsx scripts/bench-indexer.ts
//  1. backfill: ≥ 10,000 protocol events generated on anvil with many txs per block (automine off, one
//     `evm_mine` per protocol phase), then a fresh `ponder start` indexes them; events/s from "Started backfill
//     indexing" to the last row, on PGlite and (if installed) PostgreSQL; ponder's /metrics tell where time went.
//  1b. the same kind of load with one transaction per block (what automine produces), to show the block-fetch limit.
//  2. live lag: anvil with 1-second blocks; a submitTask is sent and the time until its row is in GraphQL is
//     measured, from sending and from mining, and in blocks, for several realtime polling intervals.
// Env: BENCH_TASKS (default 1500 → 9 events each), BENCH_WAVE (tasks per wave, default 500), BENCH_SAMPLES (10),
// BENCH_AUTOMINE_TASKS (default 100, 0 to skip 1b),
// BENCH_POLLING (comma list of ms, default "1000,200,100"), BENCH_PG=0 to skip PostgreSQL.
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import {
  type Address,
  createPublicClient,
  encodeFunctionData,
  type Hex,
  http,
  keccak256,
  maxUint256,
  toHex,
} from "viem";
import { type PrivateKeyAccount, privateKeyToAccount } from "viem/accounts";
import { graphql, indexedBlock, postgresAvailable, startPonder, startPostgres } from "../indexer/test/harness.ts";
import { toOffer } from "../sdk/src/actions/registerNode.ts";
import type { Deployment } from "../sdk/src/deployments.ts";
import { corTokenAbi, iCorNetworkAbi } from "../sdk/src/generated/abis.ts";
import { AssignmentMode, commitmentOf, contentHash, Role, ValidationMode } from "../sdk/src/protocol.ts";
import { type Anvil, anvilKey, deployCore, startAnvil } from "../sdk/src/testing/anvil.ts";

const TASKS = Number(process.env.BENCH_TASKS ?? 1500);
const WAVE = Number(process.env.BENCH_WAVE ?? 500);
const SAMPLES = Number(process.env.BENCH_SAMPLES ?? 10);
const POLLING = (process.env.BENCH_POLLING ?? "1000,200,100").split(",").map(Number);
const AUTOMINE_TASKS = Number(process.env.BENCH_AUTOMINE_TASKS ?? 100);
const TIMEOUT_MS = Number(process.env.BENCH_TIMEOUT_MS ?? 600_000);
const WITH_PG = process.env.BENCH_PG !== "0" && postgresAvailable();
const COR = 10n ** 18n;
const MINERS = [1, 2, 3, 4];
const ROUTER = 5;
const CLIENTS = [6, 7, 8, 9, 10];

const out = (line = "") => process.stdout.write(`${line}\n`);
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const pct = (xs: number[], p: number) => {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.floor((p / 100) * s.length))]!;
};
const fmt = (n: number, digits = 0) => n.toLocaleString("en-US", { maximumFractionDigits: digits });

// ---------------------------------------------------------------------------------------------- chain driver
/** Signs locally with explicit nonces and gas, sends raw transactions in JSON-RPC batches: thousands per block. */
const driver = (rpcUrl: string, deployment: Deployment) => {
  // The event count below reads every log of the run at once (> 10 MB, viem's default cap on a response body).
  const publicClient = createPublicClient({
    transport: http(rpcUrl, { retryCount: 0, maxResponseBodySize: 256 * 1024 * 1024 }),
    pollingInterval: 10,
  });
  const accounts = new Map<number, PrivateKeyAccount>();
  const nonces = new Map<number, number>();
  const account = (i: number) => {
    let a = accounts.get(i);
    if (!a) accounts.set(i, (a = privateKeyToAccount(anvilKey(i))));
    return a;
  };
  let id = 0;
  const rpc = async <T>(method: string, params: unknown[] = []): Promise<T> => {
    const res = await fetch(rpcUrl, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify({ jsonrpc: "2.0", id: ++id, method, params }),
    });
    const body = (await res.json()) as { result?: T; error?: { message: string } };
    if (body.error) throw new Error(`${method}: ${body.error.message}`);
    return body.result as T;
  };
  const queue: Hex[] = [];
  const tx = async (from: number, to: Address, data: Hex) => {
    if (!nonces.has(from)) {
      nonces.set(from, await publicClient.getTransactionCount({ address: account(from).address, blockTag: "pending" }));
    }
    const nonce = nonces.get(from)!;
    nonces.set(from, nonce + 1);
    queue.push(
      await account(from).signTransaction({
        chainId: deployment.chainId,
        type: "eip1559",
        to,
        data,
        nonce,
        gas: 600_000n,
        maxFeePerGas: 100_000_000_000n,
        maxPriorityFeePerGas: 1_000_000_000n,
      }),
    );
  };
  const net = (from: number, functionName: string, args: readonly unknown[]) =>
    tx(
      from,
      deployment.network,
      encodeFunctionData({ abi: iCorNetworkAbi, functionName: functionName as "register", args: args as never }),
    );
  const token = (from: number, functionName: "transfer" | "approve", args: readonly unknown[]) =>
    tx(from, deployment.token, encodeFunctionData({ abi: corTokenAbi, functionName, args: args as never }));
  /** Sends the queued transactions (batches of 250 per HTTP request); returns their hashes. */
  const flush = async (): Promise<Hex[]> => {
    const raws = queue.splice(0);
    const hashes: Hex[] = [];
    for (let i = 0; i < raws.length; i += 250) {
      const batch = raws
        .slice(i, i + 250)
        .map((raw, k) => ({ jsonrpc: "2.0", id: i + k, method: "eth_sendRawTransaction", params: [raw] }));
      const res = await fetch(rpcUrl, {
        method: "POST",
        headers: { "content-type": "application/json" },
        body: JSON.stringify(batch),
      });
      const body = (await res.json()) as { result?: Hex; error?: { message: string } }[];
      for (const r of body) {
        if (r.error) throw new Error(`eth_sendRawTransaction: ${r.error.message}`);
        hashes.push(r.result!);
      }
    }
    return hashes;
  };
  /** Mines one block with everything pending and checks every transaction succeeded. */
  const mine = async () => {
    const hashes = await flush();
    await rpc("evm_mine");
    for (let i = 0; i < hashes.length; i += 250) {
      const batch = hashes
        .slice(i, i + 250)
        .map((h, k) => ({ jsonrpc: "2.0", id: k, method: "eth_getTransactionReceipt", params: [h] }));
      const res = await fetch(rpcUrl, {
        method: "POST",
        headers: { "content-type": "application/json" },
        body: JSON.stringify(batch),
      });
      const body = (await res.json()) as { result: { status: Hex } | null }[];
      const failed = body.filter((r) => r.result?.status !== "0x1").length;
      if (failed) throw new Error(`${failed} of ${hashes.length} transactions failed or were not mined`);
    }
    return hashes.length;
  };
  return { publicClient, account, rpc, net, token, flush, mine };
};

type Driver = ReturnType<typeof driver>;

/** Miners 1-4 and router 5 registered, clients 6-10 each own a Router-mode R=1 ExactMatch session. */
const setupNetwork = async (d: Driver, deployment: Deployment): Promise<number[]> => {
  await d.rpc("evm_setAutomine", [false]);
  for (const i of [...MINERS, ROUTER, ...CLIENTS]) await d.token(0, "transfer", [d.account(i).address, 100_000n * COR]);
  await d.mine();
  for (const i of [...MINERS, ROUTER, ...CLIENTS]) await d.token(i, "approve", [deployment.network, maxUint256]);
  await d.mine();
  for (const i of MINERS) {
    await d.net(i, "register", [
      Role.Miner,
      1_000n * COR,
      [deployment.modelId],
      keccak256(toHex(i)),
      `http://miner-${i}`,
      // A wave assigns every task before any settles: capacity for all of them.
      toOffer({ capacity: 10_000 }),
    ]);
  }
  await d.net(ROUTER, "register", [
    Role.Router,
    1_000n * COR,
    [],
    keccak256(toHex(ROUTER)),
    "http://router",
    toOffer({ capacity: 0, modes: [] }),
  ]);
  await d.mine();
  const routerId = MINERS.length + 1;
  for (const c of CLIENTS) {
    await d.net(c, "createSession", [
      {
        modelId: deployment.modelId,
        redundancy: 1,
        validation: ValidationMode.ExactMatch,
        assignment: AssignmentMode.Router,
        pricePerToken: 10n ** 12n,
        maxTokens: 64,
        minReputation: 0,
        quorum: 1,
        retryLimit: 1,
        precommitWindow: 3_600,
        revealWindow: 3_600,
        attestWindow: 3_600,
        routerId,
        dedicatedMiners: [],
        temperature: 0,
        topK: 0,
        topP: 0,
        encrypted: false,
      },
      10_000n * COR,
    ]);
  }
  await d.mine();
  return CLIENTS.map((_, k) => k + 1); // session ids in creation order
};

/**
 * `count` tasks through the fast path, one block per phase: submit (TaskSubmitted, TaskPhaseChanged), assign
 * (TaskAssigned), commit (TaskCommitted, TaskPhaseChanged), reveal (TaskRevealed, WorkSettled, RouterFeePaid,
 * TaskFinalized): 9 events each.
 */
const generateTasks = async (
  d: Driver,
  sessions: number[],
  count: number,
  firstIndex: Map<number, number>,
  oneTxPerBlock = false,
) => {
  // oneTxPerBlock: what automine does (a block per transaction), for comparison.
  const each = async () => {
    if (oneTxPerBlock) await d.mine();
  };
  const taskIds: bigint[] = [];
  for (let k = 0; k < count; k++) {
    const s = k % sessions.length;
    const sessionId = sessions[s]!;
    const index = (firstIndex.get(sessionId) ?? 0) + 1;
    firstIndex.set(sessionId, index);
    taskIds.push((BigInt(sessionId) << 32n) | BigInt(index));
    await d.net(CLIENTS[s]!, "submitTask", [
      sessionId,
      contentHash(`p${sessionId}-${index}`),
      `bafyprompt${sessionId}x${index}`,
      64,
    ]);
    await each();
  }
  await d.mine();
  const minerOf = (k: number) => MINERS[k % MINERS.length]!;
  for (const [k, taskId] of taskIds.entries()) {
    await d.net(ROUTER, "assignTask", [taskId, [minerOf(k)]]);
    await each();
  }
  await d.mine();
  const resultOf = (taskId: bigint) => contentHash(`result ${taskId}`);
  const saltOf = (taskId: bigint) => keccak256(toHex(`salt ${taskId}`));
  const TOKENS = 32; // committed with the result, revealed the same
  for (const [k, taskId] of taskIds.entries()) {
    const m = minerOf(k);
    await d.net(m, "commit", [
      taskId,
      0,
      commitmentOf(taskId, d.account(m).address, resultOf(taskId), TOKENS, saltOf(taskId)),
    ]);
    await each();
  }
  await d.mine();
  for (const [k, taskId] of taskIds.entries()) {
    await d.net(minerOf(k), "reveal", [taskId, 0, resultOf(taskId), saltOf(taskId), TOKENS, `bafyresult${taskId}`]);
    await each();
  }
  await d.mine();
  return taskIds;
};

const logTime = (logs: string, msg: string): number | undefined => {
  for (const line of logs.split("\n")) {
    if (!line.includes(`"msg":"${msg}`)) continue;
    try {
      return (JSON.parse(line) as { time: number }).time;
    } catch {
      // not JSON
    }
  }
  return undefined;
};

/** `<metric>_sum` (or `_count`) values of ponder's Prometheus /metrics, by one label (largest first). */
const metricSums = (text: string, metric: string, label: string, suffix = "sum"): [string, number][] => {
  const sums = new Map<string, number>();
  const re = new RegExp(`^${metric}_${suffix}\\{([^}]*)\\} ([0-9.e+-]+)$`);
  for (const line of text.split("\n")) {
    const m = re.exec(line);
    if (!m) continue;
    const key = new RegExp(`${label}="([^"]*)"`).exec(m[1]!)?.[1] ?? "?";
    sums.set(key, (sums.get(key) ?? 0) + Number(m[2]));
  }
  return [...sums.entries()].sort((a, b) => b[1] - a[1]);
};

/** Sum of a numeric field over every log line with this message. */
const logField = (logs: string, msg: string, field: string): number => {
  let sum = 0;
  for (const line of logs.split("\n")) {
    if (!line.includes(`"msg":"${msg}`)) continue;
    try {
      sum += Number((JSON.parse(line) as Record<string, unknown>)[field] ?? 0);
    } catch {
      // not JSON
    }
  }
  return sum;
};

// ---------------------------------------------------------------------------------------------- 1. backfill
const backfill = async (opts: {
  title: string;
  tasks: number;
  oneTxPerBlock: boolean;
  databases: ("PGlite" | "PostgreSQL")[];
}) => {
  out(`## ${opts.title}`);
  const anvil = await startAnvil();
  anvils.push(anvil);
  const dir = mkdtempSync(join(tmpdir(), "cor-bench-indexer-"));
  const file = join(dir, "deployment.json");
  try {
    const deployment = await deployCore({ rpcUrl: anvil.rpcUrl, file });
    const d = driver(anvil.rpcUrl, deployment);
    await d.rpc("evm_setBlockGasLimit", [toHex(2_000_000_000)]);
    const sessions = await setupNetwork(d, deployment);
    const started = Date.now();
    const indexes = new Map<number, number>();
    let tasks = 0;
    while (tasks < opts.tasks) {
      const n = Math.min(WAVE, opts.tasks - tasks);
      await generateTasks(d, sessions, n, indexes, opts.oneTxPerBlock);
      tasks += n;
    }
    const generatedIn = Date.now() - started;
    // Bury the event blocks under ponder's 30-block finality window so all of them are backfilled.
    await d.rpc("anvil_mine", [toHex(40)]);
    const head = Number(await d.publicClient.getBlockNumber());
    const logs = await d.publicClient.getLogs({
      address: deployment.network,
      fromBlock: BigInt(deployment.startBlock),
      toBlock: BigInt(head),
    });
    const transfers = await d.publicClient.getLogs({
      address: deployment.token,
      fromBlock: BigInt(deployment.startBlock),
      toBlock: BigInt(head),
    });
    const eventBlocks = new Set([...logs, ...transfers].map((l) => l.blockNumber)).size;
    const events = logs.length + transfers.length;
    out(
      `generated ${fmt(tasks)} tasks = ${fmt(logs.length)} CorNetwork events + ${fmt(transfers.length)} COR transfers in ${eventBlocks} blocks (${fmt(generatedIn / 1000, 1)} s); head ${head}`,
    );

    type Run = { name: string; databaseUrl?: string; env?: Record<string, string> };
    const runs: Run[] = opts.databases.includes("PGlite") ? [{ name: "PGlite" }] : [];
    const pg = WITH_PG && opts.databases.includes("PostgreSQL") ? await startPostgres() : undefined;
    if (pg) {
      // The RPC cache is kept this time, so that a second run on the same database shows the rate without fetching.
      runs.push({ name: "PostgreSQL", databaseUrl: pg.url, env: { PONDER_DISABLE_CACHE: "0" } });
      runs.push({ name: "PG, cached", databaseUrl: pg.url, env: { PONDER_DISABLE_CACHE: "0" } });
    }
    try {
      for (const run of runs) {
        const t0 = Date.now();
        const ponder = await startPonder({
          rpcUrl: anvil.rpcUrl,
          deploymentFile: file,
          schema: `bench_${run.name.replace(/\W+/g, "_").toLowerCase()}_${process.pid}`,
          databaseUrl: run.databaseUrl,
          env: run.env,
        });
        try {
          // All rows are in once every task is Finalized (GraphQL: SQL over HTTP on PGlite is unreliable, see docs).
          for (;;) {
            const data = await graphql<{ tasks: { totalCount: number } }>(
              ponder.url,
              "{ tasks(where: { status: Finalized }) { totalCount } }",
            ).catch(() => ({ tasks: { totalCount: -1 } }));
            if (data.tasks.totalCount === tasks) break;
            if (Date.now() - t0 > TIMEOUT_MS) {
              throw new Error(`backfill did not finish in ${TIMEOUT_MS / 1000} s:\n${ponder.logs().slice(-3000)}`);
            }
            await sleep(100); // polling costs the indexer CPU: keep it light
          }
          const rowsIn = Date.now();
          const logs = ponder.logs();
          const backfillStart = logTime(logs, "Started backfill indexing") ?? t0;
          const seconds = (rowsIn - backfillStart) / 1000;
          const fetchMs = logField(logs, "Finished fetching backfill JSON-RPC data", "duration");
          const indexMs = logField(logs, "Indexed block range", "duration");
          out(
            `${run.name.padEnd(10)} ${fmt(events / seconds)} events/s: ${fmt(events)} events in ${fmt(seconds, 2)} s from "Started backfill indexing" to the last row (${fmt((rowsIn - t0) / 1000, 1)} s including boot)`,
          );
          const metrics = await (await fetch(`${ponder.url}/metrics`)).text();
          const requests = metricSums(metrics, "ponder_rpc_request_duration", "method", "count");
          const total = requests.reduce((a, [, n]) => a + n, 0);
          out(
            `           ponder: fetched in ${fmt(fetchMs / 1000, 2)} s (${total} RPC requests: ${requests.map(([m, n]) => `${m} ${n}`).join(", ")}); indexed + written in ${indexMs > 0 ? `${fmt(indexMs / 1000, 2)} s = ${fmt(events / (indexMs / 1000))} events/s` : "(not logged yet)"}`,
          );
          const top = (rows: [string, number][], n: number) =>
            rows
              .slice(0, n)
              .map(([k, v]) => `${k} ${fmt(v)} ms`)
              .join(", ");
          out(`           handlers: ${top(metricSums(metrics, "ponder_indexing_function_duration", "event"), 6)}`);
          out(`           database: ${top(metricSums(metrics, "ponder_database_method_duration", "method"), 6)}`);
          // The 30 trailing blocks (ponder's finality window on unknown chains) are indexed live, one by one.
          const live0 = Date.now();
          while ((await indexedBlock(ponder.url)) < head) await sleep(50);
          out(
            `           then caught up with the head (block ${head}, the last 30 of them indexed live) ${fmt((Date.now() - live0) / 1000, 2)} s later`,
          );
        } finally {
          await ponder.stop();
        }
      }
    } finally {
      await pg?.stop();
    }
  } finally {
    await anvil.stop();
    rmSync(dir, { recursive: true, force: true });
  }
};

// ---------------------------------------------------------------------------------------------- 2. live lag
const live = async () => {
  out("");
  out("## 2. Live lag (anvil, 1-second blocks)");
  const anvil: Anvil = await startAnvil();
  anvils.push(anvil);
  const dir = mkdtempSync(join(tmpdir(), "cor-bench-indexer-"));
  const file = join(dir, "deployment.json");
  try {
    const deployment = await deployCore({ rpcUrl: anvil.rpcUrl, file });
    const d = driver(anvil.rpcUrl, deployment);
    const sessions = await setupNetwork(d, deployment);
    await d.rpc("evm_setIntervalMining", [1]);
    let index = 0;
    for (const polling of POLLING) {
      const ponder = await startPonder({
        rpcUrl: anvil.rpcUrl,
        deploymentFile: file,
        schema: `bench_live_${polling}_${process.pid}`,
        env: { PONDER_POLLING_MS: String(polling) },
      });
      try {
        // Live: indexed up to the head.
        for (;;) {
          const head = Number(await d.publicClient.getBlockNumber());
          if ((await indexedBlock(ponder.url)) >= head) break;
          await sleep(100);
        }
        const fromSend: number[] = [];
        const fromMined: number[] = [];
        const blocks: number[] = [];
        for (let k = 0; k < SAMPLES; k++) {
          const sessionId = sessions[0]!;
          const taskId = (BigInt(sessionId) << 32n) | BigInt(++index);
          await d.net(CLIENTS[0]!, "submitTask", [sessionId, contentHash(`live ${index}`), `bafylive${index}`, 64]);
          const sentAt = Date.now();
          const [hash] = await d.flush();
          let minedAt = 0;
          let minedBlock = 0;
          for (;;) {
            if (!minedAt) {
              const receipt = await d.rpc<{ blockNumber: Hex } | null>("eth_getTransactionReceipt", [hash]);
              if (receipt) {
                minedAt = Date.now();
                minedBlock = Number(receipt.blockNumber);
              }
            }
            const data = await graphql<{ task: { id: string } | null }>(
              ponder.url,
              "query ($id: BigInt!) { task(id: $id) { id } }",
              { id: String(taskId) },
            );
            if (data.task) {
              const now = Date.now();
              if (!minedAt) minedAt = now;
              fromSend.push(now - sentAt);
              fromMined.push(now - minedAt);
              blocks.push(Number(await d.publicClient.getBlockNumber()) - minedBlock);
              break;
            }
            await sleep(5);
          }
          await sleep(Math.random() * 1000); // spread the sends over the block interval
        }
        out(
          `pollingInterval ${String(polling).padStart(4)} ms: row in GraphQL after mining p50 ${pct(fromMined, 50)} ms, p90 ${pct(fromMined, 90)} ms, max ${Math.max(...fromMined)} ms; after sending p50 ${pct(fromSend, 50)} ms; blocks behind head when it appeared: max ${Math.max(...blocks)}`,
        );
      } finally {
        await ponder.stop();
      }
    }
  } finally {
    await anvil.stop();
    rmSync(dir, { recursive: true, force: true });
  }
};

// Ctrl-C: run the 'exit' hooks that kill the ponder children (anvil children are killed here too).
const anvils: Anvil[] = [];
process.once("exit", () => {
  for (const a of anvils) a.process.kill("SIGKILL");
});
for (const signal of ["SIGINT", "SIGTERM"] as const) process.once(signal, () => process.exit(130));

out(`# Indexer benchmark (${new Date().toISOString()}, node ${process.version})`);
await backfill({
  title: "1. Backfill, many transactions per block",
  tasks: TASKS,
  oneTxPerBlock: false,
  databases: ["PGlite", "PostgreSQL"],
});
if (AUTOMINE_TASKS > 0) {
  out("");
  await backfill({
    title: "1b. Backfill, one transaction per block (automine)",
    tasks: AUTOMINE_TASKS,
    oneTxPerBlock: true,
    databases: ["PGlite"],
  });
}
await live();
