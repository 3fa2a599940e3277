import { afterAll, beforeAll, expect, test } from "vitest";
import { type CorTestNetwork, setupNetwork, tempContentStore } from "../testing/fixture.ts";
import { openSession, registerMiners } from "../testing/flow.ts";
import { parseCor } from "../utils/units.ts";
import { assignTask } from "./assignTask.ts";
import { getTask } from "./getTask.ts";
import { submitTask } from "./submitTask.ts";

let net: CorTestNetwork;
let store: Awaited<ReturnType<typeof tempContentStore>>;
let miners: number[];
let sessionId: number;
beforeAll(async () => {
  net = await setupNetwork();
  store = await tempContentStore();
  miners = await registerMiners(net, [2, 3, 4]);
  sessionId = await openSession(net, 1, { deposit: parseCor("5"), redundancy: 2, maxTokens: 32 });
});
afterAll(async () => {
  await store?.close();
  await net?.stop();
});

test("the session owner assigns one miner per slot", async () => {
  const { network } = net.deployment;
  const { taskId } = await submitTask(net.client(1), { network, sessionId, prompt: "assign me", store });

  const assigned = await assignTask(net.client(1), { network, taskId, nodeIds: [miners[0], miners[2]] });

  expect(assigned.miners).toEqual([miners[0], miners[2]]);
  expect(assigned.status).toBe("Committing");
  const task = await getTask(net.publicClient, { network, taskId });
  expect(task.status).toBe("Committing");
  expect(task.deadline).toBe(assigned.deadline);
  expect(task.slots.map((s) => s.nodeId)).toEqual([miners[0], miners[2]]);
});

test("wrong assignments revert with decoded errors", async () => {
  const { network } = net.deployment;
  const { taskId } = await submitTask(net.client(1), { network, sessionId, prompt: "again", store });
  const client = net.client(1);

  const duplicate = await assignTask(client, { network, taskId, nodeIds: [miners[0], miners[0]] }).catch((e) => e);
  expect(duplicate.errorName).toBe("DuplicateMiner");
  expect(duplicate.shortMessage).toBe(`Node ${miners[0]} is already on this task: a task's miners are distinct.`);

  const count = await assignTask(client, { network, taskId, nodeIds: [miners[0]] }).catch((e) => e);
  expect(count.errorName).toBe("AssignmentCountMismatch");

  const stranger = await assignTask(net.client(9), { network, taskId, nodeIds: miners.slice(0, 2) }).catch((e) => e);
  expect(stranger.errorName).toBe("NotSessionRouter");

  const notEligible = await assignTask(client, { network, taskId, nodeIds: [miners[0], 77] }).catch((e) => e);
  expect(notEligible.errorName).toBe("NodeNotEligible");
});
