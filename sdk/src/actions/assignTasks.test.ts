import { afterAll, beforeAll, expect, test } from "vitest";
import { type CorTestNetwork, setupNetwork, tempContentStore } from "../testing/fixture.ts";
import { openSession, registerMiners } from "../testing/flow.ts";
import { EmptyBatchError } from "../utils/batch.ts";
import { parseCor } from "../utils/units.ts";
import { assignTasks } from "./assignTasks.ts";
import { getTask } from "./getTask.ts";
import { submitTasks } from "./submitTasks.ts";

let net: CorTestNetwork;
let store: Awaited<ReturnType<typeof tempContentStore>>;
let miners: number[];
let sessionId: number;
beforeAll(async () => {
  net = await setupNetwork();
  store = await tempContentStore();
  miners = await registerMiners(net, [2, 3, 4]);
  sessionId = await openSession(net, 1, { deposit: parseCor("5"), redundancy: 2, maxTokens: 16 });
});
afterAll(async () => {
  await store?.close();
  await net?.stop();
});

const queue = async (n: number) => {
  const { tasks } = await submitTasks(net.client(1), {
    network: net.deployment.network,
    sessionId,
    store,
    tasks: Array.from({ length: n }, (_, i) => ({ prompt: `prompt ${i}` })),
  });
  return tasks.map((t) => t.taskId);
};

test("assignTasks fills several queued tasks in one transaction, each with its own miners", async () => {
  const { network } = net.deployment;
  const [a, b] = await queue(2);
  const { tasks } = await assignTasks(net.client(1), {
    network,
    assignments: [
      { taskId: a, nodeIds: [miners[0], miners[1]] },
      { taskId: b, nodeIds: [miners[1], miners[2]] },
    ],
  });
  expect(tasks.map((t) => [t.taskId, t.miners, t.status])).toEqual([
    [a, [miners[0], miners[1]], "Committing"],
    [b, [miners[1], miners[2]], "Committing"],
  ]);
  expect(tasks[0].deadline).toBeGreaterThan(Math.floor(Date.now() / 1000) - 5);
  const onChain = await getTask(net.publicClient, { network, taskId: b });
  expect(onChain.slots.map((s) => s.nodeId)).toEqual([miners[1], miners[2]]);
});

test("all or nothing: an invalid assignment (same miner twice) leaves the valid one queued", async () => {
  const { network } = net.deployment;
  const [a, b] = await queue(2);
  const err = await assignTasks(net.client(1), {
    network,
    assignments: [
      { taskId: a, nodeIds: [miners[0], miners[1]] },
      { taskId: b, nodeIds: [miners[2], miners[2]] },
    ],
  }).catch((e) => e);
  expect(err.errorName).toBe("DuplicateMiner");
  expect((await getTask(net.publicClient, { network, taskId: a })).status).toBe("Queued");
  await expect(assignTasks(net.client(1), { network, assignments: [] })).rejects.toBeInstanceOf(EmptyBatchError);
});
