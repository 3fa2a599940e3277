import { mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import {
  assignTask,
  type ContentStore,
  createSession,
  type Deployment,
  getNode,
  submitTask,
  waitForTaskResult,
} from "@cor-network/sdk";
import { createEmbeddedStore } from "@cor-network/sdk/storage";
import { type Anvil, anvilKey, deployCore, startAnvil } from "@cor-network/sdk/testing";
import { createWalletClient, erc20Abi, http, parseEther, publicActions } from "viem";
import { privateKeyToAccount } from "viem/accounts";
import { foundry } from "viem/chains";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startMiner } from "../src/miner/index.ts";

// Direct mode: a dapp drives the whole flow with the SDK against the contracts and IPFS, no router involved;
// the miners are the real agents running node-llama-cpp.

let anvil: Anvil;
let deployment: Deployment;
let store: ContentStore;
const stops: (() => Promise<void>)[] = [];
const minerIds: number[] = [];

const clientOf = (index: number) =>
  createWalletClient({
    account: privateKeyToAccount(anvilKey(index)),
    chain: { ...foundry, rpcUrls: { default: { http: [anvil.rpcUrl] } } },
    transport: http(anvil.rpcUrl),
    pollingInterval: 100,
  }).extend(publicActions);

beforeAll(async () => {
  process.env.COR_LOG_LEVEL = "warn";
  const root = mkdtempSync(join(tmpdir(), "cor-direct-"));
  anvil = await startAnvil();
  const file = join(root, "deployment.json");
  deployment = await deployCore({ rpcUrl: anvil.rpcUrl, file });
  store = await createEmbeddedStore({ directory: join(root, "ipfs") });
  const owner = clientOf(0);
  for (const i of [1, 2, 3, 11]) {
    const hash = await owner.writeContract({
      address: deployment.token,
      abi: erc20Abi,
      functionName: "transfer",
      args: [privateKeyToAccount(anvilKey(i)).address, parseEther("10000")],
    });
    await owner.waitForTransactionReceipt({ hash });
  }
  for (const i of [1, 2, 3]) {
    const m = await startMiner({
      rpcUrl: anvil.rpcUrl,
      deployment: file,
      privateKey: anvilKey(i),
      ipfsDir: join(root, "ipfs"),
      dataDir: join(root, `m${i}`),
    });
    minerIds.push(m.nodeId);
    stops.push(m.stop);
  }
}, 180_000);

afterAll(async () => {
  for (const stop of stops) await stop().catch(() => undefined);
  await store?.close();
  await anvil?.stop();
});

describe("SDK direct mode with real miners", () => {
  it("Router mode, the owner assigns: submit → assign → verified result (R=3)", async () => {
    const client = clientOf(11);
    const { sessionId } = await createSession(client, {
      network: deployment.network,
      token: deployment.token,
      modelId: deployment.modelId,
      redundancy: 3,
      maxTokens: 64,
      deposit: parseEther("1"),
    });
    const { taskId, blockNumber } = await submitTask(client, {
      network: deployment.network,
      sessionId,
      prompt: "Once upon a time, there was a little girl named Lily. She",
      store,
      maxTokens: 24,
    });
    await assignTask(client, { network: deployment.network, taskId, nodeIds: minerIds });
    const result = await waitForTaskResult(client, {
      network: deployment.network,
      taskId,
      store,
      fromBlock: blockNumber,
      timeout: 60_000,
    });
    expect(result.text).toMatch(/^ loved to play outside/);
    expect(minerIds).toContain(Number(result.winnerNodeId));
    const node = await getNode(client, { network: deployment.network, nodeId: minerIds[0] });
    expect(Number(node.accepted)).toBeGreaterThan(0);
  });

  it("Dedicated mode assigns at submit; Claim mode lets miners claim first come first served", async () => {
    const client = clientOf(11);
    const dedicated = await createSession(client, {
      network: deployment.network,
      token: deployment.token,
      modelId: deployment.modelId,
      redundancy: 2,
      assignment: "Dedicated",
      dedicatedMiners: [minerIds[1], minerIds[2]],
      maxTokens: 64,
      deposit: parseEther("1"),
    });
    const d = await submitTask(client, {
      network: deployment.network,
      sessionId: dedicated.sessionId,
      prompt: "The cat sat",
      store,
      maxTokens: 16,
    });
    const dr = await waitForTaskResult(client, {
      network: deployment.network,
      taskId: d.taskId,
      store,
      fromBlock: d.blockNumber,
      timeout: 60_000,
    });
    expect([minerIds[1], minerIds[2]]).toContain(Number(dr.winnerNodeId));

    const claim = await createSession(client, {
      network: deployment.network,
      token: deployment.token,
      modelId: deployment.modelId,
      redundancy: 2,
      assignment: "Claim",
      maxTokens: 64,
      deposit: parseEther("1"),
    });
    const c = await submitTask(client, {
      network: deployment.network,
      sessionId: claim.sessionId,
      prompt: "A bird flew",
      store,
      maxTokens: 16,
    });
    const cr = await waitForTaskResult(client, {
      network: deployment.network,
      taskId: c.taskId,
      store,
      fromBlock: c.blockNumber,
      timeout: 60_000,
    });
    expect(cr.text.length).toBeGreaterThan(0);
    expect(minerIds).toContain(Number(cr.winnerNodeId));
  });
});
