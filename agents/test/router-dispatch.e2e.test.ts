import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { contentHash, corTokenAbi, iCorNetworkAbi, Role, TaskStatus, toSessionConfig } from "@cor-network/sdk";
import { anvilKey, type CorTestNetwork, freePort, setupNetwork } from "@cor-network/sdk/testing";
import pino from "pino";
import { maxUint256, parseEther } from "viem";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import WebSocket from "ws";
import { startMiner } from "../src/miner/index.ts";
import { startRouter } from "../src/router/index.ts";
import { createMinerLink } from "../src/router/link.ts";
import type { StreamMessage } from "../src/shared/stream.ts";

// Speculative start and backpressure on real parts (issue 12): anvil with 1-second blocks, forge-deployed
// contracts, a miner on stories260K (node-llama-cpp, threads 1) with an on-chain capacity of 2, and the router.
// The router dispatches a task to the miner it assigns over their authenticated link while the submission and the
// assignment are mined: the first token arrives well before a block. A forged dispatch gets no work done, and a
// burst larger than the miner's offered capacity is admitted at the pace the offer allows, without a revert.

const ACCOUNTS = { miner: 1, router: 2, attacker: 3 };
const CAPACITY = 2;
const TTL_MS = 4_000;
let net: CorTestNetwork;
let routerUrl = "";
let minerUrl = "";
let minerNodeId = 0;
let attackerNodeId = 0;
const stops: (() => Promise<void>)[] = [];

const getTask = (taskId: bigint) =>
  net.publicClient.readContract({
    address: net.deployment.network,
    abi: iCorNetworkAbi,
    functionName: "getTask",
    args: [taskId],
  });
/** Sends one transaction from the attacker's account and waits for it. */
const attackerWrites = async (send: (c: ReturnType<CorTestNetwork["client"]>) => Promise<`0x${string}`>) => {
  const c = net.client(ACCOUNTS.attacker);
  const receipt = await c.waitForTransactionReceipt({ hash: await send(c) });
  expect(receipt.status).toBe("success");
};
const until = async <T>(what: string, fn: () => Promise<T | undefined> | T | undefined, timeoutMs = 60_000) => {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const v = await fn();
    if (v !== undefined && v !== false) return v;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 100));
  }
};

const PROMPT = "Once upon a time, there was a little girl named Lily. She";

/** One streamed completion: time to the first token, the task's on-chain status at that moment, the text. */
const stream = async (maxTokens: number) => {
  const t0 = performance.now();
  const res = await fetch(`${routerUrl}/v1/completions`, {
    method: "POST",
    headers: { "content-type": "application/json" },
    body: JSON.stringify({ model: "stories260K", prompt: PROMPT, max_tokens: maxTokens, stream: true }),
  });
  expect(res.status).toBe(200);
  const taskId = BigInt(res.headers.get("x-cor-task-id") ?? "0");
  let ttft = 0;
  let statusAtFirstToken: Promise<number> | undefined;
  let text = "";
  let last: Record<string, unknown> | undefined;
  let buf = "";
  const decoder = new TextDecoder();
  for await (const part of res.body as unknown as AsyncIterable<Uint8Array>) {
    buf += decoder.decode(part, { stream: true });
    for (let i = buf.indexOf("\n\n"); i >= 0; i = buf.indexOf("\n\n")) {
      const data = buf.slice(0, i).replace(/^data: /, "");
      buf = buf.slice(i + 2);
      if (data === "[DONE]") continue;
      const chunk = JSON.parse(data);
      expect(chunk.error).toBeUndefined();
      const piece = chunk.choices?.[0]?.text ?? "";
      if (piece && !ttft) {
        ttft = performance.now() - t0;
        statusAtFirstToken = getTask(taskId).then((t) => Number(t.status));
      }
      text += piece;
      if (chunk.cor) last = chunk.cor;
    }
  }
  return { taskId, ttft, statusAtFirstToken: await statusAtFirstToken, text, cor: last };
};

beforeAll(async () => {
  process.env.COR_LOG_LEVEL = "warn";
  const root = mkdtempSync(join(tmpdir(), "cor-dispatch-"));
  net = await setupNetwork({ blockTime: 1 });
  const file = join(root, "deployment.json");
  writeFileSync(file, JSON.stringify(net.deployment));
  for (const i of Object.values(ACCOUNTS)) await net.fund(i, parseEther("100000"));
  const common = { rpcUrl: net.rpcUrl, deployment: file, ipfsDir: join(root, "ipfs") };
  const miner = await startMiner({
    ...common,
    privateKey: anvilKey(ACCOUNTS.miner),
    dataDir: join(root, "miner"),
    port: "0",
    capacity: String(CAPACITY),
    dispatchTtlMs: String(TTL_MS),
  });
  stops.push(miner.stop);
  minerUrl = miner.endpoint;
  minerNodeId = miner.nodeId;
  // Assignments go out unbatched (COR_BATCH_MS=0), so the one sent behind a submission reliably shares its block.
  const batchMs = process.env.COR_BATCH_MS;
  process.env.COR_BATCH_MS = "0";
  const router = await startRouter({
    ...common,
    privateKey: anvilKey(ACCOUNTS.router),
    dataDir: join(root, "router"),
    port: String(await freePort()),
    redundancy: "1",
    validation: "ExactMatch",
    windowSeconds: "30",
  });
  if (batchMs === undefined) delete process.env.COR_BATCH_MS;
  else process.env.COR_BATCH_MS = batchMs;
  stops.unshift(router.stop);
  routerUrl = router.url;
  await until("the router's link to the miner", async () => {
    const h = (await (await fetch(`${routerUrl}/health`)).json()) as { miners: number };
    return h.miners > 0 || undefined;
  });
  // The attacker: a registered, active router node (it can authenticate to the miner) that routes nothing of ours.
  await attackerWrites((c) =>
    c.writeContract({
      address: net.deployment.token,
      abi: corTokenAbi,
      functionName: "approve",
      args: [net.deployment.network, maxUint256],
    }),
  );
  await attackerWrites((c) =>
    c.writeContract({
      address: net.deployment.network,
      abi: iCorNetworkAbi,
      functionName: "register",
      args: [
        Role.Router,
        parseEther("1000"),
        [],
        `0x${"00".repeat(32)}`,
        "http://127.0.0.1:1/attacker",
        { minPrice: 0n, capacity: 0, modes: 0 },
      ],
    }),
  );
  attackerNodeId = Number(
    await net.publicClient.readContract({
      address: net.deployment.network,
      abi: iCorNetworkAbi,
      functionName: "nodeIdOf",
      args: [net.address(ACCOUNTS.attacker)],
    }),
  );
}, 240_000);

afterAll(async () => {
  for (const stop of stops) await stop().catch(() => undefined);
  await net?.stop();
});

describe("speculative start through the router (1-second blocks)", () => {
  it("streams the first token well before a block, before the assignment is mined, and settles the same text", async () => {
    await stream(8); // opens the house session
    const runs = [];
    for (let i = 0; i < 3; i++) runs.push(await stream(32));
    const ttfts = runs.map((r) => r.ttft).sort((a, b) => a - b);
    // Without speculative start the first token waits for the submission and the assignment: ≥ 1 block each.
    expect(ttfts[1]).toBeLessThan(700);
    // The miner generated before the chain had assigned it (the task was not even mined, or still Queued).
    expect(runs.filter((r) => (r.statusAtFirstToken ?? 99) <= TaskStatus.Queued).length).toBeGreaterThanOrEqual(2);
    for (const r of runs) {
      expect(r.cor?.status).toBe("Finalized");
      expect(r.cor?.verified_text_matches_stream).toBe(true);
      expect(r.text.length).toBeGreaterThan(0);
    }
    // The assignment goes right behind the submission (the predicted id), not after its receipt: it rides the
    // submission's block (unless a block boundary falls between the two sends).
    const blockOf = async (eventName: "TaskSubmitted" | "TaskAssigned", taskId: bigint) => {
      const logs = await net.publicClient.getContractEvents({
        address: net.deployment.network,
        abi: iCorNetworkAbi,
        eventName,
        args: { taskId },
        fromBlock: 0n,
      });
      expect(logs.length).toBeGreaterThan(0);
      return logs[0].blockNumber;
    };
    const gaps = await Promise.all(
      runs.map(async (r) => (await blockOf("TaskAssigned", r.taskId)) - (await blockOf("TaskSubmitted", r.taskId))),
    );
    for (const gap of gaps) expect(gap).toBeLessThanOrEqual(1n);
    expect(gaps.filter((g) => g === 0n).length).toBeGreaterThanOrEqual(2);
  }, 120_000);

  it("ignores a forged dispatch: unauthenticated peers are refused, other routers declined, free work bounded", async () => {
    const minerAccount = net.address(ACCOUNTS.miner);
    const house = (await stream(4)).taskId >> 32n; // the router's house session
    const payload = (taskId: bigint, sessionId: bigint, prompt = "Tom had a red ball.") => ({
      type: "dispatch" as const,
      taskId: taskId.toString(),
      sessionId: Number(sessionId),
      prompt,
      promptHash: contentHash(new TextEncoder().encode(prompt)),
      maxTokens: 32,
    });

    // 1. No authentication: the dispatch is the wrong answer to the challenge; refused and closed.
    const raw = new WebSocket(`${minerUrl.replace(/^http/, "ws")}/stream`);
    const rawGot: { type: string }[] = [];
    const closed = new Promise<number>((r) => raw.on("close", (code) => r(code)));
    raw.on("message", (d) => {
      const m = JSON.parse(String(d));
      rawGot.push(m);
      if (m.type === "challenge") raw.send(JSON.stringify(payload((house << 32n) | 999n, house)));
    });
    expect(await closed).toBe(1008);
    expect(rawGot.map((m) => m.type)).toEqual(["challenge", "refused"]);

    // 2. An authenticated router that does not route the session: declined, no token.
    const got: StreamMessage[] = [];
    let live = false;
    const link = createMinerLink({
      minerNodeId,
      minerAccount,
      url: `${minerUrl.replace(/^http/, "ws")}/stream`,
      routerNodeId: attackerNodeId,
      sign: (message) => net.client(ACCOUNTS.attacker).signMessage({ message }),
      logger: pino({ level: "silent" }),
      onMessage: (m) => got.push(m),
      onLive: (v) => {
        live = v;
      },
    });
    try {
      await until("the attacker's link", () => live || undefined);
      const forged = payload((house << 32n) | 1000n, house);
      expect(link.send(forged)).toBe(true);
      const declined = await until("the decline", () => got.find((m) => m.type === "declined"));
      expect(declined).toMatchObject({
        taskId: forged.taskId,
        message: `Router ${attackerNodeId} does not route session ${house}`,
      });

      // 3. Its own session, dispatches it never assigns: at most 2 generate, each dropped after the TTL, and the
      //    miner never commits (there is nothing on chain to commit to).
      await attackerWrites((c) =>
        c.writeContract({
          address: net.deployment.network,
          abi: iCorNetworkAbi,
          functionName: "createSession",
          args: [
            toSessionConfig({
              modelId: net.deployment.modelId,
              redundancy: 1,
              validation: "ExactMatch",
              assignment: "Router",
              pricePerToken: 1_000_000_000_000n,
              maxTokens: 64,
              windows: { precommit: 30, reveal: 30, attest: 30 },
              routerId: attackerNodeId,
            }),
            parseEther("1"),
          ],
        }),
      );
      const own = BigInt(
        await net.publicClient.readContract({
          address: net.deployment.network,
          abi: iCorNetworkAbi,
          functionName: "sessionCount",
        }),
      );
      got.length = 0;
      const ids = [1n, 2n, 3n].map((i) => (own << 32n) | i);
      const declinedOf = (id: bigint) =>
        got.find((m) => m.type === "declined" && m.taskId === id.toString()) as
          | Extract<StreamMessage, { type: "declined" }>
          | undefined;
      // One after the other, each once the previous one's generation is under way (the miner has one slot).
      for (const id of ids.slice(0, 2)) {
        link.send(payload(id, own, `Free work ${id}`));
        await until(
          "its tokens",
          () => got.some((m) => m.type === "tokens" && m.taskId === id.toString()) || undefined,
        );
        await new Promise((r) => setTimeout(r, 1_000));
      }
      link.send(payload(ids[2], own, "Free work 3"));
      expect((await until("the third dispatch's answer", () => declinedOf(ids[2]))).message).toBe(
        `Router ${attackerNodeId} has 2 unconfirmed dispatches`,
      );
      for (const id of ids.slice(0, 2))
        expect((await until("the expiry", () => declinedOf(id), TTL_MS + 30_000)).message).toBe(
          `Not assigned on chain within ${TTL_MS} ms`,
        );
      const streamed = new Set(got.filter((m) => m.type === "tokens").map((m) => m.taskId));
      expect([...streamed].sort()).toEqual(ids.slice(0, 2).map(String).sort());
      expect(got.filter((m) => m.type === "done")).toEqual([]);
      for (const id of ids) expect(Number((await getTask(id)).status)).toBe(TaskStatus.None);
      const node = await net.publicClient.readContract({
        address: net.deployment.network,
        abi: iCorNetworkAbi,
        functionName: "getNode",
        args: [minerNodeId],
      });
      expect(Number(node.open)).toBe(0);
    } finally {
      link.close();
    }
  }, 120_000);

  it("admits a burst larger than the miner's offered capacity without a reverted assignment", async () => {
    const N = 6;
    let maxLoad = 0;
    let sampling = true;
    const sampler = (async () => {
      while (sampling) {
        const v = (await (await fetch(`${routerUrl}/api/v1/miners`)).json()) as {
          miners: { nodeId: number; load: number }[];
        };
        maxLoad = Math.max(maxLoad, ...v.miners.filter((m) => m.nodeId === minerNodeId).map((m) => m.load));
        await new Promise((r) => setTimeout(r, 50));
      }
    })();
    const started = Date.now();
    const results = await Promise.all(
      Array.from({ length: N }, (_, i) =>
        fetch(`${routerUrl}/v1/completions`, {
          method: "POST",
          headers: { "content-type": "application/json" },
          body: JSON.stringify({ model: "stories260K", prompt: `${PROMPT} ${i}`, max_tokens: 16 }),
        }).then(async (r) => ({ status: r.status, body: (await r.json()) as { cor?: { status: string } } })),
      ),
    );
    sampling = false;
    await sampler;
    // Every request was served: none waited out its assignment (a reverted assignment leaves the task Queued).
    expect(results.map((r) => r.status)).toEqual(Array(N).fill(200));
    expect(results.every((r) => r.body.cor?.status === "Finalized")).toBe(true);
    expect(maxLoad).toBeLessThanOrEqual(CAPACITY);
    expect(Date.now() - started).toBeLessThan(90_000);
  }, 150_000);
});
