import { afterAll, beforeAll, expect, test } from "vitest";
import { isContractError } from "../errors/contract.ts";
import { contentHash } from "../protocol.ts";
import { type CorTestNetwork, setupNetwork, tempContentStore } from "../testing/fixture.ts";
import { openSession, registerMiners, submitAssigned } from "../testing/flow.ts";
import { EmptyBatchError } from "../utils/batch.ts";
import { parseCor } from "../utils/units.ts";
import { commitResultsRoot } from "./commitResultsRoot.ts";
import { getTask } from "./getTask.ts";
import { revealResultsRoot } from "./revealResultsRoot.ts";

let net: CorTestNetwork;
let store: Awaited<ReturnType<typeof tempContentStore>>;
let miner: number;
let sessionId: number;
beforeAll(async () => {
  net = await setupNetwork();
  store = await tempContentStore();
  [miner] = await registerMiners(net, [2]);
  sessionId = await openSession(net, 1, { deposit: parseCor("2"), maxTokens: 16 });
});
afterAll(async () => {
  await store?.close();
  await net?.stop();
});

/** `n` tasks of the R=1 session, each assigned to the miner (anvil account 2). */
const assigned = (n: number) =>
  submitAssigned(net, {
    sessionId,
    store,
    prompts: Array.from({ length: n }, (_, i) => `prompt ${i}`),
    miners: [miner],
  });

test("commitResultsRoot commits three slots under one root; revealResultsRoot reveals them in two calls", async () => {
  const { network } = net.deployment;
  const taskIds = await assigned(3);
  const texts = taskIds.map((_, k) => `result ${k}`);
  const { batch, commits } = await commitResultsRoot(net.client(2), {
    network,
    commits: taskIds.map((taskId, k) => ({ taskId, result: texts[k], tokens: 2 + k })),
  });
  expect(batch.taskIds).toEqual(taskIds);
  expect(commits.map((c) => [c.slot, c.status])).toEqual([
    [0, "Revealing"],
    [0, "Revealing"],
    [0, "Revealing"],
  ]);
  const cids = await Promise.all(texts.map(async (t) => (await store.add(t)).cid));

  const first = await revealResultsRoot(net.client(2), { network, batch, cids, indexes: [2, 0] });
  expect(first.reveals.map((r) => [r.taskId, r.status])).toEqual([
    [taskIds[0], "Finalized"],
    [taskIds[2], "Finalized"],
  ]);
  expect(first.reveals[0].finalized?.resultHash).toBe(contentHash(texts[0]));
  expect((await getTask(net.publicClient, { network, taskId: taskIds[1] })).status).toBe("Revealing");

  const second = await revealResultsRoot(net.client(2), { network, batch, cids, indexes: [1] });
  expect(second.reveals).toMatchObject([{ taskId: taskIds[1], status: "Finalized" }]);
  const task = await getTask(net.publicClient, { network, taskId: taskIds[1] });
  expect(task.resultHash).toBe(contentHash(texts[1]));
  expect(task.slots[0].tokens).toBe(3);
});

test("a tampered reveal is RootMismatch, a foreign root RootNotCommitted; bad input fails before any transaction", async () => {
  const { network } = net.deployment;
  const taskIds = await assigned(2);
  const { batch } = await commitResultsRoot(net.client(2), {
    network,
    commits: taskIds.map((taskId) => ({ taskId, result: "same text", tokens: 3 })),
  });
  const cids = [(await store.add("same text")).cid, (await store.add("same text")).cid];
  const tampered = { ...batch, entries: batch.entries.map((e) => ({ ...e, tokens: e.tokens + 1 })) };
  const mismatch = await revealResultsRoot(net.client(2), { network, batch: tampered, cids }).catch((e) => e);
  expect(isContractError(mismatch, "RootMismatch")).toBe(true);
  const stranger = await revealResultsRoot(net.client(3), { network, batch, cids }).catch((e) => e);
  expect(isContractError(stranger, "RootNotCommitted")).toBe(true);

  await expect(revealResultsRoot(net.client(2), { network, batch, cids, indexes: [5] })).rejects.toThrow("no entry 5");
  await expect(commitResultsRoot(net.client(2), { network, commits: [] })).rejects.toBeInstanceOf(EmptyBatchError);
  const { reveals } = await revealResultsRoot(net.client(2), { network, batch, cids });
  expect(reveals.map((r) => r.status)).toEqual(["Finalized", "Finalized"]);
});
