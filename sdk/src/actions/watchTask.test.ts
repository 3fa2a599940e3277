import { afterAll, beforeAll, expect, test } from "vitest";
import { type CorTestNetwork, setupNetwork, tempContentStore } from "../testing/fixture.ts";
import { openSession, playMiners, registerMiners } from "../testing/flow.ts";
import type { TaskStatusName } from "../utils/enums.ts";
import { parseCor } from "../utils/units.ts";
import { assignTask } from "./assignTask.ts";
import { submitTask } from "./submitTask.ts";
import { type TaskTimelineEvent, watchTask } from "./watchTask.ts";

let net: CorTestNetwork;
let store: Awaited<ReturnType<typeof tempContentStore>>;
let miners: number[];
let sessionId: number;
beforeAll(async () => {
  net = await setupNetwork();
  store = await tempContentStore();
  miners = await registerMiners(net, [2, 3]);
  sessionId = await openSession(net, 1, { deposit: parseCor("1"), redundancy: 2, maxTokens: 16 });
});
afterAll(async () => {
  await store?.close();
  await net?.stop();
});

test("watchTask reports the live timeline of a task and stops when it settles", async () => {
  const { network } = net.deployment;
  const { taskId } = await submitTask(net.client(1), { network, sessionId, prompt: "watch me", store });
  const events: TaskTimelineEvent[] = [];
  const statuses: TaskStatusName[] = [];
  let unwatch = () => {};
  let started: () => void = () => {};
  const ready = new Promise<void>((r) => {
    started = r;
  });
  const done = new Promise<"Finalized" | "Failed">((resolve, reject) => {
    unwatch = watchTask(net.publicClient, {
      network,
      taskId,
      pollingInterval: 50,
      onEvent: (e) => events.push(e),
      onStatus: (s) => {
        statuses.push(s);
        started();
      },
      onSettled: resolve,
      onError: reject,
    });
  });
  await ready; // the first status is the task's as of the block watching starts from

  await assignTask(net.client(1), { network, taskId, nodeIds: miners });
  await playMiners(net, {
    taskId,
    store,
    miners: [
      { index: 2, result: "same", tokens: 1 },
      { index: 3, result: "same", tokens: 1 },
    ],
  });

  expect(await done).toBe("Finalized");
  unwatch();
  expect(statuses).toEqual(["Queued", "Committing", "Revealing", "Finalized"]);
  expect(events.map((e) => e.eventName)).toEqual([
    "TaskAssigned",
    "TaskCommitted",
    "TaskCommitted",
    "TaskPhaseChanged",
    "TaskRevealed",
    "TaskRevealed",
    "WorkSettled",
    "WorkSettled",
    "TaskFinalized",
  ]);
});

test("with fromBlock it replays the past timeline first, exactly once", async () => {
  const { network } = net.deployment;
  const { taskId, blockNumber } = await submitTask(net.client(1), { network, sessionId, prompt: "replay", store });
  await assignTask(net.client(1), { network, taskId, nodeIds: miners });
  await playMiners(net, {
    taskId,
    store,
    miners: [
      { index: 2, result: "r", tokens: 1 },
      { index: 3, result: "r", tokens: 1 },
    ],
  });
  const events: TaskTimelineEvent[] = [];
  const statuses: TaskStatusName[] = [];
  const status = await new Promise((resolve, reject) => {
    watchTask(net.publicClient, {
      network,
      taskId,
      fromBlock: blockNumber,
      pollingInterval: 50,
      onEvent: (e) => events.push(e),
      onStatus: (s) => statuses.push(s),
      onSettled: resolve,
      onError: reject,
    });
  });
  expect(status).toBe("Finalized");
  expect(events[0].eventName).toBe("TaskSubmitted");
  expect(events.at(-1)?.eventName).toBe("TaskFinalized");
  expect(new Set(events.map((e) => `${e.blockNumber}:${e.logIndex}`)).size).toBe(events.length);
  expect(statuses).toEqual(["Queued", "Committing", "Revealing", "Finalized"]);
});
