import { afterAll, beforeAll, expect, test } from "vitest";
import { NotFoundError } from "../errors/task.ts";
import { taskIdOf } from "../protocol.ts";
import { type CorTestNetwork, setupNetwork, tempContentStore } from "../testing/fixture.ts";
import { openSession, registerMiners } from "../testing/flow.ts";
import { TaskStatus } from "../utils/enums.ts";
import { parseCor } from "../utils/units.ts";
import { assignTask } from "./assignTask.ts";
import { commitResult } from "./commitResult.ts";
import { getRawTask } from "./getRawTask.ts";
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

test("getRawTask returns the task view as the contract does: status number, slot arrays, bit masks", async () => {
  const { network } = net.deployment;
  const miners = await registerMiners(net, [2, 3]);
  const sessionId = await openSession(net, 1, { deposit: parseCor("1"), redundancy: 2, maxTokens: 20 });
  const { taskId } = await submitTask(net.client(1), { network, sessionId, prompt: "p", store });
  expect(await getRawTask(net.publicClient, { network, taskId })).toMatchObject({
    sessionId,
    status: TaskStatus.Queued,
    maxTokens: 20,
    miners: [0, 0], // R vacant slots
    committedMask: 0,
  });
  await assignTask(net.client(1), { network, taskId, nodeIds: miners });
  await commitResult(net.client(3), { network, taskId, result: "r", tokens: 1 });
  const raw = await getRawTask(net.publicClient, { network, taskId });
  expect(raw).toMatchObject({ status: TaskStatus.Committing, miners, committedMask: 0b10, revealedMask: 0 });
  expect(raw.hashes).toHaveLength(2);
});

test("an unknown task is a NotFoundError", async () => {
  await expect(
    getRawTask(net.publicClient, { network: net.deployment.network, taskId: taskIdOf(9, 1) }),
  ).rejects.toThrow(NotFoundError);
});
