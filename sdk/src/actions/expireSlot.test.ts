import { afterAll, beforeAll, expect, test } from "vitest";
import { isContractError } from "../errors/contract.ts";
import { type CorTestNetwork, setupNetwork, tempContentStore } from "../testing/fixture.ts";
import { openSession, registerMiners, runTask } from "../testing/flow.ts";
import { parseCor } from "../utils/units.ts";
import { commitResult } from "./commitResult.ts";
import { expireSlot } from "./expireSlot.ts";
import { getNode } from "./getNode.ts";
import { getTask } from "./getTask.ts";
import { revealResult } from "./revealResult.ts";
import { submitTask } from "./submitTask.ts";

let net: CorTestNetwork;
let store: Awaited<ReturnType<typeof tempContentStore>>;
let miners: number[];
const precommit = 30;
beforeAll(async () => {
  net = await setupNetwork();
  store = await tempContentStore();
  miners = await registerMiners(net, [2, 3]);
});
afterAll(async () => {
  await store?.close();
  await net?.stop();
});

test("expiring a late committer vacates its slot and requeues the task", async () => {
  const { network } = net.deployment;
  const sessionId = await openSession(net, 1, {
    deposit: parseCor("1"),
    redundancy: 2,
    maxTokens: 16,
    windows: { precommit },
  });
  const { taskId } = await runTask(net, { owner: 1, sessionId, miners, store });

  const early = await expireSlot(net.client(5), { network, taskId, slot: 0 }).catch((e) => e);
  expect(isContractError(early, "DeadlineNotPassed")).toBe(true);
  expect(early.retryable).toBe(true);

  await net.increaseTime(precommit + 1);
  const scoreBefore = (await getNode(net.publicClient, { network, nodeId: miners[0] })).score;
  const { expired, status, failed } = await expireSlot(net.client(5), { network, taskId, slot: 0 });
  expect(expired).toEqual({ nodeId: miners[0], phase: "Committing", retries: 1 });
  expect(status).toBe("Queued");
  expect(failed).toBeUndefined();
  const task = await getTask(net.publicClient, { network, taskId });
  expect(task.status).toBe("Queued");
  expect(task.slots.map((s) => s.nodeId)).toEqual([0, miners[1]]);
  expect((await getNode(net.publicClient, { network, nodeId: miners[0] })).score).toBeLessThan(scoreBefore);

  const again = await expireSlot(net.client(5), { network, taskId, slot: 2 }).catch((e) => e);
  expect(isContractError(again, "InvalidSlot")).toBe(true);
});

test("an expiry past the retry limit fails the task with RetriesExhausted", async () => {
  const { network } = net.deployment;
  const sessionId = await openSession(net, 1, {
    deposit: parseCor("1"),
    redundancy: 2,
    maxTokens: 16,
    retryLimit: 0,
    windows: { precommit },
  });
  const { taskId } = await runTask(net, { owner: 1, sessionId, miners, store });
  await net.increaseTime(precommit + 1);
  const { expired, status, failed } = await expireSlot(net.client(5), { network, taskId, slot: 1 });
  expect(expired).toMatchObject({ nodeId: miners[1], phase: "Committing", retries: 0 });
  expect(status).toBe("Failed");
  expect(failed?.reason).toBe("RetriesExhausted");
  expect(failed?.refund).toBeGreaterThan(0n);
});

test("expiring a slot nobody took fails the task with NoMiners (no miner to blame)", async () => {
  const { network } = net.deployment;
  const sessionId = await openSession(net, 1, { deposit: parseCor("1"), maxTokens: 16, windows: { precommit } });
  const { taskId } = await submitTask(net.client(1), { network, sessionId, prompt: "Once upon a time", store });
  await net.increaseTime(precommit + 1);
  const { expired, status, failed } = await expireSlot(net.client(5), { network, taskId, slot: 0 });
  expect(expired).toBeUndefined();
  expect(status).toBe("Failed");
  expect(failed?.reason).toBe("NoMiners");
});

test("expiring a late revealer drops and slashes it; the other reveal then settles the task", async () => {
  const { network } = net.deployment;
  const reveal = 30;
  const [a, b] = await registerMiners(net, [6, 7]); // fresh miners: the first tests cost the others reputation
  const sessionId = await openSession(net, 1, {
    deposit: parseCor("1"),
    redundancy: 2,
    maxTokens: 16,
    windows: { precommit, reveal },
  });
  const { taskId } = await runTask(net, { owner: 1, sessionId, miners: [a, b], store });
  const [first, second] = [
    await commitResult(net.client(6), { network, taskId, result: "same", tokens: 1 }),
    await commitResult(net.client(7), { network, taskId, result: "same", tokens: 1 }),
  ];
  expect(second.status).toBe("Revealing");
  await revealResult(net.client(6), { network, taskId, salt: first.salt, result: "same", tokens: 1, store });
  await net.increaseTime(reveal + 1);
  const stakeBefore = (await getNode(net.publicClient, { network, nodeId: b })).stake;

  const { expired, status, finalized } = await expireSlot(net.client(5), { network, taskId, slot: 1 });
  expect(expired).toMatchObject({ nodeId: b, phase: "Revealing" });
  expect(status).toBe("Finalized");
  expect(finalized).toMatchObject({ winnerSlot: 0, winnerNodeId: a });
  expect((await getNode(net.publicClient, { network, nodeId: b })).stake).toBeLessThan(stakeBefore);
});
