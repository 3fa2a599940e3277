import { assignTasks, contentHash, getTask, parseCor, submitTasks } from "@cor-network/sdk";
import {
  anvilKey,
  type CorTestNetwork,
  openSession,
  registerMiners,
  setupNetwork,
  tempContentStore,
} from "@cor-network/sdk/testing";
import { type Hex, keccak256, toHex } from "viem";
import { afterAll, beforeAll, expect, test } from "vitest";
import { createResultBatchers } from "./batch.ts";
import { createClients, createTxSender } from "./chain.ts";
import { revertName } from "./errors.ts";
import { createLogger } from "./logger.ts";

// Real parts: anvil with the forge-deployed contracts, the agents' own TxSender (nonces) and commitMany/revealMany.
let net: CorTestNetwork;
let store: Awaited<ReturnType<typeof tempContentStore>>;
let sessionId: number;
let minerNode: number;
const logger = createLogger("test", {});
beforeAll(async () => {
  net = await setupNetwork();
  store = await tempContentStore();
  [minerNode] = await registerMiners(net, [2]);
  sessionId = await openSession(net, 1, { deposit: parseCor("5"), redundancy: 1, maxTokens: 16 });
});
afterAll(async () => {
  await store?.close();
  await net?.stop();
});

/** n Queued tasks assigned to the one miner (R=1). */
const assigned = async (n: number) => {
  const { network } = net.deployment;
  const { tasks } = await submitTasks(net.client(1), {
    network,
    sessionId,
    store,
    tasks: Array.from({ length: n }, (_, i) => ({ prompt: `p${i} ${Math.random()}` })),
  });
  const ids = tasks.map((t) => t.taskId);
  await assignTasks(net.client(1), { network, assignments: ids.map((taskId) => ({ taskId, nodeIds: [minerNode] })) });
  return ids;
};
const minerBatchers = async (windowMs: number) => {
  const clients = await createClients(net.rpcUrl, anvilKey(2) as Hex, net.deployment);
  return createResultBatchers(createTxSender(clients, logger), windowMs, logger);
};
const salt = (i: bigint) => keccak256(toHex(`salt-${i}`));
const commitOf = (taskId: bigint, text: string) => ({
  taskId,
  slot: 0,
  resultHash: contentHash(text),
  tokens: 1,
  salt: salt(taskId),
});
const revealOf = (taskId: bigint, text: string) => ({
  taskId,
  slot: 0,
  resultHash: contentHash(text),
  salt: salt(taskId),
  tokens: 1,
  resultCid: `bafy-${taskId}`,
});

test("commits and reveals ready within the window go out as one commitMany and one revealMany", async () => {
  const { network } = net.deployment;
  const ids = await assigned(3);
  const batch = await minerBatchers(200);
  const commitHashes = await Promise.all(ids.map((id) => batch.commits.add(commitOf(id, "ok"))));
  expect(new Set(commitHashes).size).toBe(1);
  const receipt = await net.publicClient.getTransactionReceipt({ hash: commitHashes[0] });
  expect(receipt.status).toBe("success");
  for (const taskId of ids) expect((await getTask(net.publicClient, { network, taskId })).status).toBe("Revealing");

  // The same reveal asked for twice (after the commit and from the event) rides along once, not reverting the batch.
  const twice = [...ids, ids[0]];
  const revealHashes = await Promise.all(twice.map((id) => batch.reveals.add(revealOf(id, "ok"))));
  expect(new Set(revealHashes).size).toBe(1);
  for (const taskId of ids) expect((await getTask(net.publicClient, { network, taskId })).status).toBe("Finalized");
});

test("a batch with one bad item falls back to single calls: the others land, only the bad one fails", async () => {
  const { network } = net.deployment;
  const ids = await assigned(3);
  const batch = await minerBatchers(200);
  const bad = { ...commitOf(ids[1], "ok"), slot: 1 }; // R=1: slot 1 is nobody's (NotAssigned)
  const outcomes = await Promise.allSettled([
    batch.commits.add(commitOf(ids[0], "ok")),
    batch.commits.add(bad),
    batch.commits.add(commitOf(ids[2], "ok")),
  ]);
  expect(outcomes.map((o) => o.status)).toEqual(["fulfilled", "rejected", "fulfilled"]);
  expect(revertName((outcomes[1] as PromiseRejectedResult).reason)).toBe("NotAssigned");
  const [a, c] = [outcomes[0], outcomes[2]] as PromiseFulfilledResult<Hex>[];
  expect(a.value).not.toBe(c.value); // sent alone after the batch failed
  const statuses = await Promise.all(
    ids.map(async (taskId) => (await getTask(net.publicClient, { network, taskId })).status),
  );
  expect(statuses).toEqual(["Revealing", "Committing", "Revealing"]);
});

test("COR_BATCH_MS=0 sends every item alone", async () => {
  const ids = await assigned(2);
  const batch = await minerBatchers(0);
  const hashes = await Promise.all(ids.map((id) => batch.commits.add(commitOf(id, "ok"))));
  expect(new Set(hashes).size).toBe(2);
});
