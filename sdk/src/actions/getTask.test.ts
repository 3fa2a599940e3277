import { afterAll, beforeAll, expect, test } from "vitest";
import { NotFoundError } from "../errors/task.ts";
import { contentHash, taskIdOf } from "../protocol.ts";
import { type CorTestNetwork, setupNetwork, tempContentStore } from "../testing/fixture.ts";
import { openSession, playMiners, registerMiners } from "../testing/flow.ts";
import { parseCor } from "../utils/units.ts";
import { assignTask } from "./assignTask.ts";
import { commitResult } from "./commitResult.ts";
import { getTask } from "./getTask.ts";
import { submitTask } from "./submitTask.ts";

let net: CorTestNetwork;
let store: Awaited<ReturnType<typeof tempContentStore>>;
beforeAll(async () => {
  net = await setupNetwork();
  store = await tempContentStore();
});
afterAll(async () => {
  await store?.close();
  await net?.stop();
});

test("getTask decodes the slot table through the whole lifecycle", async () => {
  const { network } = net.deployment;
  const miners = await registerMiners(net, [2, 3]);
  const sessionId = await openSession(net, 1, {
    deposit: parseCor("1"),
    redundancy: 2,
    maxTokens: 20,
    pricePerToken: parseCor("0.001"),
  });
  const { taskId } = await submitTask(net.client(1), { network, sessionId, prompt: "p", store });
  expect(taskId).toBe(taskIdOf(sessionId, 1));

  let task = await getTask(net.publicClient, { network, taskId });
  expect(task).toMatchObject({
    taskId,
    sessionId,
    index: 1,
    status: "Queued",
    retries: 0,
    maxTokens: 20,
    resultHash: undefined,
    winnerNodeId: undefined,
    escrow: parseCor("0.04"),
  });
  expect(task.slots.map((s) => s.nodeId)).toEqual([0, 0]);

  await assignTask(net.client(1), { network, taskId, nodeIds: miners });
  const { commitment } = await commitResult(net.client(3), { network, taskId, result: "a", slot: 1, tokens: 1 });
  task = await getTask(net.publicClient, { network, taskId });
  expect(task.status).toBe("Committing");
  expect(task.slots[1]).toMatchObject({ nodeId: miners[1], committed: true, revealed: false, hash: commitment });
  expect(task.slots[0]).toMatchObject({ nodeId: miners[0], committed: false });

  const { taskId: second } = await submitTask(net.client(1), { network, sessionId, prompt: "q", store });
  await assignTask(net.client(1), { network, taskId: second, nodeIds: miners });
  await playMiners(net, {
    taskId: second,
    store,
    miners: [
      { index: 2, result: "done", tokens: 3 },
      { index: 3, result: "done", tokens: 3 },
    ],
  });
  task = await getTask(net.publicClient, { network, taskId: second });
  expect(task).toMatchObject({
    status: "Finalized",
    resultHash: contentHash("done"),
    winnerNodeId: miners[0],
    winnerSlot: 0,
    escrow: 0n,
  });
  expect(task.slots.map((s) => [s.revealed, s.tokens])).toEqual([
    [true, 3],
    [true, 3],
  ]);
  expect(task.slots.map((s) => s.hash)).toEqual([contentHash("done"), contentHash("done")]);
});

test("an unknown task is a NotFoundError", async () => {
  const err = await getTask(net.publicClient, { network: net.deployment.network, taskId: taskIdOf(42, 1) }).catch(
    (e) => e,
  );
  expect(err).toBeInstanceOf(NotFoundError);
  expect(err.shortMessage).toBe(`Task ${taskIdOf(42, 1)} was not found.`);
});
