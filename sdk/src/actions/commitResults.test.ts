import { afterAll, beforeAll, expect, test } from "vitest";
import { commitmentOf, contentHash } from "../protocol.ts";
import { type CorTestNetwork, setupNetwork, tempContentStore } from "../testing/fixture.ts";
import { openSession, registerMiners } from "../testing/flow.ts";
import { NotAssignedError } from "../utils/slot.ts";
import { parseCor } from "../utils/units.ts";
import { assignTasks } from "./assignTasks.ts";
import { commitResults } from "./commitResults.ts";
import { getTask } from "./getTask.ts";
import { submitTasks } from "./submitTasks.ts";

let net: CorTestNetwork;
let store: Awaited<ReturnType<typeof tempContentStore>>;
let miners: number[];
let taskIds: bigint[];
beforeAll(async () => {
  net = await setupNetwork();
  store = await tempContentStore();
  miners = await registerMiners(net, [2, 3]);
  const sessionId = await openSession(net, 1, { deposit: parseCor("5"), redundancy: 2, maxTokens: 32 });
  const { network } = net.deployment;
  const { tasks } = await submitTasks(net.client(1), {
    network,
    sessionId,
    store,
    tasks: [{ prompt: "a" }, { prompt: "b" }, { prompt: "c" }],
  });
  taskIds = tasks.map((t) => t.taskId);
  await assignTasks(net.client(1), {
    network,
    assignments: [
      { taskId: taskIds[0], nodeIds: miners },
      { taskId: taskIds[1], nodeIds: [miners[1], miners[0]] },
    ],
  });
});
afterAll(async () => {
  await store?.close();
  await net?.stop();
});

test("commitResults commits to several tasks in one transaction, each in the signer's own slot", async () => {
  const { network } = net.deployment;
  const { commits } = await commitResults(net.client(2), {
    network,
    commits: [
      { taskId: taskIds[0], result: "first", tokens: 2 },
      { taskId: taskIds[1], resultHash: contentHash("second"), tokens: 3 },
    ],
  });
  expect(commits.map((c) => c.slot)).toEqual([0, 1]);
  expect(commits[1].commitment).toBe(
    commitmentOf(taskIds[1], net.address(2), contentHash("second"), 3, commits[1].salt),
  );
  expect(commits[0].salt).not.toBe(commits[1].salt);
  expect(commits.map((c) => c.status)).toEqual(["Committing", "Committing"]);
  const t1 = await getTask(net.publicClient, { network, taskId: taskIds[1] });
  expect(t1.slots[1]).toMatchObject({ committed: true, hash: commits[1].commitment });
});

test("the other miner's batch opens the reveal phase of both tasks", async () => {
  const { commits } = await commitResults(net.client(3), {
    network: net.deployment.network,
    commits: [
      { taskId: taskIds[0], result: "first", tokens: 2 },
      { taskId: taskIds[1], result: "second", tokens: 3 },
    ],
  });
  expect(commits.map((c) => c.status)).toEqual(["Revealing", "Revealing"]);
});

test("a task the signer is not on fails the batch before sending; a repeated commit reverts it all", async () => {
  const { network } = net.deployment;
  await expect(
    commitResults(net.client(2), { network, commits: [{ taskId: taskIds[2], result: "x", tokens: 1 }] }),
  ).rejects.toBeInstanceOf(NotAssignedError);
  const err = await commitResults(net.client(2), {
    network,
    commits: [{ taskId: taskIds[0], slot: 0, result: "x", tokens: 1 }],
  }).catch((e) => e);
  expect(err.errorName).toBe("WrongPhase");
});
