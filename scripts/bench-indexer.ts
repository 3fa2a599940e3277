// Indexer benchmark (prints figures; not a test). Run: node --conditions=cor-source --import tsx scripts/bench-indexer.ts
//
//  1. Cold backfill. A chain of BENCH_TASKS tasks through the fast path (9 events each) is generated on anvil
//     (automine off, blocks mined by the script) in three shapes:
//       spread   the load run's shape: the agents' batched entry points (submitMany / assignMany / commitMany /
//                revealMany), BENCH_SPREAD_RATE tasks per block in each phase, pipelined (~60 blocks with events)
//       batched  the same calls, one block per phase of a wave of 500 tasks (12 blocks with events)
//       single   one transaction per task and phase (the shape before issue 12), one block per phase of a wave
//     Then fresh `ponder start`s index it, in turns:
//       current   this indexer (indexer/)
//       baseline  the handlers and schema of BENCH_BASELINE_REV (default 2036ea9: counter rows for the network and daily
//                 totals, before they became views), same config
//       empty     every event registered with a no-op handler: the floor set by ponder's own fetch + store of raw data
//     each on PGlite and (if installed) PostgreSQL (ponder_sync dropped between runs), BENCH_ROUNDS rounds, the order
//     rotated every round so that load from other jobs hits all of them alike. Events/s = all events / the time from
//     "Started backfill indexing" to "Completed backfill indexing"; the ratio is against baseline (medians, same run).
//  2. Live lag under load. anvil with 1-second blocks; BENCH_LIVE_RATE tasks per block go through the fast path
//     (batched, pipelined: every block carries submits, assignments, commits and reveals) for BENCH_LIVE_SECONDS;
//     the chain head and ponder's indexed block (/status) are sampled every 50 ms: lag per block (mined -> indexed)
//     and the most blocks the index was ever behind the head.
//
// Env: BENCH_TASKS (1500), BENCH_SHAPES ("spread,batched,single"), BENCH_SPREAD_RATE (25), BENCH_WAVE (500),
// BENCH_BATCH (tasks per batched call, 100), BENCH_APPS ("baseline,current,empty"), BENCH_ROUNDS (2), BENCH_PG=0
// (skip PostgreSQL), BENCH_BASELINE_REV, BENCH_LIVE_RATE (20), BENCH_LIVE_SECONDS (30, 0 = skip), BENCH_POLLING (ms,
// "200"), BENCH_CPU_PROF (a directory: V8 CPU profiles of the backfill runs, see docs/indexer.md).
import { execFileSync } from "node:child_process";
import { mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join, relative, resolve } from "node:path";
import {
  AssignmentMode,
  commitmentOf,
  contentHash,
  corTokenAbi,
  type Deployment,
  iCorNetworkAbi,
  Role,
  toOffer,
  ValidationMode,
} from "@cor-network/sdk";
import { type Anvil, anvilKey, deployCore, startAnvil } from "@cor-network/sdk/testing";
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
import {
  graphql,
  indexedBlock,
  indexerDir,
  type Postgres,
  postgresAvailable,
  startPonder,
  startPostgres,
} from "../indexer/test/harness.ts";

const TASKS = Number(process.env.BENCH_TASKS ?? 1500);
const WAVE = Number(process.env.BENCH_WAVE ?? 500);
const BATCH = Number(process.env.BENCH_BATCH ?? 100);
const SHAPES = (process.env.BENCH_SHAPES ?? "spread,batched,single").split(",").filter(Boolean) as Shape[];
const APPS = (process.env.BENCH_APPS ?? "baseline,current,empty").split(",") as AppName[];
const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 2);
const BASELINE_REV = process.env.BENCH_BASELINE_REV ?? "2036ea9";
const LIVE_RATE = Number(process.env.BENCH_LIVE_RATE ?? 20);
const SPREAD_RATE = Number(process.env.BENCH_SPREAD_RATE ?? 25);
const LIVE_SECONDS = Number(process.env.BENCH_LIVE_SECONDS ?? 30);
const POLLING = (process.env.BENCH_POLLING ?? "200").split(",").map(Number);
const LIVE_APPS = (process.env.BENCH_LIVE_APPS ?? "current,empty").split(",") as AppName[];
const TIMEOUT_MS = Number(process.env.BENCH_TIMEOUT_MS ?? 600_000);
const CPU_PROF = process.env.BENCH_CPU_PROF;
const WITH_PG = process.env.BENCH_PG !== "0" && postgresAvailable();
const LIVE_DBS = (process.env.BENCH_LIVE_DBS ?? "PGlite,PostgreSQL")
  .split(",")
  .filter((db) => db === "PGlite" || WITH_PG);
const COR = 10n ** 18n;
const MINERS = [1, 2, 3, 4];
const ROUTER = 5;
const CLIENTS = [6, 7, 8, 9, 10];
const TOKENS = 32; // output tokens of every result (committed, then revealed the same)

type Shape = "batched" | "single" | "spread";
type AppName = "baseline" | "current" | "empty";

const out = (line = "") => process.stdout.write(`${line}\n`);
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const pct = (xs: number[], p: number) => {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.floor((p / 100) * s.length))]!;
};
const median = (xs: number[]) => {
  const s = [...xs].sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length % 2 ? s[m]! : (s[m - 1]! + s[m]!) / 2;
};
/** CPU seconds (user + system) a process has used so far, from /proc (Linux); 0 elsewhere. */
const cpuSeconds = (pid: number | undefined): number => {
  try {
    const fields = readFileSync(`/proc/${pid}/stat`, "utf8").split(") ")[1]!.split(" ");
    return (Number(fields[11]) + Number(fields[12])) / 100; // utime + stime, in clock ticks of 1/100 s
  } catch {
    return 0;
  }
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
  const tx = async (from: number, to: Address, data: Hex, gas = 600_000n) => {
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
        gas,
        maxFeePerGas: 100_000_000_000n,
        maxPriorityFeePerGas: 1_000_000_000n,
      }),
    );
  };
  const net = (from: number, functionName: string, args: readonly unknown[], calls = 1) =>
    tx(
      from,
      deployment.network,
      encodeFunctionData({ abi: iCorNetworkAbi, functionName: functionName as "register", args: args as never }),
      600_000n * BigInt(calls),
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

/** Every task's result (hash, salt, CID) is a function of its id: commits and reveals need no bookkeeping. */
const resultOf = (taskId: bigint) => contentHash(`result ${taskId}`);
const saltOf = (taskId: bigint) => keccak256(toHex(`salt ${taskId}`));

/** Miner `m` precommits to the results of `ids` (slot 0) in one commitMany. */
const commitBatch = (d: Driver, m: number, ids: bigint[]) =>
  d.net(
    m,
    "commitMany",
    [ids, ids.map(() => 0), ids.map((id) => commitmentOf(id, d.account(m).address, resultOf(id), TOKENS, saltOf(id)))],
    ids.length,
  );

/** Miner `m` reveals the results of `ids` (slot 0) in one revealMany (the last reveal of each settles it). */
const revealBatch = (d: Driver, m: number, ids: bigint[]) =>
  d.net(
    m,
    "revealMany",
    [
      ids.map((id) => ({
        taskId: id,
        slot: 0,
        resultHash: resultOf(id),
        salt: saltOf(id),
        tokens: TOKENS,
        resultCid: `bafyresult${id}`,
      })),
    ],
    ids.length,
  );

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
 * `count` tasks through the fast path, one transaction per task and phase, one block per phase: submit (TaskSubmitted, TaskPhaseChanged), assign
 * (TaskAssigned), commit (TaskCommitted, TaskPhaseChanged), reveal (TaskRevealed, WorkSettled, RouterFeePaid,
 * TaskFinalized): 9 events each.
 */
const generateTasks = async (d: Driver, sessions: number[], count: number, firstIndex: Map<number, number>) => {
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
  }
  await d.mine();
  const minerOf = (k: number) => MINERS[k % MINERS.length]!;
  for (const [k, taskId] of taskIds.entries()) {
    await d.net(ROUTER, "assignTask", [taskId, [minerOf(k)]]);
  }
  await d.mine();
  for (const [k, taskId] of taskIds.entries()) {
    const m = minerOf(k);
    await d.net(m, "commit", [
      taskId,
      0,
      commitmentOf(taskId, d.account(m).address, resultOf(taskId), TOKENS, saltOf(taskId)),
    ]);
  }
  await d.mine();
  for (const [k, taskId] of taskIds.entries()) {
    await d.net(minerOf(k), "reveal", [taskId, 0, resultOf(taskId), saltOf(taskId), TOKENS, `bafyresult${taskId}`]);
  }
  await d.mine();
  return taskIds;
};

/**
 * The same fast path sent the way the agents send it since issue 12 (batched entry points): per wave, each client
 * one `submitMany`, the router `assignMany` and each miner one `commitMany` and one `revealMany` (chunks of
 * BATCH tasks), one block per phase. Same 9 events per task, ~100x fewer transactions.
 */
const generateTasksBatched = async (d: Driver, sessions: number[], count: number, firstIndex: Map<number, number>) => {
  const perSession = new Map<number, bigint[]>();
  const taskIds: bigint[] = [];
  for (let k = 0; k < count; k++) {
    const sessionId = sessions[k % sessions.length]!;
    const index = (firstIndex.get(sessionId) ?? 0) + 1;
    firstIndex.set(sessionId, index);
    const taskId = (BigInt(sessionId) << 32n) | BigInt(index);
    taskIds.push(taskId);
    perSession.set(sessionId, [...(perSession.get(sessionId) ?? []), taskId]);
  }
  const chunks = <T>(xs: T[]) =>
    Array.from({ length: Math.ceil(xs.length / BATCH) }, (_, i) => xs.slice(i * BATCH, (i + 1) * BATCH));
  for (const [s, sessionId] of sessions.entries()) {
    for (const ids of chunks(perSession.get(sessionId) ?? [])) {
      const label = (id: bigint) => `${sessionId}-${Number(id & 0xffffffffn)}`;
      await d.net(
        CLIENTS[s]!,
        "submitMany",
        [
          sessionId,
          ids.map((id) => contentHash(`p${label(id)}`)),
          ids.map((id) => `bafyprompt${label(id).replace("-", "x")}`),
          ids.map(() => 64),
        ],
        ids.length,
      );
    }
  }
  await d.mine();
  const minerOf = (k: number) => MINERS[k % MINERS.length]!;
  for (const ids of chunks(taskIds.map((id, k) => [id, k] as const))) {
    await d.net(ROUTER, "assignMany", [ids.map(([id]) => id), ids.map(([, k]) => [minerOf(k)])], ids.length);
  }
  await d.mine();
  const byMiner = (m: number) => taskIds.filter((_, k) => minerOf(k) === m);
  for (const m of MINERS) {
    for (const ids of chunks(byMiner(m))) {
      await commitBatch(d, m, ids);
    }
  }
  await d.mine();
  for (const m of MINERS) {
    for (const ids of chunks(byMiner(m))) {
      await revealBatch(d, m, ids);
    }
  }
  await d.mine();
  return taskIds;
};

// ---------------------------------------------------------------------------------------------- ponder apps
/** Where the variants live: under indexer/.ponder (git-ignored), so that imports like ../../ponder.config.ts resolve. */
const appsRoot = join(indexerDir(), ".ponder", `bench-${process.pid}`);

/** Every event the indexer handles: all CorNetwork events and COR Transfer. */
const handledEvents = (): string[] => [
  ...iCorNetworkAbi.filter((item) => item.type === "event").map((item) => `CorNetwork:${item.name}`),
  "CORToken:Transfer",
];

/**
 * The copied handlers (src/) import files outside the app relatively (`../../sdk/src/generated/abis.ts` from indexer/src):
 * point those imports at the same files from the copy's deeper directory.
 */
const rebaseImports = (dir: string) => {
  for (const entry of readdirSync(join(dir, "src"), { recursive: true, withFileTypes: true })) {
    if (!entry.isFile() || !entry.name.endsWith(".ts")) continue;
    const file = join(entry.parentPath, entry.name);
    const original = join(indexerDir(), relative(dir, entry.parentPath));
    const text = readFileSync(file, "utf8").replace(/from "(\.\.\/[^"]*)"/g, (whole, spec: string) => {
      const target = resolve(original, spec);
      if (target.startsWith(indexerDir())) return whole; // inside the app: same layout in the copy
      return `from "${relative(dirname(file), target)}"`;
    });
    writeFileSync(file, text);
  }
};

/**
 * Ponder app directory for one variant. `current` is the indexer itself; `baseline` its schema and handlers at
 * BASELINE_REV with today's config; `empty` no-op handlers for the same events (no rows but one dummy table).
 */
const appDir = (app: AppName): string => {
  if (app === "current") return indexerDir();
  const dir = join(appsRoot, app);
  mkdirSync(join(dir, "src", "api"), { recursive: true });
  writeFileSync(join(dir, "ponder.config.ts"), 'export { default } from "../../../ponder.config.ts";\n');
  if (app === "baseline") {
    const tar = execFileSync("git", ["archive", BASELINE_REV, "indexer/src", "indexer/ponder.schema.ts"], {
      cwd: join(indexerDir(), ".."),
      maxBuffer: 64 * 1024 * 1024,
    });
    execFileSync("tar", ["-x", "--strip-components=1", "-C", dir], { input: tar });
    rebaseImports(dir);
  } else {
    writeFileSync(
      join(dir, "ponder.schema.ts"),
      'import { onchainTable } from "ponder";\nexport const nothing = onchainTable("nothing", (t) => ({ id: t.integer().primaryKey() }));\n',
    );
    writeFileSync(
      join(dir, "src", "index.ts"),
      `import { ponder } from "ponder:registry";\nfor (const name of ${JSON.stringify(handledEvents())}) ponder.on(name as never, async () => {});\n`,
    );
    writeFileSync(join(dir, "src", "api", "index.ts"), 'import { Hono } from "hono";\nexport default new Hono();\n');
  }
  return dir;
};

// ---------------------------------------------------------------------------------------------- ponder figures
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
/** A Prometheus counter (no suffix) by one label. */
const metricValues = (text: string, metric: string, label: string): Map<string, number> => {
  const values = new Map<string, number>();
  const re = new RegExp(`^${metric}\\{([^}]*)\\} ([0-9.e+-]+)$`);
  for (const line of text.split("\n")) {
    const m = re.exec(line);
    if (!m) continue;
    const key = new RegExp(`${label}="([^"]*)"`).exec(m[1]!)?.[1] ?? "?";
    values.set(key, (values.get(key) ?? 0) + Number(m[2]));
  }
  return values;
};

type BackfillRun = {
  app: AppName;
  round: number;
  db: "PGlite" | "PostgreSQL";
  seconds: number;
  /** CPU seconds the ponder process used over the same span (its own work, whatever else the host runs). */
  cpu: number;
  /** ponder's historical phases (ms): waiting for raw data (fetch + store + query) vs running handlers + flushing rows. */
  extractMs: number;
  handlersMs: number;
  flushMs: number;
  topHandlers: string;
  /** Store reads served from memory vs read from the database (a miss costs a query). */
  cacheHits: number;
  cacheMisses: number;
};

// ---------------------------------------------------------------------------------------------- 1. backfill
const backfill = async (shape: Shape) => {
  const title = {
    batched: "batched transactions, one block per phase of a wave of 500 tasks",
    single: "one transaction per task and phase, one block per phase of a wave of 500 tasks",
    spread: `batched transactions, ${SPREAD_RATE} tasks per block in each phase (the load run's shape)`,
  };
  out(`## 1. Cold backfill, ${title[shape]}`);
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
    if (shape === "spread") {
      // The load run's shape: every block carries SPREAD_RATE tasks in each phase (pipelined), like 1-second blocks.
      const load = steadyLoad(d, sessions[0]!, CLIENTS[0]!, SPREAD_RATE);
      while (load.sent() < TASKS || load.inFlight() > 0) {
        await load.step(load.sent() < TASKS);
        await d.mine();
      }
      tasks = load.sent();
    }
    while (tasks < TASKS) {
      const n = Math.min(WAVE, TASKS - tasks);
      if (shape === "batched") await generateTasksBatched(d, sessions, n, indexes);
      else await generateTasks(d, sessions, n, indexes);
      tasks += n;
    }
    const generatedIn = Date.now() - started;
    // Bury the event blocks under ponder's 30-block finality window so all of them are backfilled.
    await d.rpc("anvil_mine", [toHex(40)]);
    const head = Number(await d.publicClient.getBlockNumber());
    const range = { fromBlock: BigInt(deployment.startBlock), toBlock: BigInt(head) };
    const logs = await d.publicClient.getLogs({ address: deployment.network, ...range });
    const transfers = await d.publicClient.getLogs({ address: deployment.token, events: [transferEvent], ...range });
    const txCount = (
      await Promise.all(
        [...new Set([...logs, ...transfers].map((l) => l.blockNumber))].map((n) =>
          d.publicClient.getBlockTransactionCount({ blockNumber: n }),
        ),
      )
    ).reduce((a, b) => a + b, 0);
    const events = logs.length + transfers.length;
    out(
      `generated ${fmt(tasks)} tasks = ${fmt(logs.length)} CorNetwork events + ${fmt(transfers.length)} COR transfers, ${fmt(txCount)} transactions (${fmt(generatedIn / 1000, 1)} s); head ${head}`,
    );

    const pg: Postgres | undefined = WITH_PG ? await startPostgres() : undefined;
    const runs: BackfillRun[] = [];
    try {
      for (let round = 0; round < ROUNDS; round++) {
        for (const db of pg ? (["PGlite", "PostgreSQL"] as const) : (["PGlite"] as const)) {
          // Rotate the order every round: a load spike from other jobs then does not always hit the same app.
          const order = APPS.map((_, i) => APPS[(i + round) % APPS.length]!);
          for (const app of order) {
            const run = await backfillOnce({ app, db, pg, anvil, file, events, tasks, round, shape });
            runs.push(run);
            out(
              `  round ${round + 1} ${db.padEnd(10)} ${app.padEnd(8)} ${fmt(events / run.seconds).padStart(6)} events/s (${fmt(run.seconds, 2)} s, ponder CPU ${fmt(run.cpu, 2)} s; raw data ${fmt(run.extractMs / 1000, 2)} s, handlers ${fmt(run.handlersMs / 1000, 2)} s, flush ${fmt(run.flushMs / 1000, 2)} s; store reads ${fmt(run.cacheHits)} from memory, ${fmt(run.cacheMisses)} from the database)`,
            );
          }
        }
      }
    } finally {
      await pg?.stop();
    }
    out("");
    out(
      "| database | app | events/s median (range) | x baseline (median of same-round ratios) | events per ponder CPU-second | raw data s | handlers s | flush s |",
    );
    out("|---|---|---|---|---|---|---|---|");
    for (const db of ["PGlite", "PostgreSQL"] as const) {
      const of = (app: AppName) => runs.filter((r) => r.db === db && r.app === app);
      for (const app of APPS) {
        const mine = of(app);
        if (mine.length === 0) continue;
        const rates = mine.map((r) => events / r.seconds);
        // Each round runs every app back to back: the ratio within a round is the one least moved by other jobs.
        const ratios = mine.flatMap((r) => {
          const base = of("baseline").find((b) => b.round === r.round);
          return base ? [base.seconds / r.seconds] : [];
        });
        const ms = (pick: (r: BackfillRun) => number) => fmt(median(mine.map(pick)) / 1000, 2);
        out(
          `| ${db} | ${app} | ${fmt(median(rates))} (${fmt(Math.min(...rates))}-${fmt(Math.max(...rates))}) | ${ratios.length ? `${fmt(median(ratios), 2)}x` : "-"} | ${fmt(median(mine.map((r) => events / r.cpu)))} | ${ms((r) => r.extractMs)} | ${ms((r) => r.handlersMs)} | ${ms((r) => r.flushMs)} |`,
        );
      }
    }
    const last = runs.findLast((r) => r.app === "current");
    if (last) out(`handlers (current, last run): ${last.topHandlers}`);
    out("");
  } finally {
    await anvil.stop();
    rmSync(dir, { recursive: true, force: true });
  }
};

const transferEvent = corTokenAbi.find((item) => item.type === "event" && item.name === "Transfer")!;

const backfillOnce = async (opts: {
  app: AppName;
  db: "PGlite" | "PostgreSQL";
  pg?: Postgres;
  anvil: Anvil;
  file: string;
  events: number;
  tasks: number;
  round: number;
  shape: Shape;
}): Promise<BackfillRun> => {
  const t0 = Date.now();
  const pg = opts.db === "PostgreSQL" ? opts.pg : undefined;
  // Cold means cold: no raw data of an earlier run in ponder_sync (PostgreSQL keeps it across schemas).
  await pg?.exec("DROP SCHEMA IF EXISTS ponder_sync CASCADE");
  const ponder = await startPonder({
    rpcUrl: opts.anvil.rpcUrl,
    deploymentFile: opts.file,
    schema: `bench_${opts.shape}_${opts.app}_${opts.round}_${process.pid}`,
    databaseUrl: pg?.url,
    appDir: appDir(opts.app),
    // BENCH_CPU_PROF=<dir>: a V8 CPU profile of each ponder run (written when it exits), to see where the time goes.
    nodeArgs: CPU_PROF
      ? ["--cpu-prof", `--cpu-prof-dir=${join(CPU_PROF, `${opts.shape}-${opts.db}-${opts.app}-${opts.round}`)}`]
      : undefined,
  });
  try {
    let cpuStart: number | undefined;
    let cpuEnd = 0;
    for (;;) {
      const logs = ponder.logs();
      if (cpuStart === undefined && logTime(logs, "Started backfill indexing"))
        cpuStart = cpuSeconds(ponder.process.pid);
      if (logTime(logs, "Completed backfill indexing")) {
        cpuEnd = cpuSeconds(ponder.process.pid);
        break;
      }
      if (/"level":(50|60)/.test(logs)) throw new Error(`ponder (${opts.app}) failed:\n${logs.slice(-3000)}`);
      if (Date.now() - t0 > TIMEOUT_MS) throw new Error(`backfill did not finish in ${TIMEOUT_MS / 1000} s`);
      await sleep(20);
    }
    const logs = ponder.logs();
    const seconds =
      (logTime(logs, "Completed backfill indexing")! - (logTime(logs, "Started backfill indexing") ?? t0)) / 1000;
    if (opts.app !== "empty") {
      // Every task must be in, Finalized (a failing handler set would be fast and wrong).
      const data = await graphql<{ tasks: { totalCount: number } }>(
        ponder.url,
        "{ tasks(where: { status: Finalized }) { totalCount } }",
      );
      if (data.tasks.totalCount !== opts.tasks) {
        throw new Error(`${opts.app}: ${data.tasks.totalCount} of ${opts.tasks} tasks Finalized after the backfill`);
      }
    }
    const metrics = await (await fetch(`${ponder.url}/metrics`)).text();
    const groups = metricValues(metrics, "ponder_historical_concurrency_group_duration", "group");
    const transform = metricValues(metrics, "ponder_historical_transform_duration", "step");
    const cache = metricValues(metrics, "ponder_indexing_cache_requests_total", "type");
    return {
      app: opts.app,
      round: opts.round,
      db: opts.db,
      seconds,
      cpu: cpuEnd - (cpuStart ?? 0),
      extractMs: groups.get("extract") ?? 0,
      handlersMs: transform.get("index") ?? 0,
      flushMs: transform.get("load") ?? 0,
      cacheHits: (cache.get("hit") ?? 0) + (cache.get("complete") ?? 0),
      cacheMisses: cache.get("miss") ?? 0,
      topHandlers: metricSums(metrics, "ponder_indexing_function_duration", "event")
        .slice(0, 6)
        .map(([k, v]) => `${k.replace("CorNetwork:", "")} ${fmt(v)} ms`)
        .join(", "),
    };
  } finally {
    await ponder.stop();
  }
};

// ---------------------------------------------------------------------------------------------- 2. live lag
/**
 * A steady load: every new block, the next stage of each task in flight is queued (batched), so every block carries
 * `rate` submits, assignments, commits and reveals (~9 x rate events once the pipeline is full). The caller sends
 * the queue (d.flush) or mines it (d.mine).
 */
const steadyLoad = (d: Driver, sessionId: number, client: number, rate: number) => {
  let index = 0;
  let submitted: bigint[] = [];
  let assigned: bigint[] = [];
  let committed: bigint[] = [];
  const minerOf = (taskId: bigint) => MINERS[Number(taskId % BigInt(MINERS.length))]!;
  let sent = 0;
  /** Queues the next stage of every task in flight (and `rate` new tasks when `submit`); once per block. */
  const step = async (submit: boolean) => {
    for (const m of MINERS) {
      const mine = committed.filter((id) => minerOf(id) === m);
      if (mine.length) {
        await revealBatch(d, m, mine);
      }
    }
    for (const m of MINERS) {
      const mine = assigned.filter((id) => minerOf(id) === m);
      if (mine.length) {
        await commitBatch(d, m, mine);
      }
    }
    if (submitted.length) {
      await d.net(ROUTER, "assignMany", [submitted, submitted.map((id) => [minerOf(id)])], submitted.length);
    }
    const fresh: bigint[] = [];
    if (submit) {
      for (let k = 0; k < rate; k++) fresh.push((BigInt(sessionId) << 32n) | BigInt(++index));
      await d.net(
        client,
        "submitMany",
        [
          sessionId,
          fresh.map((id) => contentHash(`live ${id}`)),
          fresh.map((id) => `bafyprompt${id}`),
          fresh.map(() => 64),
        ],
        fresh.length,
      );
      sent += fresh.length;
    }
    committed = assigned;
    assigned = submitted;
    submitted = fresh;
  };
  return { step, sent: () => sent, inFlight: () => submitted.length + assigned.length + committed.length };
};

const live = async () => {
  out(
    `## 2. Live lag under load (anvil, 1-second blocks, ${LIVE_RATE} tasks per block = ~${9 * LIVE_RATE} events per block)`,
  );
  const anvil: Anvil = await startAnvil();
  anvils.push(anvil);
  const dir = mkdtempSync(join(tmpdir(), "cor-bench-indexer-"));
  const file = join(dir, "deployment.json");
  try {
    const deployment = await deployCore({ rpcUrl: anvil.rpcUrl, file });
    const d = driver(anvil.rpcUrl, deployment);
    await d.rpc("evm_setBlockGasLimit", [toHex(2_000_000_000)]);
    const sessions = await setupNetwork(d, deployment);
    await d.rpc("evm_setIntervalMining", [1]);
    const pg = LIVE_DBS.includes("PostgreSQL") ? await startPostgres() : undefined;
    cleanups.push(async () => pg?.stop());
    const settings = LIVE_DBS.flatMap((db) =>
      POLLING.flatMap((polling) => LIVE_APPS.map((app) => ({ db, polling, app }))),
    );
    for (const [p, { db, polling, app }] of settings.entries()) {
      await pg?.exec("DROP SCHEMA IF EXISTS ponder_sync CASCADE");
      const ponder = await startPonder({
        rpcUrl: anvil.rpcUrl,
        deploymentFile: file,
        schema: `bench_live_${app}_${polling}_${p}_${process.pid}`,
        env: { PONDER_POLLING_MS: String(polling) },
        appDir: appDir(app),
        databaseUrl: db === "PostgreSQL" ? pg?.url : undefined,
      });
      try {
        const head = async () => Number(await d.publicClient.getBlockNumber({ cacheTime: 0 }));
        while ((await indexedBlock(ponder.url)) < (await head())) await sleep(100);
        const load = steadyLoad(d, sessions[p % sessions.length]!, CLIENTS[p % CLIENTS.length]!, LIVE_RATE);
        const minedAt = new Map<number, number>();
        const indexedAt = new Map<number, number>();
        let behindMax = 0;
        const behind: number[] = [];
        let lastHead = await head();
        const until = Date.now() + LIVE_SECONDS * 1000;
        let draining = 0;
        for (;;) {
          const now = Date.now();
          const [h, indexed] = await Promise.all([head(), indexedBlock(ponder.url)]);
          for (let b = lastHead + 1; b <= h; b++) minedAt.set(b, now);
          for (const b of minedAt.keys()) if (b <= indexed && !indexedAt.has(b)) indexedAt.set(b, now);
          if (h > lastHead) {
            // A new block: the next stage of every task (drain without new submits once the time is up).
            lastHead = h;
            if (now < until) await load.step(true);
            else if (load.inFlight() > 0) await load.step(false);
            else if (++draining > 3) break;
            await d.flush();
          }
          behindMax = Math.max(behindMax, h - indexed);
          behind.push(h - indexed);
          await sleep(50);
        }
        const lags = [...indexedAt.entries()].map(([b, t]) => t - minedAt.get(b)!);
        // Then let it catch up, and check every task made it (the empty app has no rows to count).
        const caughtUpFrom = Date.now();
        while ((await indexedBlock(ponder.url)) < lastHead) await sleep(100);
        const catchUp = (Date.now() - caughtUpFrom) / 1000;
        const finalized =
          app === "empty"
            ? "-"
            : String(
                (
                  await graphql<{ tasks: { totalCount: number } }>(
                    ponder.url,
                    "{ tasks(where: { status: Finalized }) { totalCount } }",
                  )
                ).tasks.totalCount,
              );
        // ponder's own time per realtime block ("Indexed block" lines: fetch, handlers, commit).
        const perBlock = ponder
          .logs()
          .split("\n")
          .filter((line) => line.includes('"msg":"Indexed block"') && !line.includes('"event_count":0'))
          .map((line) => Number(/"duration":([0-9.]+)/.exec(line)?.[1] ?? 0));
        const metrics = await (await fetch(`${ponder.url}/metrics`)).text();
        const misses = [
          ...metricValues(
            metrics
              .split("\n")
              .filter((line) => line.includes('type="miss"'))
              .join("\n"),
            "ponder_indexing_cache_requests_total",
            "table",
          ),
        ]
          .map(([table, n]) => `${table} ${n}`)
          .join(", ");
        out(
          `${db.padEnd(10)} ${app.padEnd(8)} polling ${polling} ms: ${fmt(load.sent())} tasks over ${minedAt.size} blocks (${finalized} Finalized in the index, caught up ${fmt(catchUp, 1)} s after the last block); block indexed after it was mined p50 ${fmt(pct(lags, 50))} ms, p90 ${fmt(pct(lags, 90))} ms, max ${fmt(Math.max(...lags))} ms; blocks behind the head p50 ${pct(behind, 50)}, p99 ${pct(behind, 99)}, max ${behindMax}; ponder per block with events p50 ${fmt(pct(perBlock, 50))} ms; store reads from the database: ${misses || "none"}`,
        );
      } finally {
        await ponder.stop();
      }
    }
  } finally {
    for (const cleanup of cleanups.splice(0)) await cleanup();
    await anvil.stop();
    rmSync(dir, { recursive: true, force: true });
  }
};
const cleanups: (() => Promise<void>)[] = [];

// Ctrl-C: run the 'exit' hooks that kill the ponder children (anvil children are killed here too).
const anvils: Anvil[] = [];
process.once("exit", () => {
  for (const a of anvils) a.process.kill("SIGKILL");
  rmSync(appsRoot, { recursive: true, force: true });
});
for (const signal of ["SIGINT", "SIGTERM"] as const) process.once(signal, () => process.exit(130));

out(`# Indexer benchmark (${new Date().toISOString()}, node ${process.version}, baseline ${BASELINE_REV})`);
for (const shape of SHAPES) await backfill(shape);
if (LIVE_SECONDS > 0) await live();
