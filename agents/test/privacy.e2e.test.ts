import { mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import {
  assignTask,
  type ContentStore,
  type CreateSessionParameters,
  contentHash,
  createSession,
  type Deployment,
  deliverTaskKeys,
  EncryptionKeyRequiredError,
  type EncryptionKeys,
  expireSlot,
  fetchResult,
  generateEncryptionKeyPair,
  getNode,
  getSession,
  getTask,
  NotARecipientError,
  sealPrompt,
  submitTask,
  TaskFailedError,
  waitForTaskResult,
} from "@cor-network/sdk";
import { createEmbeddedStore } from "@cor-network/sdk/storage";
import { type Anvil, anvilKey, deployCore, freePort, startAnvil } from "@cor-network/sdk/testing";
import {
  createTestClient,
  createWalletClient,
  erc20Abi,
  http,
  type PublicClient,
  parseEther,
  publicActions,
} from "viem";
import { privateKeyToAccount } from "viem/accounts";
import { foundry } from "viem/chains";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startMiner } from "../src/miner/index.ts";
import { startRouter } from "../src/router/index.ts";
import { pruneRetiredKeys, rotateNodeKey } from "../src/shared/keys.ts";
import { startValidator } from "../src/validator/index.ts";
import { type Observer, startObserver, windowsOf } from "./privacy.observer.ts";

// Issue 10 end to end: encrypted sessions on anvil with the real miner and validator agents (node-llama-cpp on the
// real GGUF), the SDK in direct mode, and an observer that sees every IPFS block, the chain, the agents' logs and
// the network traffic. The client gets verified results; the observer finds no prompt or result byte.

let anvil: Anvil;
let deployment: Deployment;
let store: ContentStore;
let root: string;
let observer: Observer;
const stops: (() => Promise<void>)[] = [];
const miners: { nodeId: number; stop: () => Promise<void> }[] = [];
let garbageMiner = 0;
let stopGarbageMiner: () => Promise<void> = async () => undefined;
/** Encrypted routers by redundancy: their HTTP API is the client's trusted, plaintext hop. */
const routers = new Map<number, { url: string; liveMiners: () => number }>();
const clientKeys: EncryptionKeys = { keys: [generateEncryptionKeyPair()] };
const canary = () => `Zq${Math.random().toString(36).slice(2, 10)}`;

const clientOf = (index: number) =>
  createWalletClient({
    account: privateKeyToAccount(anvilKey(index)),
    chain: { ...foundry, rpcUrls: { default: { http: [anvil.rpcUrl] } } },
    transport: http(anvil.rpcUrl),
    pollingInterval: 100,
  }).extend(publicActions);

const minerOpts = (i: number, extra: Record<string, string> = {}) => ({
  rpcUrl: anvil.rpcUrl,
  deployment: join(root, "deployment.json"),
  privateKey: anvilKey(i),
  ipfsDir: join(root, "ipfs"),
  dataDir: join(root, `node${i}`),
  keyWaitMs: "3000",
  ...extra,
});

/** Asserts the observer finds none of the plaintext. */
const expectNoLeak = async (plaintexts: string[]) => {
  for (const text of plaintexts) {
    for (const w of windowsOf(text))
      expect({ needle: w, seenIn: await observer.find(w) }).toEqual({ needle: w, seenIn: [] });
  }
};

/** Expires slot `slot` of a task after its deadline (what the oracle agent does), from the deployer account. */
const expireLate = async (taskId: bigint, slot: number) => {
  const owner = clientOf(0);
  const testClient = createTestClient({ mode: "anvil", chain: owner.chain, transport: http(anvil.rpcUrl) });
  await testClient.increaseTime({ seconds: 120 });
  await testClient.mine({ blocks: 1 });
  await expireSlot(owner, { network: deployment.network, taskId, slot });
};

beforeAll(async () => {
  root = mkdtempSync(join(tmpdir(), "cor-privacy-"));
  const logFile = join(root, "agents.log");
  writeFileSync(logFile, "");
  process.env.COR_LOG_FILE = logFile;
  process.env.COR_LOG_LEVEL = "debug";
  anvil = await startAnvil();
  deployment = await deployCore({ rpcUrl: anvil.rpcUrl, file: join(root, "deployment.json") });
  store = await createEmbeddedStore({ directory: join(root, "ipfs") });
  const owner = clientOf(0);
  for (const i of [1, 2, 3, 4, 5, 6, 7, 11]) {
    const hash = await owner.writeContract({
      address: deployment.token,
      abi: erc20Abi,
      functionName: "transfer",
      args: [privateKeyToAccount(anvilKey(i)).address, parseEther("10000")],
    });
    await owner.waitForTransactionReceipt({ hash });
  }
  observer = startObserver({
    ipfsDir: join(root, "ipfs"),
    logFile,
    publicClient: owner as unknown as PublicClient,
    trusted: () => [...routers.values()].map((r) => r.url),
  });
  for (const i of [1, 2, 3]) {
    const m = await startMiner(minerOpts(i));
    miners.push({ nodeId: m.nodeId, stop: m.stop });
  }
  const garbage = await startMiner(minerOpts(5, { behavior: "garbage" }));
  garbageMiner = garbage.nodeId;
  stopGarbageMiner = garbage.stop;
  stops.push(() => stopGarbageMiner());
  const v = await startValidator({
    rpcUrl: anvil.rpcUrl,
    deployment: join(root, "deployment.json"),
    privateKey: anvilKey(4),
    ipfsDir: join(root, "ipfs"),
    dataDir: join(root, "node4"),
  });
  stops.push(v.stop);
  for (const [account, redundancy] of [
    [6, 1],
    [7, 3],
  ]) {
    const r = await startRouter({
      rpcUrl: anvil.rpcUrl,
      deployment: join(root, "deployment.json"),
      privateKey: anvilKey(account),
      ipfsDir: join(root, "ipfs"),
      dataDir: join(root, `router${account}`),
      port: String(await freePort()),
      redundancy: String(redundancy),
      validation: "ExactMatch",
      deposit: "100",
      maxTokens: "64",
      encrypted: "true",
    });
    stops.push(r.stop);
    routers.set(redundancy, { url: r.url, liveMiners: () => r.core.liveMiners() });
  }
  for (let i = 0; i < 200 && [...routers.values()].some((r) => r.liveMiners() < 4); i++)
    await new Promise((r) => setTimeout(r, 100));
}, 240_000);

afterAll(async () => {
  observer?.stop();
  for (const m of miners) await m.stop().catch(() => undefined);
  for (const stop of stops) await stop().catch(() => undefined);
  await store?.close();
  await anvil?.stop();
  delete process.env.COR_LOG_FILE;
});

const network = () => deployment.network;
/** Submits `prompt` sealed with the client's keys. */
const submitSealed = (sessionId: number, prompt: string, maxTokens: number) =>
  submitTask(clientOf(11), {
    network: network(),
    sessionId,
    prompt,
    store,
    maxTokens,
    encryption: { keys: clientKeys },
  });
/** Waits for a sealed task's result (granting keys to its miners on the way) and decrypts it. */
const waitSealed = (
  sub: { taskId: bigint; blockNumber: bigint },
  extra: Partial<Parameters<typeof waitForTaskResult>[1]> = {},
) =>
  waitForTaskResult(clientOf(11), {
    network: network(),
    taskId: sub.taskId,
    store,
    fromBlock: sub.blockNumber,
    timeout: 60_000,
    encryption: { keys: clientKeys },
    ...extra,
  });
const newSession = async (config: Partial<CreateSessionParameters>) =>
  createSession(clientOf(11), {
    network: network(),
    token: deployment.token,
    modelId: deployment.modelId,
    maxTokens: 64,
    deposit: parseEther("5"),
    encrypted: true,
    ...config,
  });

describe("encrypted sessions, SDK direct mode", () => {
  it("R=3, the owner assigns after submission: keys are granted on TaskAssigned, the client gets the verified result, nobody else sees a byte", async () => {
    const client = clientOf(11);
    const { sessionId } = await newSession({ redundancy: 3 });
    expect((await getSession(client, { network: network(), sessionId })).encrypted).toBe(true);
    const prompt = `Once upon a time, there was a little girl named ${canary()}. She`;
    // An encrypted session never takes a plaintext prompt.
    await expect(
      submitTask(client, { network: network(), sessionId, prompt, store, maxTokens: 24 }),
    ).rejects.toBeInstanceOf(EncryptionKeyRequiredError);
    const sub = await submitSealed(sessionId, prompt, 24);
    expect(sub.promptHash).toBe(contentHash(prompt));
    await assignTask(client, { network: network(), taskId: sub.taskId, nodeIds: miners.map((m) => m.nodeId) });
    const deliveries: number[][] = [];
    const result = await waitSealed(sub, { onKeyDelivery: (d) => deliveries.push(d.delivered) });
    expect(deliveries.flat().sort()).toEqual(miners.map((m) => m.nodeId).sort());
    expect(result.encrypted).toBe(true);
    expect(result.text.length).toBeGreaterThan(10);
    expect(contentHash(result.bytes)).toBe(result.resultHash);
    // Without the key, or with someone else's, the result cannot be read.
    const args = { network: network(), taskId: sub.taskId, store, fromBlock: sub.blockNumber };
    await expect(fetchResult(client, args)).rejects.toBeInstanceOf(EncryptionKeyRequiredError);
    await expect(
      fetchResult(client, { ...args, encryption: { keys: { keys: [generateEncryptionKeyPair()] } } }),
    ).rejects.toBeInstanceOf(NotARecipientError);
    expect((await fetchResult(client, { ...args, encryption: { keys: clientKeys } })).text).toBe(result.text);
    await expectNoLeak([prompt, result.text]);
  }, 120_000);

  it("R=1 in Claim mode: the miner that claims gets the key from the waiting client", async () => {
    const _client = clientOf(11);
    const { sessionId } = await newSession({ redundancy: 1, assignment: "Claim" });
    const prompt = `The dog ran to the ${canary()} park and`;
    const sub = await submitSealed(sessionId, prompt, 16);
    const result = await waitSealed(sub, { timeout: 60_000 });
    expect(result.encrypted).toBe(true);
    expect(result.text.length).toBeGreaterThan(0);
    await expectNoLeak([prompt, result.text]);
  }, 90_000);

  it("Embedding mode with a validator: results differ, the validator decrypts them and attests; the bad miner is rejected", async () => {
    const client = clientOf(11);
    const { sessionId } = await newSession({ redundancy: 3, validation: "Embedding", quorum: 1 });
    const prompt = `Lily found a ${canary()} shiny stone in the garden. She`;
    const sub = await submitSealed(sessionId, prompt, 24);
    await assignTask(client, {
      network: network(),
      taskId: sub.taskId,
      nodeIds: [miners[0].nodeId, miners[1].nodeId, garbageMiner],
    });
    const statuses: string[] = [];
    const result = await waitSealed(sub, { timeout: 90_000, onStatus: (s) => statuses.push(s) });
    expect(statuses).toContain("Validating");
    expect([miners[0].nodeId, miners[1].nodeId]).toContain(Number(result.winnerNodeId));
    const task = await getTask(client, { network: network(), taskId: sub.taskId });
    expect(task.attestations).toBeGreaterThan(0);
    await expectNoLeak([prompt, result.text]);
    // The routers' tests below want honest miners only.
    await stopGarbageMiner();
    stopGarbageMiner = async () => undefined;
  }, 150_000);
});

describe("encrypted sessions, router path (OpenAI API → router → miners)", () => {
  for (const redundancy of [1, 3]) {
    it(`R=${redundancy}: the router seals the prompt, grants the key to the miners it assigns, opens their sealed stream and result`, async () => {
      const router = routers.get(redundancy) as { url: string };
      const prompt = `Once upon a time, a boy named ${canary()} found a`;
      const call = (stream: boolean) =>
        fetch(`${router.url}/v1/completions`, {
          method: "POST",
          headers: { "content-type": "application/json" },
          body: JSON.stringify({ model: "stories260K", prompt, max_tokens: 16, stream }),
        });
      const res = await call(false);
      expect(res.status).toBe(200);
      const body = (await res.json()) as { choices: { text: string }[]; cor?: { task_id?: string } };
      const text = body.choices[0].text;
      expect(text.length).toBeGreaterThan(0);
      // Streaming: the tokens the router relays are the miner's sealed frames, opened by the router.
      const sse = await (await call(true)).text();
      const streamed = [...sse.matchAll(/^data: (\{.*\})$/gm)]
        .map((m) => JSON.parse(m[1]) as { choices?: { text?: string }[] })
        .map((c) => c.choices?.[0]?.text ?? "")
        .join("");
      expect(streamed).toBe(text);
      expect(observer.traffic().includes(Buffer.from('"pieces":["enc:'))).toBe(true); // sealed token frames
      await expectNoLeak([prompt, text]);
    }, 120_000);
  }
});

describe("bad envelopes and keys lose no escrow", () => {
  const depositOf = async (sessionId: number) =>
    (await getSession(clientOf(11), { network: network(), sessionId })).deposit;
  /** An encrypted R=1 session with no retries and 5-second windows, and its free deposit before any task. */
  const strictSession = async () => {
    const { sessionId } = await newSession({
      redundancy: 1,
      retryLimit: 0,
      windows: { precommit: 5, reveal: 5, attest: 5 },
    });
    return { sessionId, before: await depositOf(sessionId) };
  };
  /** The slot expires (as the oracle would), the task fails, and the session's deposit is whole again. */
  const expectFailedAndRefunded = async (
    sub: { taskId: bigint; blockNumber: bigint },
    sessionId: number,
    before: bigint,
  ) => {
    await expireLate(sub.taskId, 0);
    const err = await waitForTaskResult(clientOf(11), {
      network: network(),
      taskId: sub.taskId,
      store,
      fromBlock: sub.blockNumber,
      timeout: 10_000,
    }).catch((e) => e);
    expect(err).toBeInstanceOf(TaskFailedError);
    expect(await depositOf(sessionId)).toBe(before);
  };

  it("missing wrapped key (the client never grants it): the miner does not commit, the slot expires, the task fails and refunds", async () => {
    const client = clientOf(11);
    const { sessionId, before } = await strictSession();
    const sub = await submitTask(client, {
      network: network(),
      sessionId,
      prompt: `A ${canary()} secret`,
      store,
      maxTokens: 8,
      encryption: { keys: clientKeys },
    });
    await assignTask(client, { network: network(), taskId: sub.taskId, nodeIds: [miners[2].nodeId] });
    await new Promise((r) => setTimeout(r, 4500)); // the miner's key wait (3 s) runs out
    const log = readFileSync(process.env.COR_LOG_FILE as string, "utf8");
    expect(log).toContain(
      `Task ${sub.taskId} is encrypted and no wrapped key for node ${miners[2].nodeId} reached it.`,
    );
    expect((await getTask(client, { network: network(), taskId: sub.taskId })).slots[0].committed).toBe(false);
    await expectFailedAndRefunded(sub, sessionId, before);
  }, 60_000);

  it("reassigned slot: the first miner gets no key (client offline) and expires; the reassigned miner gets it from the client's watcher", async () => {
    const client = clientOf(11);
    const { sessionId } = await newSession({
      redundancy: 1,
      retryLimit: 1,
      windows: { precommit: 5, reveal: 5, attest: 5 },
    });
    const prompt = `Ben had a ${canary()} small boat. He`;
    const sub = await submitSealed(sessionId, prompt, 16);
    await assignTask(client, { network: network(), taskId: sub.taskId, nodeIds: [miners[2].nodeId] });
    await new Promise((r) => setTimeout(r, 4500)); // miner 3 waits 3 s for a grant that never comes
    await expireLate(sub.taskId, 0);
    await assignTask(client, { network: network(), taskId: sub.taskId, nodeIds: [miners[1].nodeId] });
    // The client comes back online: its watcher sees both TaskAssigned events and grants the key.
    const result = await waitSealed(sub, { timeout: 60_000 });
    expect(result.winnerNodeId).toBe(miners[1].nodeId);
    expect(result.encrypted).toBe(true);
    await expectNoLeak([prompt, result.text]);
  }, 90_000);

  it("tampered prompt ciphertext: the miner refuses it (EnvelopeTamperedError), the task fails and refunds", async () => {
    const client = clientOf(11);
    const { sessionId, before } = await strictSession();
    const plaintext = new TextEncoder().encode(`The ${canary()} tampered story`);
    const sealed = await sealPrompt({
      plaintext,
      sessionId,
      recipients: [{ nodeId: 0, publicKey: clientKeys.keys[0].publicKey }],
    });
    const envelope = sealed.envelope.slice();
    envelope[envelope.length - 3] ^= 0x40;
    const { cid } = await store.add(envelope);
    const sub = await submitTask(client, {
      network: network(),
      sessionId,
      promptCid: cid,
      promptHash: contentHash(plaintext),
      maxTokens: 8,
    });
    await assignTask(client, { network: network(), taskId: sub.taskId, nodeIds: [miners[1].nodeId] });
    const delivery = await deliverTaskKeys(client, {
      network: network(),
      taskId: sub.taskId,
      store,
      encryption: { keys: clientKeys, taskKey: sealed.taskKey },
    });
    expect(delivery.delivered).toEqual([miners[1].nodeId]);
    await new Promise((r) => setTimeout(r, 1500));
    expect(readFileSync(process.env.COR_LOG_FILE as string, "utf8")).toMatch(
      new RegExp(`The prompt envelope of task ${sub.taskId} failed authentication`),
    );
    await expectFailedAndRefunded(sub, sessionId, before);
  }, 60_000);

  it("key rotation does not strand an in-flight task: the miner keeps its retired key; a dropped key is stale and a re-grant recovers", async () => {
    const client = clientOf(11);
    const { sessionId } = await newSession({ redundancy: 1 });
    const m = miners[0];
    const oldKey = (await getNode(client, { network: network(), nodeId: m.nodeId })).encryptionKey;
    const prompt = `Tom had a ${canary()} red ball. He`;
    // Wrapped to the miner's current key at submission (as for a Dedicated session).
    const sub = await submitTask(client, {
      network: network(),
      sessionId,
      prompt,
      store,
      maxTokens: 16,
      encryption: { keys: clientKeys, recipients: [{ nodeId: m.nodeId, publicKey: oldKey }] },
    });
    // The miner rotates (restart with a new COR_ENCRYPTION_KEY: updateNode publishes it, the old key is retired).
    await m.stop();
    const restarted = await startMiner(minerOpts(1, { encryptionKey: generateEncryptionKeyPair().secretKey }));
    m.stop = restarted.stop;
    const newKey = (await getNode(client, { network: network(), nodeId: m.nodeId })).encryptionKey;
    expect(newKey).not.toBe(oldKey);
    // No grant: the miner opens the envelope with its retired key.
    await assignTask(client, { network: network(), taskId: sub.taskId, nodeIds: [m.nodeId] });
    for (
      let i = 0;
      i < 300 && (await getTask(client, { network: network(), taskId: sub.taskId })).status !== "Finalized";
      i++
    ) {
      await new Promise((r) => setTimeout(r, 100));
    }
    const result = await fetchResult(client, {
      network: network(),
      taskId: sub.taskId,
      store,
      fromBlock: sub.blockNumber,
      encryption: { keys: clientKeys },
    });
    expect(result.encrypted).toBe(true);
    await expectNoLeak([prompt, result.text]);

    // A node that rotates again and drops its retired keys: the envelope's entry is stale (a clear error in its
    // log, no plaintext fallback), and the client's re-grant to the current key on TaskAssigned recovers the task.
    const prompt2 = `Sue saw a ${canary()} big tree. She`;
    const sub2 = await submitTask(client, {
      network: network(),
      sessionId,
      prompt: prompt2,
      store,
      maxTokens: 16,
      encryption: { keys: clientKeys, recipients: [{ nodeId: m.nodeId, publicKey: newKey }] },
    });
    await m.stop();
    // The operator rotates and keeps no retired key (rotateNodeKey + pruneRetiredKeys); the restart publishes it.
    rotateNodeKey(join(root, "node1"));
    pruneRetiredKeys(join(root, "node1"), 0);
    const again = await startMiner(minerOpts(1, { keyWaitMs: "10000" }));
    m.stop = again.stop;
    await assignTask(client, { network: network(), taskId: sub2.taskId, nodeIds: [m.nodeId] });
    await new Promise((r) => setTimeout(r, 1000));
    expect(readFileSync(process.env.COR_LOG_FILE as string, "utf8")).toContain(
      `Task ${sub2.taskId}: the key was wrapped to node ${m.nodeId}'s key ${newKey.slice(0, 10)}…, which this node no longer holds.`,
    );
    const regranted = await waitSealed(sub2, { timeout: 60_000 });
    expect(regranted.encrypted).toBe(true);
    await expectNoLeak([prompt2, regranted.text]);
  }, 150_000);
});

// Last: its plaintext would match the windows of the encrypted tasks above, which share words with it.
describe("observer self-check", () => {
  it("the observer's scanner finds a plaintext task's prompt (positive control)", async () => {
    const client = clientOf(11);
    const { sessionId } = await newSession({ redundancy: 1, encrypted: false });
    const prompt = `Once upon a time, ${canary()} the plaintext cat sat`;
    const { taskId, blockNumber } = await submitTask(client, {
      network: network(),
      sessionId,
      prompt,
      store,
      maxTokens: 8,
    });
    await assignTask(client, { network: network(), taskId, nodeIds: [miners[0].nodeId] });
    const result = await waitForTaskResult(client, {
      network: network(),
      taskId,
      store,
      fromBlock: blockNumber,
      timeout: 60_000,
    });
    expect(result.encrypted).toBe(false);
    expect((await observer.find(prompt)).some((w) => w.startsWith("ipfs block"))).toBe(true);
    expect((await observer.find(result.text)).some((w) => w.startsWith("ipfs block"))).toBe(true);
  }, 90_000);
});
