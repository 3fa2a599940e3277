import { mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import {
  type ContentStore,
  contentHash,
  type Deployment,
  iCorNetworkAbi,
  Role,
  TaskStatus,
  toSessionConfig,
} from "@cor-network/sdk";
import { createEmbeddedStore } from "@cor-network/sdk/storage";
import { type Anvil, anvilKey, deployCore, startAnvil } from "@cor-network/sdk/testing";
import pino from "pino";
import { createPublicClient, createWalletClient, erc20Abi, type Hex, http, maxUint256, parseEther } from "viem";
import { generatePrivateKey, privateKeyToAccount } from "viem/accounts";
import { foundry } from "viem/chains";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import WebSocket from "ws";
import { startMiner } from "../src/miner/index.ts";
import { createMinerLink } from "../src/router/link.ts";
import { type MinerMessage, streamChallengeText } from "../src/shared/stream.ts";

// Private streams on real parts (anvil + forge-deployed contracts, node-llama-cpp on stories260K): a miner streams
// a task's tokens only to the router of the task's session, after it proved its on-chain identity. Another
// registered router, an unauthenticated peer and a peer signing with an unregistered key get nothing about it.

const KEYS = { miner: anvilKey(1), router: anvilKey(2), otherRouter: anvilKey(3), client: anvilKey(4) };
let anvil: Anvil;
let deployment: Deployment;
let store: ContentStore;
let minerUrl = "";
let minerNodeId = 0;
let stopMiner: () => Promise<void> = async () => undefined;
const ids: Record<string, number> = {};

const chain = () => ({ ...foundry, rpcUrls: { default: { http: [anvil.rpcUrl] } } });
const publicClient = () => createPublicClient({ chain: chain(), transport: http(anvil.rpcUrl) });
const write = async (
  key: Hex,
  functionName: string,
  args: readonly unknown[],
  address?: Hex,
  abi: unknown = iCorNetworkAbi,
) => {
  const w = createWalletClient({ account: privateKeyToAccount(key), chain: chain(), transport: http(anvil.rpcUrl) });
  const hash = await w.writeContract({ address: address ?? deployment.network, abi, functionName, args } as never);
  const receipt = await publicClient().waitForTransactionReceipt({ hash });
  expect(receipt.status).toBe("success");
};
const read = <T>(functionName: string, args: readonly unknown[]) =>
  publicClient().readContract({
    address: deployment.network,
    abi: iCorNetworkAbi,
    functionName,
    args,
  } as never) as Promise<T>;

/** A raw peer on the miner's stream endpoint that records every message it gets. */
const rawPeer = (onOpen?: (ws: WebSocket, challenge: Extract<MinerMessage, { type: "challenge" }>) => void) => {
  const ws = new WebSocket(`${minerUrl.replace(/^http/, "ws")}/stream`);
  const messages: MinerMessage[] = [];
  const closed = new Promise<number>((r) => ws.on("close", (code) => r(code)));
  ws.on("error", () => undefined);
  ws.on("message", (data) => {
    const msg = JSON.parse(String(data)) as MinerMessage;
    messages.push(msg);
    if (msg.type === "challenge") onOpen?.(ws, msg);
  });
  return { ws, messages, closed };
};

const quiet = pino({ level: "silent" });

beforeAll(async () => {
  process.env.COR_LOG_LEVEL = "warn";
  const root = mkdtempSync(join(tmpdir(), "cor-private-"));
  anvil = await startAnvil();
  deployment = await deployCore({ rpcUrl: anvil.rpcUrl, file: join(root, "deployment.json") });
  store = await createEmbeddedStore({ directory: join(root, "ipfs") });
  for (const key of Object.values(KEYS)) {
    await write(
      anvilKey(0),
      "transfer",
      [privateKeyToAccount(key).address, parseEther("10000")],
      deployment.token,
      erc20Abi,
    );
    await write(key, "approve", [deployment.network, maxUint256], deployment.token, erc20Abi);
  }
  for (const name of ["router", "otherRouter"] as const) {
    await write(KEYS[name], "register", [
      Role.Router,
      parseEther("1000"),
      [],
      `0x${"00".repeat(32)}`,
      `http://127.0.0.1:1/${name}`,
      { minPrice: 0n, capacity: 0, modes: 0 },
    ]);
    ids[name] = Number(await read("nodeIdOf", [privateKeyToAccount(KEYS[name]).address]));
  }
  const miner = await startMiner({
    rpcUrl: anvil.rpcUrl,
    deployment: join(root, "deployment.json"),
    ipfsDir: join(root, "ipfs"),
    privateKey: KEYS.miner,
    dataDir: join(root, "miner"),
    port: "0",
  });
  minerUrl = miner.endpoint;
  minerNodeId = miner.nodeId;
  stopMiner = miner.stop;
}, 180_000);

afterAll(async () => {
  await stopMiner().catch(() => undefined);
  await store?.close();
  await anvil?.stop();
});

describe("private miner streams", () => {
  it("only the session's router gets a task's tokens, hash and CID; every other peer gets a refusal or nothing", async () => {
    const minerAccount = privateKeyToAccount(KEYS.miner).address;
    const link = (key: Hex, nodeId: number) => {
      const got: MinerMessage[] = [];
      let live = false;
      const l = createMinerLink({
        minerNodeId,
        minerAccount,
        url: `${minerUrl.replace(/^http/, "ws")}/stream`,
        routerNodeId: nodeId,
        sign: (message) => privateKeyToAccount(key).signMessage({ message }),
        logger: quiet,
        onMessage: (m) => got.push(m),
        onLive: (v) => {
          live = v;
        },
      });
      return { l, got, live: () => live };
    };
    const own = link(KEYS.router, ids.router);
    const other = link(KEYS.otherRouter, ids.otherRouter);
    const silent = rawPeer();
    const garbage = rawPeer((ws) => ws.send("null"));
    const impostorKey = generatePrivateKey();
    const impostor = rawPeer(async (ws, c) => {
      const signature = await privateKeyToAccount(impostorKey).signMessage({
        message: streamChallengeText(minerAccount, c.nonce as Hex),
      });
      ws.send(JSON.stringify({ type: "auth", nodeId: ids.router, signature }));
    });
    const started = Date.now();
    while (!(own.live() && other.live())) {
      if (Date.now() - started > 10_000) throw new Error("routers not authorized");
      await new Promise((r) => setTimeout(r, 50));
    }

    // A session routed by `router`, owned by the client; the owner assigns the miner itself.
    const config = toSessionConfig({
      modelId: deployment.modelId,
      maxTokens: 64,
      routerId: ids.router,
      windows: { precommit: 30, reveal: 30, attest: 30 },
    });
    await write(KEYS.client, "createSession", [config, parseEther("10")]);
    const sessionId = Number(await read("sessionCount", []));
    const prompt = new TextEncoder().encode("Once upon a time, there was a dog.");
    const { cid } = await store.add(prompt);
    await write(KEYS.client, "submitTask", [sessionId, contentHash(prompt), cid, 48]);
    const taskId = (BigInt(sessionId) << 32n) | 1n;
    await write(KEYS.client, "assignTask", [taskId, [minerNodeId]]);
    for (;;) {
      const t = await read<{ status: number }>("getTask", [taskId]);
      if (t.status === TaskStatus.Finalized) break;
      await new Promise((r) => setTimeout(r, 100));
    }
    const key = taskId.toString();
    // The session's router got every token and the result's hash and CID, and they match the chain.
    const frames = own.got.filter((m) => m.type === "tokens" && m.taskId === key) as Extract<
      MinerMessage,
      { type: "tokens" }
    >[];
    const tokens = frames.flatMap((f) => f.pieces.map((piece, i) => ({ index: f.index + i, piece })));
    const done = own.got.find((m) => m.type === "done" && m.taskId === key) as Extract<MinerMessage, { type: "done" }>;
    expect(tokens.length).toBeGreaterThan(0);
    expect(tokens.map((t) => t.index)).toEqual(tokens.map((_, i) => i));
    const task = await read<{ resultHash: Hex }>("getTask", [taskId]);
    expect(done.resultHash).toBe(task.resultHash);
    expect(new TextDecoder().decode(await store.get(done.resultCid))).toBe(tokens.map((t) => t.piece).join(""));

    // Another registered, authenticated router got nothing about this task.
    expect(other.got.filter((m) => "taskId" in m)).toEqual([]);
    // Garbage and a signature by an unregistered key: refused with a reason, and closed.
    expect(await garbage.closed).toBe(1008);
    expect(garbage.messages.map((m) => m.type)).toEqual(["challenge", "refused"]);
    expect(await impostor.closed).toBe(1008);
    expect(impostor.messages.map((m) => m.type)).toEqual(["challenge", "refused"]);
    expect((impostor.messages[1] as { message: string }).message).toMatch(/is not the account of node/);
    // A peer that never answers the challenge is refused after the timeout, having received nothing else.
    expect(await silent.closed).toBe(1008);
    expect(silent.messages.map((m) => m.type)).toEqual(["challenge", "refused"]);
    expect((silent.messages[1] as { message: string }).message).toMatch(/Authentication required/);
    own.l.close();
    other.l.close();
  }, 60_000);
});
