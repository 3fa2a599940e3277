import { type ChildProcess, spawn } from "node:child_process";
import { mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import {
  assignTask,
  authorizeSubmitter,
  type ContentStore,
  contentHash,
  createSession,
  type Deployment,
  getNode,
  getParams,
  getTask,
  iCorNetworkAbi,
  Outcome,
  parseCor,
  type SessionConfigInput,
  setSessionRouter,
  submitTask,
  type TaskStatusName,
  transferCor,
} from "@cor-network/sdk";
import { createEmbeddedStore } from "@cor-network/sdk/storage";
import { type Anvil, anvilKey, deployCore, freePort, repoRoot, startAnvil } from "@cor-network/sdk/testing";
import OpenAI from "openai";
import { createPublicClient, createTestClient, createWalletClient, type Hex, http } from "viem";
import { privateKeyToAccount } from "viem/accounts";
import { foundry } from "viem/chains";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startMiner } from "../src/miner/index.ts";
import { startOracle } from "../src/oracle/index.ts";
import { startRouter } from "../src/router/index.ts";
import { nodeIdOfAccount } from "../src/shared/node.ts";
import { startValidator } from "../src/validator/index.ts";

// End-to-end on real parts: anvil + the forge-deployed contracts, the embedded IPFS store, node-llama-cpp on
// stories260K, wink word vectors, and the agents exactly as `cor` runs them.

const KEYS = {
  honest: [anvilKey(1), anvilKey(2), anvilKey(3)],
  garbage: anvilKey(4),
  silent: anvilKey(5),
  child: anvilKey(6),
  router: anvilKey(7),
  validator: anvilKey(8),
  oracle: anvilKey(9),
  client: anvilKey(10),
};

let anvil: Anvil;
let deployment: Deployment;
let ipfsDir: string;
let store: ContentStore;
const stops: (() => Promise<void>)[] = [];
const ids: Record<string, number> = {};
let routerUrl = "";
let routerNodeId = 0;

const chain = () => ({ ...foundry, rpcUrls: { default: { http: [anvil.rpcUrl] } } });
const publicClient = () => createPublicClient({ chain: chain(), transport: http(anvil.rpcUrl) });
const wallet = (key: Hex) =>
  createWalletClient({ account: privateKeyToAccount(key), chain: chain(), transport: http(anvil.rpcUrl) });

/** The client's wallet: it opens sessions, submits and (as the owner) assigns, through SDK actions. */
const client = () => wallet(KEYS.client);
const network = () => deployment.network;
const task = (taskId: bigint) => getTask(publicClient(), { network: network(), taskId });
const node = (nodeId: number) => getNode(publicClient(), { network: network(), nodeId });
const assign = (taskId: bigint, nodeIds: number[]) => assignTask(client(), { network: network(), taskId, nodeIds });
const routeBy = (sessionId: number, routerId: number) =>
  setSessionRouter(client(), { network: network(), sessionId, routerId });

const waitFor = async <T>(fn: () => Promise<T | undefined>, what: string, timeoutMs = 60_000): Promise<T> => {
  const started = Date.now();
  for (;;) {
    const v = await fn();
    if (v !== undefined) return v;
    if (Date.now() - started > timeoutMs) throw new Error(`Timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 150));
  }
};
const waitStatus = (taskId: bigint, status: TaskStatusName, timeoutMs = 60_000) =>
  waitFor(
    async () => {
      const t = await task(taskId);
      return t.status === status ? t : undefined;
    },
    `task ${taskId} status ${status}`,
    timeoutMs,
  );

/** Moves chain time forward (automine anvil only advances time when it mines). */
const advance = async (seconds: number) => {
  const c = createTestClient({ mode: "anvil", chain: chain(), transport: http(anvil.rpcUrl) });
  await c.increaseTime({ seconds });
  await c.mine({ blocks: 1 });
};

const sessionConfig = (o: {
  r: number;
  validation: "ExactMatch" | "Embedding";
  routerId?: number;
}): SessionConfigInput => ({
  modelId: deployment.modelId,
  redundancy: o.r,
  validation: o.validation,
  assignment: "Router",
  pricePerToken: 10n ** 12n,
  maxTokens: 64,
  windows: { precommit: 30, reveal: 30, attest: 30 },
  routerId: o.routerId ?? 0,
});

const openSession = async (cfg: SessionConfigInput, deposit = parseCor("10")) =>
  (await createSession(client(), { network: network(), deposit, ...cfg })).sessionId;

const submit = async (sessionId: number, prompt: string, maxTokens = 32) =>
  (await submitTask(client(), { network: network(), sessionId, prompt, store, maxTokens })).taskId;

const resultText = async (taskId: bigint): Promise<string> => {
  const t = await task(taskId);
  const logs = await publicClient().getContractEvents({
    address: deployment.network,
    abi: iCorNetworkAbi,
    eventName: "TaskRevealed",
    args: { taskId },
    fromBlock: 0n,
  });
  const winner = logs.find((l) => l.args.nodeId === t.winnerNodeId);
  if (!winner?.args.resultCid) throw new Error(`no TaskRevealed log of the winner node ${t.winnerNodeId}`);
  const bytes = await store.get(winner.args.resultCid);
  expect(contentHash(bytes)).toBe(t.resultHash); // the client's verification against the chain
  return new TextDecoder().decode(bytes);
};

const spawnChildMiner = (dataDir: string, port: number): ChildProcess =>
  spawn(
    process.execPath,
    [
      join(repoRoot(), "agents/bin/cor.js"),
      "miner",
      "--rpc-url",
      anvil.rpcUrl,
      "--private-key",
      KEYS.child,
      "--deployment",
      join(ipfsDir, "..", "deployment.json"),
      "--ipfs-dir",
      ipfsDir,
      "--data-dir",
      dataDir,
      "--port",
      String(port),
    ],
    {
      stdio: ["ignore", "ignore", "inherit"],
      env: { ...process.env, COR_LOG_LEVEL: "warn" },
    },
  );

beforeAll(async () => {
  process.env.COR_LOG_LEVEL = "warn";
  const root = mkdtempSync(join(tmpdir(), "cor-e2e-"));
  ipfsDir = join(root, "ipfs");
  anvil = await startAnvil();
  deployment = await deployCore({ rpcUrl: anvil.rpcUrl, file: join(root, "deployment.json") });
  store = await createEmbeddedStore({ directory: ipfsDir });
  const owner = wallet(anvilKey(0));
  for (const key of Object.values(KEYS).flat()) {
    const to = privateKeyToAccount(key).address;
    await transferCor(owner, { network: deployment.network, token: deployment.token, to, amount: parseCor("10000") });
  }

  const common = { rpcUrl: anvil.rpcUrl, deployment: join(root, "deployment.json"), ipfsDir };
  for (const [name, key, behavior] of [
    ["honest0", KEYS.honest[0], "honest"],
    ["honest1", KEYS.honest[1], "honest"],
    ["honest2", KEYS.honest[2], "honest"],
    ["garbage", KEYS.garbage, "garbage"],
    ["silent", KEYS.silent, "silent"],
  ] as const) {
    const m = await startMiner({ ...common, privateKey: key, behavior, dataDir: join(root, name), port: "0" });
    ids[name] = m.nodeId;
    stops.push(m.stop);
  }
  const v = await startValidator({ ...common, privateKey: KEYS.validator, dataDir: join(root, "validator") });
  stops.push(v.stop);
  const o = await startOracle({ ...common, privateKey: KEYS.oracle, intervalMs: "300" });
  stops.push(o.stop);
  const r = await startRouter({
    ...common,
    privateKey: KEYS.router,
    port: String(await freePort()),
    dataDir: join(root, "router"),
    redundancy: "1",
    validation: "ExactMatch",
    maxTokens: "64",
    maxPromptBytes: "2000",
  });
  stops.push(r.stop);
  routerUrl = r.url;
  routerNodeId = r.nodeId;
  // The router relays streams from miners it is connected to.
  await waitFor(async () => (r.core.liveMiners() >= 5 ? true : undefined), "router connected to miners");
}, 240_000);

afterAll(async () => {
  for (const stop of stops.reverse()) await stop().catch(() => undefined);
  await store?.close();
  await anvil?.stop();
});

describe("local network end to end", () => {
  it("R=1: a task finalizes on the fast path and the client verifies the text against the chain", async () => {
    const sessionId = await openSession(sessionConfig({ r: 1, validation: "ExactMatch" }));
    const taskId = await submit(sessionId, "Once upon a time, there was a little girl named Lily. She");
    await assign(taskId, [ids.honest0]); // the owner assigns: no router needed
    await waitStatus(taskId, "Finalized");
    expect(await resultText(taskId)).toMatch(/^ loved to play outside in the park/);
  });

  it("R=3: identical results finalize at once and every miner is paid", async () => {
    const sessionId = await openSession(sessionConfig({ r: 3, validation: "ExactMatch" }));
    const before = await Promise.all(["honest0", "honest1", "honest2"].map((n) => node(ids[n])));
    const taskId = await submit(sessionId, "One day, a little dog");
    await assign(taskId, [ids.honest0, ids.honest1, ids.honest2]);
    const t = await waitStatus(taskId, "Finalized");
    const after = await Promise.all(["honest0", "honest1", "honest2"].map((n) => node(ids[n])));
    after.forEach((n, i) => {
      expect(n.accepted).toBe(before[i].accepted + 1);
      expect(n.rewards > before[i].rewards).toBe(true);
    });
    expect(t.slots.every((x) => x.revealed)).toBe(true);
    expect((await resultText(taskId)).length).toBeGreaterThan(0);
  });

  it("a dishonest miner's garbage is rejected and slashed by the validator; the honest result is final", async () => {
    const sessionId = await openSession(sessionConfig({ r: 3, validation: "Embedding" }));
    const garbageBefore = await node(ids.garbage);
    const taskId = await submit(sessionId, "Tom had a red ball. He");
    await assign(taskId, [ids.honest1, ids.garbage, ids.honest2]);
    const t = await waitStatus(taskId, "Finalized", 90_000);
    const garbage = await node(ids.garbage);
    expect(garbage.rejected).toBe(garbageBefore.rejected + 1);
    expect(garbage.stake < garbageBefore.stake).toBe(true); // slashed
    expect([ids.honest1, ids.honest2]).toContain(t.winnerNodeId);
    const attestations = await publicClient().getContractEvents({
      address: deployment.network,
      abi: iCorNetworkAbi,
      eventName: "Attested",
      args: { taskId },
      fromBlock: 0n,
    });
    expect(attestations).toHaveLength(1);
    const scores = [...(attestations[0].args.scores ?? [])];
    // The acceptance bar is the protocol's (params.embeddingBarBps), not the session's.
    const bar = (await getParams(publicClient(), { network: network() })).bars.embedding;
    expect(scores[1]).toBeLessThan(bar);
    expect(scores[0]).toBeGreaterThanOrEqual(bar);
  });

  it("a miner that never answers is expired by the oracle and its slot is reassigned by the router", async () => {
    const sessionId = await openSession(sessionConfig({ r: 2, validation: "ExactMatch" }));
    const silentBefore = await node(ids.silent);
    const taskId = await submit(sessionId, "The sun was hot and");
    // The owner picks the first miners itself, then hands the session to the router for the rest.
    await assign(taskId, [ids.honest0, ids.silent]);
    await routeBy(sessionId, routerNodeId);
    await waitFor(
      async () => ((await task(taskId)).slots.map((x) => x.committed).join() === "true,false" ? true : undefined),
      "honest commit",
    );
    await advance(31); // past the precommit window: the oracle expires the silent slot
    const t = await waitStatus(taskId, "Finalized", 60_000);
    const silent = await node(ids.silent);
    expect(silent.timedOut).toBe(silentBefore.timedOut + 1);
    // It never committed to the work: reputation only, no stake (v2 consent rule).
    expect(silent.stake).toBe(silentBefore.stake);
    expect(t.slots.map((x) => x.nodeId)).not.toContain(ids.silent);
    const expired = await publicClient().getContractEvents({
      address: deployment.network,
      abi: iCorNetworkAbi,
      eventName: "WorkSettled",
      args: { taskId, nodeId: ids.silent },
      fromBlock: 0n,
    });
    expect(expired[0].args.outcome).toBe(Outcome.TimedOut);
  });

  it("a miner killed -9 after committing reveals from its journal when restarted; the task finalizes", async () => {
    const dataDir = mkdtempSync(join(tmpdir(), "cor-child-"));
    const port = await freePort();
    let child = spawnChildMiner(dataDir, port);
    const childId = await waitFor(
      async () => {
        const id = await nodeIdOfAccount(publicClient(), network(), privateKeyToAccount(KEYS.child).address);
        return id ? id : undefined;
      },
      "child miner registration",
      90_000,
    );
    const sessionId = await openSession(sessionConfig({ r: 2, validation: "ExactMatch" }));
    const taskId = await submit(sessionId, "Anna found a small box.");
    // The second slot is the silent miner, so the task waits in Committing after the child commits.
    await assign(taskId, [childId, ids.silent]);
    await routeBy(sessionId, routerNodeId);
    await waitFor(async () => ((await task(taskId)).slots[0].committed ? true : undefined), "child commit", 90_000);
    child.kill("SIGKILL");
    await new Promise((r) => child.once("exit", r));
    await advance(31); // the silent slot expires and the router gives it to a live miner, which commits
    await waitStatus(taskId, "Revealing", 60_000);
    child = spawnChildMiner(dataDir, port); // restarted: rebuilds from the chain + journal and reveals
    try {
      const t = await waitStatus(taskId, "Finalized", 90_000);
      expect(t.slots.map((x) => x.revealed)).toEqual([true, true]);
      expect(t.slots[0].nodeId).toBe(childId);
    } finally {
      child.kill("SIGTERM");
    }
  });

  it("the official openai client streams a chat completion through the router and gets the chain's verdict", async () => {
    const openai = new OpenAI({ baseURL: `${routerUrl}/v1`, apiKey: "unused" });
    const models = await openai.models.list();
    expect(models.data.map((m) => m.id)).toContain("stories260K");
    const stream = await openai.chat.completions.create({
      model: "stories260K",
      stream: true,
      max_tokens: 24,
      messages: [{ role: "user", content: "Tell me a story about a cat." }],
    });
    let text = "";
    let cor: { task_id: string; result_hash: Hex; result_cid: string; status: string } | undefined;
    for await (const chunk of stream) {
      text += chunk.choices[0]?.delta?.content ?? "";
      const extra = (chunk as unknown as { cor?: typeof cor }).cor;
      if (extra) cor = extra;
    }
    expect(text.length).toBeGreaterThan(0);
    expect(cor?.status).toBe("Finalized");
    const bytes = await store.get(cor?.result_cid as string);
    expect(contentHash(bytes)).toBe(cor?.result_hash);
    expect(new TextDecoder().decode(bytes)).toBe(text); // the streamed text is the text the chain accepted
    const t = await task(BigInt(cor?.task_id as string));
    expect(t.resultHash).toBe(cor?.result_hash);

    const plain = await openai.completions.create({ model: "stories260K", prompt: "Once upon a time", max_tokens: 16 });
    expect(plain.choices[0].text.length).toBeGreaterThan(0);
  });

  it("bad HTTP input gets OpenAI-shaped 4xx errors and nothing breaks", async () => {
    const post = async (path: string, body: string) => {
      const res = await fetch(`${routerUrl}${path}`, {
        method: "POST",
        headers: { "content-type": "application/json" },
        body,
      });
      return {
        status: res.status,
        body: (await res.json()) as { error: { message: string; type: string; code: string } },
      };
    };
    const cases: [string, string, number, string][] = [
      ["/v1/chat/completions", "{not json", 400, "invalid_json"],
      [
        "/v1/chat/completions",
        JSON.stringify({ model: "gpt-9", messages: [{ role: "user", content: "hi" }] }),
        404,
        "model_not_found",
      ],
      ["/v1/chat/completions", JSON.stringify({ model: "stories260K" }), 400, "missing_messages"],
      ["/v1/completions", JSON.stringify({ model: "stories260K" }), 400, "missing_prompt"],
      [
        "/v1/completions",
        JSON.stringify({ model: "stories260K", prompt: "x".repeat(5000) }),
        400,
        "context_length_exceeded",
      ],
      [
        "/v1/completions",
        JSON.stringify({ model: "stories260K", prompt: "hi", max_tokens: -3 }),
        400,
        "invalid_max_tokens",
      ],
      ["/api/v1/completions", JSON.stringify({ prompt: "hi" }), 400, "missing_session_id"],
      ["/api/v1/completions", JSON.stringify({ session_id: 999, prompt: "hi" }), 404, "session_not_found"],
    ];
    for (const [path, body, status, code] of cases) {
      const res = await post(path, body);
      expect(res.status, `${path} ${body.slice(0, 40)}`).toBe(status);
      expect(res.body.error.code).toBe(code);
      expect(typeof res.body.error.message).toBe("string");
      expect(res.body.error.type).toMatch(/_error$/);
    }
    // An unfunded session: the Cortensor-style route refuses before touching the chain.
    const empty = await openSession(sessionConfig({ r: 1, validation: "ExactMatch", routerId: routerNodeId }), 0n);
    const submitter = privateKeyToAccount(KEYS.router).address;
    await authorizeSubmitter(client(), { network: network(), sessionId: empty, submitter });
    const unfunded = await post(
      "/api/v1/completions",
      JSON.stringify({ session_id: empty, prompt: "hi", max_tokens: 8 }),
    );
    expect(unfunded.status).toBe(402);
    expect(unfunded.body.error.code).toBe("insufficient_deposit");
    const missing = await fetch(`${routerUrl}/nope`);
    expect(missing.status).toBe(404);
    // Still serving after all of that.
    expect((await fetch(`${routerUrl}/health`)).status).toBe(200);
  });
});
