import { mkdtempSync, readFileSync } from "node:fs";
import { connect as tcpConnect } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import {
  type ContentStore,
  contentHash,
  createSession,
  type Deployment,
  getNode,
  getSession,
  getSessionCount,
  getTask,
  iCorNetworkAbi,
  isTerminalStatus,
  NotFoundError,
  submitTask,
  transferCor,
} from "@cor-network/sdk";
import { createEmbeddedStore } from "@cor-network/sdk/storage";
import { type Anvil, anvilKey, deployCore, freePort, repoRoot, startAnvil } from "@cor-network/sdk/testing";
import pino from "pino";
import { createPublicClient, createWalletClient, type Hex, http, parseEther } from "viem";
import { privateKeyToAccount } from "viem/accounts";
import { foundry } from "viem/chains";
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from "vitest";
import WebSocket from "ws";
import { chainSnapshot, graphqlSnapshot } from "../../indexer/test/compare.ts";
import { indexedBlock } from "../../indexer/test/harness.ts";
import { connect as chainish } from "../../indexer/test/scenario.ts";
import { agentArgs, superviseIndexer } from "../src/network/index.ts";
import { type Supervised, supervise } from "../src/network/supervisor.ts";

// Chaos suite (issue 14): the faults an operator meets every day, injected into a network like `npm start`'s —
// anvil with 1-second blocks, the forge-deployed contracts, 4 real miners on stories260K, router (R=3),
// validator, oracle and the Ponder indexer, each its own process under the same supervisor `npm start` uses.
// After every fault: no process exited unexpectedly, no task is left in a non-final state past its windows, and
// the indexed rows equal the chain.

const WINDOW = 20; // seconds: precommit / reveal / attest windows of the router's house sessions
const KEYS = {
  miners: [anvilKey(1), anvilKey(2), anvilKey(3), anvilKey(4)],
  router: anvilKey(5),
  validator: anvilKey(6),
  oracle: anvilKey(7),
  client: anvilKey(8),
};

let anvil: Anvil;
let deployment: Deployment;
let deploymentFile = "";
let store: ContentStore;
let root = "";
let routerUrl = "";
let ponderUrl = "";
const miners: Supervised[] = [];
const minerIds: number[] = [];
const minerPorts: number[] = [];
let router: Supervised;
let oracle: Supervised;
const all: Supervised[] = [];

const chain = () => ({ ...foundry, rpcUrls: { default: { http: [anvil.rpcUrl] } } });
const publicClient = () => createPublicClient({ chain: chain(), transport: http(anvil.rpcUrl, { timeout: 5_000 }) });
const wallet = (key: Hex) =>
  createWalletClient({ account: privateKeyToAccount(key), chain: chain(), transport: http(anvil.rpcUrl) });
// Chain reads and writes go through the SDK's actions, as a client's would.
const network = () => deployment.network;
const sessionCount = () => getSessionCount(publicClient(), { network: network() });
const task = (taskId: string | bigint) => getTask(publicClient(), { network: network(), taskId: BigInt(taskId) });
/** A `.catch` for a read of what may not be on chain yet: NotFoundError is undefined, anything else is thrown. */
const notFound = (err: unknown): undefined => {
  if (!(err instanceof NotFoundError)) throw err;
};
const nodeIdOf = async (key: Hex) =>
  (await getNode(publicClient(), { network: network(), account: privateKeyToAccount(key).address })).nodeId;
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const waitFor = async <T>(fn: () => Promise<T | undefined>, what: string, timeoutMs = 60_000): Promise<T> => {
  const started = Date.now();
  for (;;) {
    const v = await fn().catch(() => undefined);
    if (v !== undefined) return v;
    if (Date.now() - started > timeoutMs) throw new Error(`Timed out after ${timeoutMs} ms waiting for ${what}`);
    await sleep(200);
  }
};
const healthy = async (url: string) =>
  (await fetch(url, { signal: AbortSignal.timeout(2_000) }).catch(() => undefined))?.ok === true;

type MinerView = { nodeId: number; live: boolean; benchedUntil: number };
const routerMiners = async (): Promise<MinerView[]> =>
  (
    (await (await fetch(`${routerUrl}/api/v1/miners`, { signal: AbortSignal.timeout(3_000) })).json()) as {
      miners: MinerView[];
    }
  ).miners;
const liveCount = async () => (await routerMiners()).filter((m) => m.live).length;

// ------------------------------------------------------------------------------------------------ clients
type Sse = {
  taskId: string;
  events: Record<string, unknown>[];
  done: boolean;
  text: () => string;
  finished: Promise<void>;
};

/** A streaming chat completion read frame by frame (no client library in the way: we want every raw event). */
const streamChat = async (prompt: string, maxTokens: number, onChunk?: (n: number) => void): Promise<Sse> => {
  const res = await fetch(`${routerUrl}/v1/chat/completions`, {
    method: "POST",
    headers: { "content-type": "application/json" },
    body: JSON.stringify({
      model: "stories260K",
      stream: true,
      max_tokens: maxTokens,
      messages: [{ role: "user", content: prompt }],
    }),
  });
  expect(res.status).toBe(200);
  const out: Sse = {
    taskId: res.headers.get("x-cor-task-id") ?? "",
    events: [],
    done: false,
    text: () =>
      out.events
        .map((e) => (e.choices as { delta?: { content?: string } }[] | undefined)?.[0]?.delta?.content ?? "")
        .join(""),
    finished: Promise.resolve(),
  };
  const reader = (res.body as ReadableStream<Uint8Array>).getReader();
  out.finished = (async () => {
    let buf = "";
    const decoder = new TextDecoder();
    try {
      for (;;) {
        const { value, done } = await reader.read();
        if (done) return;
        buf += decoder.decode(value, { stream: true });
        let i = buf.indexOf("\n\n");
        while (i >= 0) {
          const data = buf
            .slice(0, i)
            .split("\n")
            .filter((l) => l.startsWith("data:"))
            .map((l) => l.slice(5).trim())
            .join("");
          buf = buf.slice(i + 2);
          if (data === "[DONE]") out.done = true;
          else if (data) out.events.push(JSON.parse(data));
          onChunk?.(out.events.length);
          i = buf.indexOf("\n\n");
        }
      }
    } catch {
      // the connection was cut (a killed router): what arrived is in out.events
    }
  })();
  return out;
};

const chat = async (prompt: string, maxTokens = 16) => {
  const res = await fetch(`${routerUrl}/v1/chat/completions`, {
    method: "POST",
    headers: { "content-type": "application/json" },
    body: JSON.stringify({
      model: "stories260K",
      max_tokens: maxTokens,
      messages: [{ role: "user", content: prompt }],
    }),
  });
  return {
    status: res.status,
    body: (await res.json()) as {
      cor?: { task_id: string; result_hash: Hex; result_cid: string; status: string };
      error?: { code: string };
    },
  };
};

/** The client's check: the text is what IPFS holds under the result CID, and its hash is the chain's. */
const verifyAgainstChain = async (taskId: string, text: string) => {
  const t = await task(taskId);
  expect(t.status).toBe("Finalized");
  expect(contentHash(new TextEncoder().encode(text))).toBe(t.resultHash);
};

/** First token events of a task over the router's /ws: which miner's stream is being relayed. */
const watchTask = (taskId: string) => {
  const ws = new WebSocket(`${routerUrl.replace(/^http/, "ws")}/ws`);
  const events: { type: string; nodeId?: number; status?: string; detail?: Record<string, unknown> }[] = [];
  ws.on("open", () => ws.send(JSON.stringify({ subscribe: taskId })));
  ws.on("message", (d) => events.push(JSON.parse(String(d))));
  ws.on("error", (err) => events.push({ type: `socket error ${err.message}` }));
  ws.on("close", (code) => events.push({ type: `closed ${code}` }));
  return { events, close: () => ws.terminate() };
};

// -------------------------------------------------------------------------------------------- invariants
const expectNoUnexpectedExits = () => {
  for (const s of all)
    expect(s.unexpectedExits(), `${s.name} exited unexpectedly (see ${root}/logs/${s.name}.log)`).toEqual([]);
};

/** Every task ever submitted reaches Finalized or Failed within its windows (plus one retry round). */
const expectNoStuckTasks = async (timeoutMs = 4 * WINDOW * 1000 + 20_000) => {
  await waitFor(
    async () => {
      const sessions = await sessionCount();
      for (let s = 1; s <= sessions; s++) {
        const { taskCount } = await getSession(publicClient(), { network: network(), sessionId: s });
        for (let i = 1; i <= taskCount; i++) {
          if (!isTerminalStatus((await task((BigInt(s) << 32n) | BigInt(i))).status)) return undefined;
        }
      }
      return true;
    },
    "every task to be final",
    timeoutMs,
  );
};

const anvilRpc = async (method: string, params: unknown[] = []) => {
  const res = await fetch(anvil.rpcUrl, {
    method: "POST",
    headers: { "content-type": "application/json" },
    body: JSON.stringify({ jsonrpc: "2.0", id: 1, method, params }),
  });
  const body = (await res.json()) as { error?: { message: string } };
  if (body.error) throw new Error(`${method}: ${body.error.message}`);
};

/**
 * The indexer caught up and its rows equal the contract's state at the block it indexed. Block production is
 * paused while comparing (transactions wait in the pool), so "caught up" is a fixed head rather than a moving
 * one: with 1-second blocks and a loaded machine, a snapshot that takes longer than a block would otherwise never
 * see the same indexed block twice.
 */
const expectIndexMatchesChain = async (timeoutMs = 120_000) => {
  const accounts = [
    ...Object.values(KEYS)
      .flat()
      .map((k) => privateKeyToAccount(k).address),
    deployment.network,
  ];
  const c = chainish(anvil.rpcUrl);
  let last: unknown;
  let why = "not compared yet";
  await anvilRpc("evm_setIntervalMining", [0]);
  try {
    await waitFor(
      async () => {
        // Ponder's synced block advances on empty blocks; its checkpoint (/status, `block`) only on blocks with
        // events, and the rows are those of the checkpoint.
        const head = Number(await publicClient().getBlockNumber({ cacheTime: 0 }));
        const { syncedBlock } = (await (await fetch(`${ponderUrl}/readiness`)).json()) as {
          syncedBlock: number | null;
        };
        const block = await indexedBlock(ponderUrl);
        if ((syncedBlock ?? -1) < head) {
          why = `synced block ${syncedBlock} < head ${head} (checkpoint ${block})`;
          return undefined;
        }
        const { totals: _totals, ...rows } = await graphqlSnapshot(
          ponderUrl,
          accounts.map((a) => a.toLowerCase()),
        ).catch((err) => {
          why = `graphql: ${String(err)}`;
          throw err;
        });
        if ((await indexedBlock(ponderUrl)) !== block) {
          why = "the checkpoint moved while reading";
          return undefined;
        }
        const expected = await chainSnapshot(c, deployment, BigInt(block), [deployment.modelId], accounts);
        last = { expected, rows };
        why = "rows differ";
        return JSON.stringify(rows) === JSON.stringify(expected) ? true : undefined;
      },
      "the index to equal the chain",
      timeoutMs,
    ).catch((err) => {
      if (!last) throw new Error(`${String(err)} (${why})`);
      const { expected, rows } = last as { expected: unknown; rows: unknown };
      expect(rows, String(err)).toEqual(expected);
    });
  } finally {
    await anvilRpc("evm_setIntervalMining", [1]);
  }
};

const afterFault = async () => {
  await expectNoStuckTasks();
  expectNoUnexpectedExits();
  await expectIndexMatchesChain();
};

// ------------------------------------------------------------------------------------------------- setup
beforeAll(async () => {
  root = mkdtempSync(join(tmpdir(), "cor-chaos-"));
  deploymentFile = join(root, "deployment.json");
  anvil = await startAnvil({ blockTime: 1 });
  deployment = await deployCore({ rpcUrl: anvil.rpcUrl, file: deploymentFile });
  store = await createEmbeddedStore({ directory: join(root, "ipfs") });
  for (const key of Object.values(KEYS).flat()) {
    const to = privateKeyToAccount(key).address;
    await transferCor(wallet(anvilKey(0)), {
      network: network(),
      token: deployment.token,
      to,
      amount: parseEther("100000"),
    });
  }

  const logger = pino(
    { name: "cor-supervisor", level: "info" },
    pino.destination({ dest: join(root, "logs", "supervisor.log"), mkdir: true, sync: true }),
  );
  const env = {
    ...process.env,
    COR_LOG_LEVEL: "info",
    COR_WINDOW_SECONDS: String(WINDOW),
    COR_ORACLE_INTERVAL_MS: "300",
    COR_FINAL_TIMEOUT_MS: "90000",
  };
  const common = { "rpc-url": anvil.rpcUrl, deployment: deploymentFile, "ipfs-dir": join(root, "ipfs") };
  const agent = (name: string, role: string, flags: Record<string, string>) => {
    const s = supervise({
      name,
      command: process.execPath,
      args: agentArgs(role, flags),
      cwd: repoRoot(),
      env,
      logFile: join(root, "logs", `${name}.log`),
      logger,
    });
    all.push(s);
    return s;
  };
  for (const [i, key] of KEYS.miners.entries()) {
    const port = await freePort();
    minerPorts.push(port);
    miners.push(
      agent(`miner-${i + 1}`, "miner", {
        ...common,
        "private-key": key,
        port: String(port),
        "data-dir": join(root, `miner-${i + 1}`),
      }),
    );
  }
  const validatorPort = await freePort();
  agent("validator", "validator", {
    ...common,
    "private-key": KEYS.validator,
    port: String(validatorPort),
    "data-dir": join(root, "validator"),
  });
  const oraclePort = await freePort();
  oracle = agent("oracle", "oracle", {
    ...common,
    "private-key": KEYS.oracle,
    port: String(oraclePort),
    "healthcheck-seconds": "6",
  });
  const routerPort = await freePort();
  routerUrl = `http://127.0.0.1:${routerPort}`;
  router = agent("router", "router", {
    ...common,
    "private-key": KEYS.router,
    port: String(routerPort),
    "data-dir": join(root, "router"),
    redundancy: "3",
    validation: "ExactMatch",
  });

  const ponderPort = await freePort();
  ponderUrl = `http://127.0.0.1:${ponderPort}`;
  const ponder = superviseIndexer({
    port: ponderPort,
    schema: `cor_chaos_${process.pid}`,
    rpcUrl: anvil.rpcUrl,
    deploymentFile,
    pgliteDir: join(root, "ponder"),
    logFile: join(root, "logs", "indexer.log"),
    logger,
    env: { COR_INDEXER_STALL_SECONDS: "20" },
    // As in `npm start`: an indexer whose /readiness says "stalled" is restarted.
    stalledForMs: 10_000,
    checkEveryMs: 2_000,
  });
  all.push(ponder);

  for (const [i, port] of minerPorts.entries()) {
    await waitFor(
      async () => ((await healthy(`http://127.0.0.1:${port}/health`)) ? true : undefined),
      `miner ${i + 1}`,
      120_000,
    );
    minerIds.push(await nodeIdOf(KEYS.miners[i]));
  }
  await waitFor(async () => ((await liveCount()) === 4 ? true : undefined), "router connected to 4 miners", 120_000);
  await waitFor(async () => ((await healthy(`${ponderUrl}/health`)) ? true : undefined), "indexer", 120_000);
  // Warm up: one request opens the router's house session.
  const first = await chat("Once upon a time");
  expect(first.status).toBe(200);
}, 300_000);

beforeEach(async () => {
  // Each fault starts from a whole network: 4 live miners (a restart under load can take a while).
  await waitFor(async () => ((await liveCount()) === 4 ? true : undefined), "4 live miners", 120_000);
}, 150_000);

afterEach(async () => {
  for (const m of miners) m.release();
  router?.release();
  oracle?.release();
});

afterAll(async () => {
  await Promise.all(all.map((s) => s.stop()));
  await store?.close();
  await anvil?.stop();
});

// ------------------------------------------------------------------------------------------------- faults
describe("chaos: the network survives the faults it meets every day", () => {
  it("kill -9 of the relayed miner mid-stream: the client's stream continues from another miner and verifies against the chain", async () => {
    let sse: Sse | undefined;
    let chunksAtKill = 0;
    let killedNode = 0;
    let watcher: ReturnType<typeof watchTask> | undefined;
    const killed = new Promise<void>((resolve) => {
      void (async () => {
        sse = await streamChat("Tell me a story about a brave little fox.", 200, (n) => {
          if (n >= 3 && !watcher && sse) watcher = watchTask(sse.taskId);
        });
        // Wait until /ws shows whose tokens are relayed, then kill that miner.
        const source = await waitFor(
          async () => watcher?.events.find((e) => e.type === "token")?.nodeId,
          "a relayed token",
          30_000,
        );
        killedNode = source;
        chunksAtKill = sse.events.length;
        const victim = miners[minerIds.indexOf(source)];
        victim.hold(); // it stays down: the stream must come from another miner
        victim.kill("SIGKILL", { expected: true });
        resolve();
      })();
    });
    await killed;
    const s = sse as Sse;
    await s.finished;
    expect(s.done).toBe(true);
    expect(s.events.some((e) => "error" in e)).toBe(false);
    expect(s.events.length).toBeGreaterThan(chunksAtKill);
    const last = s.events.findLast((e) => "cor" in e) as {
      cor: {
        status: string;
        result_hash: Hex;
        result_cid: string;
        task_id: string;
        verified_text_matches_stream: boolean;
      };
    };
    expect(last.cor.status).toBe("Finalized");
    expect(last.cor.verified_text_matches_stream).toBe(true);
    // One uninterrupted stream: the client's text is exactly the result the chain accepted.
    expect(new TextDecoder().decode(await store.get(last.cor.result_cid))).toBe(s.text());
    await verifyAgainstChain(last.cor.task_id, s.text());
    const failover = watcher?.events.find((e) => e.status === "StreamFailover");
    expect(failover?.detail?.from).toBe(killedNode);
    watcher?.close();
    miners[minerIds.indexOf(killedNode)].release();
    await waitFor(async () => ((await liveCount()) === 4 ? true : undefined), "the killed miner back", 30_000);
    await afterFault();
  }, 300_000);

  it("kill -9 and restart of a miner: serving resumes within 10 s (the router wins it back, unbenched)", async () => {
    // With one miner held down, R=3 needs every other miner: the restarted one must be won back.
    const [held, victim] = [miners[3], miners[2]];
    held.hold();
    held.kill("SIGKILL", { expected: true });
    await waitFor(async () => ((await liveCount()) === 3 ? true : undefined), "3 live miners", 15_000);
    const restarts = victim.restarts;
    const killedAt = Date.now();
    victim.kill("SIGKILL", { expected: true });
    // While it is down the router refuses at once (503, nothing submitted on chain) instead of hanging.
    const down = await chat("While a miner is down");
    if (down.status !== 200) expect(down.body.error?.code).toBe("no_miners");
    await victim.restarted(restarts, 10_000);
    // Process start-up (node, model load, chain replay) is the machine's; winning it back is the router's.
    await waitFor(
      async () => ((await healthy(`http://127.0.0.1:${minerPorts[2]}/health`)) ? true : undefined),
      "restarted miner healthy",
      90_000,
    );
    const healthyAt = Date.now();
    let served: Awaited<ReturnType<typeof chat>> | undefined;
    while (Date.now() - healthyAt < 20_000) {
      const r = await chat("A miner came back and");
      if (r.status === 200) {
        served = r;
        break;
      }
      await sleep(250);
    }
    const servedAt = Date.now();
    expect(served?.status).toBe(200);
    expect(servedAt - healthyAt).toBeLessThan(10_000);
    const view = (await routerMiners()).find((m) => m.nodeId === minerIds[2]);
    expect(view).toMatchObject({ live: true, benchedUntil: 0 });
    held.release();
    await waitFor(async () => ((await liveCount()) === 4 ? true : undefined), "all miners back", 30_000);
    process.stdout.write(
      `chaos: miner kill -9 → restarted miner healthy after ${healthyAt - killedAt} ms → served after ${servedAt - killedAt} ms\n`,
    );
    await afterFault();
  }, 300_000);

  it("kill -9 and restart of the router: open streams end cleanly on SIGTERM; in-flight tasks finalize and a restarted router serves their results", async () => {
    // SIGTERM mid-stream: the client gets an OpenAI-shaped error naming the task, then [DONE]. The kill comes with
    // the first text event (the SSE coalesces queued tokens, so a short story can arrive in a handful of events; the
    // stream stays open until the task is final on chain).
    let r0 = router.restarts;
    const graceful = await streamChat("The old oak tree said", 300, (n) => {
      if (n === 2) router.kill("SIGTERM", { expected: true });
    });
    await graceful.finished;
    expect(graceful.done, JSON.stringify(graceful.events).slice(-600)).toBe(true);
    const err = graceful.events.find((e) => "error" in e) as { error: { code: string; task_id: string; type: string } };
    expect(err.error).toMatchObject({ code: "router_stopping", task_id: graceful.taskId, type: "server_error" });
    await router.restarted(r0, 30_000);
    await waitFor(
      async () => ((await healthy(`${routerUrl}/health`)) && (await liveCount()) === 4 ? true : undefined),
      "router back",
      60_000,
    );

    // kill -9 mid-stream once the task is on chain: the connection is cut; the task finalizes without the router.
    // (Before its submit is broadcast a kill -9 leaves no task at all: the speculative stream ends, nothing was
    // escrowed, and the miners drop the unconfirmed work after the dispatch TTL without committing.)
    r0 = router.restarts;
    let cut: Sse | undefined;
    let killed: Promise<void> = Promise.resolve();
    cut = await streamChat("A little bird sang", 300, (n) => {
      if (n !== 2) return;
      killed = (async () => {
        await waitFor(
          async () => {
            if (!cut) return undefined;
            await task(cut.taskId); // NotFoundError (waited on) until the submission is mined
            return true;
          },
          "the cut stream's task on chain",
          30_000,
        );
        router.kill("SIGKILL", { expected: true });
      })();
    });
    await cut.finished;
    await killed;
    expect(cut.done).toBe(false);
    // While it is down a client submits to a session the router routes: the restarted router assigns it.
    await router.restarted(r0, 30_000);
    router.hold();
    router.kill("SIGKILL", { expected: true });
    const client = wallet(KEYS.client);
    const { sessionId } = await createSession(client, {
      network: network(),
      modelId: deployment.modelId,
      deposit: parseEther("10"),
      redundancy: 3,
      maxTokens: 64,
      routerId: await nodeIdOf(KEYS.router),
      windows: { precommit: WINDOW, reveal: WINDOW, attest: WINDOW },
    });
    const submitted = await submitTask(client, {
      network: network(),
      sessionId,
      prompt: "While the router was down,",
      store,
      maxTokens: 32,
    });
    const queuedTask = submitted.taskId.toString();
    const sessionsBefore = await sessionCount();
    router.release();
    await waitFor(async () => ((await healthy(`${routerUrl}/health`)) ? true : undefined), "router back", 60_000);

    // Every task the router had in flight is final, and the restarted router serves result CID and text.
    for (const taskId of [graceful.taskId, cut.taskId, queuedTask]) {
      const id = BigInt(taskId);
      const body = await waitFor(
        async () => {
          const res = await fetch(`${routerUrl}/api/v1/tasks/${Number(id >> 32n)}/${Number(id & 0xffffffffn)}`);
          const b = (await res.json()) as { status: number; result_cid: string | null; text: string | null };
          return b.text !== null && b.result_cid ? b : undefined;
        },
        `the result of task ${taskId}`,
        60_000,
      );
      expect(new TextDecoder().decode(await store.get(body.result_cid as string))).toBe(body.text);
      await verifyAgainstChain(taskId, body.text as string);
    }
    // The restarted router reuses its house session instead of opening a new one.
    const again = await chat("After the restart");
    expect(again.status).toBe(200);
    expect(BigInt(again.body.cor?.task_id as string) >> 32n).toBe(BigInt(cut.taskId) >> 32n);
    expect(await sessionCount()).toBe(sessionsBefore);
    await afterFault();
  }, 300_000);

  it("WebSocket fuzzer: invalid opcodes, null, arrays, huge and binary frames never stop the router or a subscriber", async () => {
    const sse = await streamChat("Fuzz me a story about a robot.", 120);
    const watcher = watchTask(sse.taskId);
    const frame = (opcode: number, payload: Buffer, o: { mask?: boolean; rsv?: number; fin?: boolean } = {}) => {
      const mask = o.mask ?? true;
      const len = payload.length;
      const head = [((o.fin ?? true) ? 0x80 : 0) | ((o.rsv ?? 0) << 4) | opcode];
      const ext: number[] = [];
      if (len < 126) head.push((mask ? 0x80 : 0) | len);
      else if (len < 65536) {
        head.push((mask ? 0x80 : 0) | 126);
        ext.push(len >> 8, len & 255);
      } else {
        head.push((mask ? 0x80 : 0) | 127);
        const b = Buffer.alloc(8);
        b.writeBigUInt64BE(BigInt(len));
        ext.push(...b);
      }
      const key = Buffer.from([1, 2, 3, 4]);
      const body = mask ? Buffer.from(payload.map((x, i) => x ^ key[i % 4])) : payload;
      return Buffer.concat([Buffer.from(head), Buffer.from(ext), mask ? key : Buffer.alloc(0), body]);
    };
    /** A raw client: HTTP upgrade by hand, then the given bytes; resolves with what the server sent back. */
    const raw = (bytes: Buffer[], path = "/ws") =>
      new Promise<string>((resolve) => {
        const socket = tcpConnect(Number(new URL(routerUrl).port), "127.0.0.1");
        let got = "";
        socket.on("data", (d) => {
          got += d.toString("latin1");
          if (got.includes("\r\n\r\n") && bytes.length) {
            for (const b of bytes.splice(0)) socket.write(b);
            setTimeout(() => socket.end(), 300);
          }
        });
        socket.on("error", () => resolve(got));
        socket.on("close", () => resolve(got));
        socket.write(
          `GET ${path} HTTP/1.1\r\nHost: 127.0.0.1\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n\r\n`,
        );
        setTimeout(() => socket.destroy(), 3_000);
      });
    const text = (s: string) => frame(1, Buffer.from(s));
    const replies = await Promise.all([
      raw([frame(3, Buffer.from("x"))]), // invalid opcode 3: the original crash
      raw([text("null")]), // the second crash
      raw([
        text("[]"),
        text("[1,2,3]"),
        text('{"subscribe":null}'),
        text('{"subscribe":{"a":1}}'),
        text("42"),
        text('"x"'),
      ]),
      raw([
        text(JSON.stringify({ subscribe: "1".repeat(100) })),
        text(JSON.stringify({ subscribe: sse.taskId, extra: 1 })),
      ]),
      raw([frame(2, Buffer.from([0, 1, 2, 255]))]), // binary
      raw([frame(1, Buffer.from([0x7b, 0xff, 0xfe, 0x7d]))]), // invalid UTF-8 text
      raw([frame(1, Buffer.alloc(1024 * 1024, 0x61))]), // 1 MB frame
      raw([frame(1, Buffer.from("{}"), { rsv: 3 })]), // reserved bits
      raw([frame(1, Buffer.from("{}"), { mask: false })]), // unmasked client frame
      raw([frame(1, Buffer.from('{"sub'), { fin: false }), frame(1, Buffer.from("x"))]), // broken fragmentation
      raw([frame(8, Buffer.from([0x03]))]), // close frame with a 1-byte payload
      raw([Buffer.from("\x00\xff garbage not a frame at all \r\n\r\n")]),
      raw([text("{}")], "/nope"),
      ...Array.from({ length: 20 }, (_, i) =>
        raw([Buffer.from(Array.from({ length: 64 }, (_, j) => (i * 31 + j * 17) & 255))]),
      ),
    ]);
    // Bad JSON gets a clear, OpenAI-shaped answer on the same socket.
    expect(replies[1]).toContain("invalid_message");
    expect(replies[2]).toContain("invalid_message");
    // A fuzzing client with a live subscription: thousands of bad messages, then it goes away mid-stream.
    const noisy = new WebSocket(`${routerUrl.replace(/^http/, "ws")}/ws`);
    noisy.on("error", () => undefined);
    await new Promise((r) => noisy.once("open", r));
    noisy.send(JSON.stringify({ subscribe: sse.taskId }));
    for (let i = 0; i < 2_000; i++) noisy.send(i % 2 ? "null" : "[1]");
    noisy.terminate();

    await sse.finished;
    expect(sse.done).toBe(true);
    const final = sse.events.findLast((e) => "cor" in e) as { cor: { status: string; task_id: string } };
    expect(final.cor.status).toBe("Finalized");
    // The well-behaved subscriber saw the tokens and the final status (its detail serialized: no BigInt crash).
    await waitFor(
      async () => (watcher.events.some((e) => e.status === "Finalized") ? true : undefined),
      `final status on /ws (got ${JSON.stringify(watcher.events).slice(0, 600)})`,
      30_000,
    );
    const finalEvent = watcher.events.find((e) => e.status === "Finalized");
    expect(finalEvent?.detail?.task_id).toBe(sse.taskId);
    expect(watcher.events.filter((e) => e.type === "token").length).toBeGreaterThan(0);
    watcher.close();
    // HTTP bodies: invalid UTF-8 and a wrong media type are refused, OpenAI-shaped.
    const post = async (body: string | Uint8Array, type: string) => {
      const res = await fetch(`${routerUrl}/v1/chat/completions`, {
        method: "POST",
        headers: { "content-type": type },
        body,
      });
      return { status: res.status, code: ((await res.json()) as { error: { code: string } }).error.code };
    };
    const json = JSON.stringify({ model: "stories260K", messages: [{ role: "user", content: "hi" }] });
    const bad = Buffer.from(json.replace("hi", "h\u0000i"));
    bad[bad.indexOf(0)] = 0xff; // an invalid UTF-8 byte inside the content string
    expect(await post(bad, "application/json")).toEqual({ status: 400, code: "invalid_utf8" });
    expect(await post(json, "text/plain")).toEqual({ status: 415, code: "unsupported_media_type" });
    expect(await post(json, "application/x-www-form-urlencoded")).toEqual({
      status: 415,
      code: "unsupported_media_type",
    });
    // Still serving, at normal speed.
    const started = Date.now();
    const after = await chat("Still here?");
    expect(after.status).toBe(200);
    expect(Date.now() - started).toBeLessThan(20_000);
    expect(router.exits.length).toBe(router.restarts);
    await afterFault();
  }, 300_000);

  it("anvil paused 20 s: the router's requests resume, readiness tells the truth, and the index matches the chain afterwards", async () => {
    const inFlight = chat("Before the chain froze,", 24);
    await sleep(1_500);
    anvil.process.kill("SIGSTOP");
    try {
      await sleep(8_000);
      const during = await fetch(`${ponderUrl}/readiness`, { signal: AbortSignal.timeout(10_000) });
      expect(during.status).toBe(503);
      expect(((await during.json()) as { status: string }).status).toMatch(/rpc_unreachable|stalled|catching_up/);
      await sleep(12_000);
    } finally {
      anvil.process.kill("SIGCONT");
    }
    const r = await inFlight;
    expect(r.status).toBe(200);
    await verifyAgainstChain(
      r.body.cor?.task_id as string,
      new TextDecoder().decode(await store.get(r.body.cor?.result_cid as string)),
    );
    const next = await chat("After the chain came back,");
    expect(next.status).toBe(200);
    const ready = await waitFor(
      async () => {
        const res = await fetch(`${ponderUrl}/readiness`);
        const body = (await res.json()) as { status: string; lagBlocks: number };
        return res.status === 200 ? body : undefined;
      },
      "indexer readiness",
      240_000,
    );
    expect(ready.lagBlocks).toBeLessThanOrEqual(5);
    await afterFault();
  }, 300_000);

  it("oracle down for a minute: a dead miner's slot waits; back up, the oracle expires it, the task finalizes, and a restarted oracle reuses its health-check session", async () => {
    // The oracle runs idle health checks (as `npm start` runs it) from a session it owns.
    const oracleAddress = privateKeyToAccount(KEYS.oracle).address;
    const ownSessions = async () =>
      (
        await publicClient().getContractEvents({
          address: deployment.network,
          abi: iCorNetworkAbi,
          eventName: "SessionCreated",
          args: { owner: oracleAddress },
          fromBlock: 0n,
        })
      ).map((l) => Number((l.args as { sessionId: number }).sessionId));
    const [healthSession] = await waitFor(
      async () => {
        const own = await ownSessions();
        return own.length ? own : undefined;
      },
      "the oracle's health-check session",
      90_000,
    );
    const killedAt = Date.now();
    oracle.hold();
    oracle.kill("SIGKILL", { expected: true });
    // A task whose relayed miner dies mid-stream: its slot can only be expired by the oracle.
    let sse: Sse | undefined;
    let watcher: ReturnType<typeof watchTask> | undefined;
    sse = await streamChat("The moon looked down on", 200, (n) => {
      if (n >= 3 && !watcher && sse) watcher = watchTask(sse.taskId);
    });
    const source = await waitFor(
      async () => watcher?.events.find((e) => e.type === "token")?.nodeId,
      "a relayed token",
      30_000,
    );
    // Speculative start (docs/inference.md#dispatch): miners stream before the assignment is mined, and the router
    // does not assign a miner whose link dropped. The slot only the oracle can free is one the chain gave a miner
    // that died before committing: once the assignment is mined, kill an assigned miner that has not committed (the
    // relayed one when it qualifies). Polled every 20 ms: a miner commits ≥ 250 ms (its batch window) after that.
    let uncommitted: number[] = [];
    for (const deadline = Date.now() + 30_000; !uncommitted.length && Date.now() < deadline; await sleep(20)) {
      // Streams start before their submission is mined (speculative start): no task on chain yet is no slot yet.
      const slots = (await task(sse.taskId).catch(notFound))?.slots ?? [];
      if (slots.some((s) => s.nodeId !== 0))
        uncommitted = slots.filter((s) => s.nodeId !== 0 && !s.committed).map((s) => s.nodeId);
    }
    expect(uncommitted.length).toBeGreaterThan(0);
    const victim = miners[minerIds.indexOf(uncommitted.includes(source) ? source : uncommitted[0])];
    victim.hold();
    victim.kill("SIGKILL", { expected: true });
    await sleep(Math.max(0, 60_000 - (Date.now() - killedAt)));
    const stuck = await task(sse.taskId);
    expect(stuck.status).toBe("Committing"); // past its window: only a keeper can move it
    // Back up, with idle health checks on (as `npm start` runs it).
    const sessionsBefore = await sessionCount();
    oracle.release();
    await sse.finished;
    const last = sse.events.findLast((e) => "cor" in e) as { cor: { status: string; task_id: string } } | undefined;
    expect(last?.cor.status).toBe("Finalized");
    await verifyAgainstChain(sse.taskId, sse.text());
    watcher?.close();
    victim.release();
    await waitFor(async () => ((await liveCount()) === 4 ? true : undefined), "miners back", 30_000);
    // The restarted oracle runs its next health check in the session it already owns.
    const checks = async () =>
      (await getSession(publicClient(), { network: network(), sessionId: healthSession })).taskCount;
    const checksBefore = await checks();
    await waitFor(
      async () => ((await checks()) > checksBefore ? true : undefined),
      "a health check by the restarted oracle",
      60_000,
    );
    expect(await ownSessions()).toEqual([healthSession]);
    expect(await sessionCount()).toBe(sessionsBefore);
    await afterFault();
  }, 300_000);

  it("the supervisor logs every restart to a file an operator can read", () => {
    const log = readFileSync(join(root, "logs", "supervisor.log"), "utf8");
    expect(log).toMatch(/router exited \(signal SIGKILL\).*restarting in/);
    expect(log).toMatch(/miner-\d exited \(signal SIGKILL\)/);
    for (const s of all)
      expect(readFileSync(join(root, "logs", `${s.name}.log`), "utf8").length, s.name).toBeGreaterThan(0);
  });
});
