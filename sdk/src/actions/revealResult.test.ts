import { afterAll, beforeAll, expect, test } from "vitest";
import { ContractRevertedError } from "../errors/contract.ts";
import { iCorNetworkAbi } from "../generated/abis.ts";
import { contentHash, sessionIdOfTask } from "../protocol.ts";
import { type CorTestNetwork, setupNetwork, tempContentStore } from "../testing/fixture.ts";
import { openSession, registerMiners } from "../testing/flow.ts";
import { parseCor } from "../utils/units.ts";
import { assignTask } from "./assignTask.ts";
import { commitResult } from "./commitResult.ts";
import { getSession } from "./getSession.ts";
import { getTask } from "./getTask.ts";
import { requestExit } from "./requestExit.ts";
import { revealResult } from "./revealResult.ts";
import { submitTask } from "./submitTask.ts";
import { withdrawStake } from "./withdrawStake.ts";

let net: CorTestNetwork;
let store: Awaited<ReturnType<typeof tempContentStore>>;
let miners: number[];
let sessionId: number;
beforeAll(async () => {
  net = await setupNetwork();
  store = await tempContentStore();
  miners = await registerMiners(net, [2, 3]);
  sessionId = await openSession(net, 1, {
    deposit: parseCor("5"),
    redundancy: 2,
    maxTokens: 32,
    pricePerToken: parseCor("0.01"),
  });
});
afterAll(async () => {
  await store?.close();
  await net?.stop();
});

const newTask = async () => {
  const { network } = net.deployment;
  const { taskId } = await submitTask(net.client(1), { network, sessionId, prompt: "tell me", store });
  await assignTask(net.client(1), { network, taskId, nodeIds: miners });
  return taskId;
};

test("a reveal that does not match the commitment reverts with CommitmentMismatch", async () => {
  const { network } = net.deployment;
  const taskId = await newTask();
  const a = await commitResult(net.client(2), { network, taskId, result: "honest", tokens: 3 });
  await commitResult(net.client(3), { network, taskId, result: "honest", tokens: 3 });

  const err = await revealResult(net.client(2), {
    network,
    taskId,
    salt: a.salt,
    result: "changed my mind",
    store,
    tokens: 3,
  }).catch((e) => e);

  expect(err).toBeInstanceOf(ContractRevertedError);
  expect(err.errorName).toBe("CommitmentMismatch");
  expect(err.args).toEqual({ taskId, slot: 0 });
  expect(err.shortMessage).toBe(
    `The reveal of slot 0 of task ${taskId} (session ${sessionIdOfTask(taskId)} #1) does not match its commitment: reveal exactly the resultHash and salt that were committed, from the same account.`,
  );
});

test("reveals settle the task on the fast path when the hashes agree", async () => {
  const { network } = net.deployment;
  const taskId = await newTask();
  const text = "They lived happily ever after.";
  const a = await commitResult(net.client(2), { network, taskId, result: text, tokens: 7 });
  const b = await commitResult(net.client(3), { network, taskId, result: text, tokens: 7 });

  const first = await revealResult(net.client(2), { network, taskId, salt: a.salt, result: text, store, tokens: 7 });
  expect(first.status).toBe("Revealing");
  expect(first.finalized).toBeUndefined();
  const tooMany = await revealResult(net.client(3), {
    network,
    taskId,
    salt: b.salt,
    result: text,
    store,
    tokens: 33,
  }).catch((e) => e);
  // The token count is committed: claiming more than committed is a commitment mismatch.
  expect(tooMany.errorName).toBe("CommitmentMismatch");

  const sessionBefore = await getSession(net.publicClient, { network, sessionId });
  const last = await revealResult(net.client(3), { network, taskId, salt: b.salt, result: text, store, tokens: 7 });

  expect(last.status).toBe("Finalized");
  expect(last.finalized).toMatchObject({ winnerSlot: 0, winnerNodeId: miners[0], resultHash: contentHash(text) });
  // Both accepted miners are paid their tokens × price; the rest of the escrow returns to the session.
  const paid = (7n + 7n) * parseCor("0.01");
  expect(last.finalized?.paid).toBe(paid);
  expect(last.finalized?.refund).toBe(2n * 32n * parseCor("0.01") - paid);
  const sessionAfter = await getSession(net.publicClient, { network, sessionId });
  expect(sessionAfter.deposit).toBe(sessionBefore.deposit + (last.finalized?.refund ?? 0n));
  expect(sessionAfter.escrowed).toBe(sessionBefore.escrowed - 2n * 32n * parseCor("0.01"));
  const task = await getTask(net.publicClient, { network, taskId });
  expect(task).toMatchObject({ status: "Finalized", resultHash: contentHash(text), winnerSlot: 0, escrow: 0n });
});

test("a re-registered account cannot reveal work of its earlier registration (RegistrationChanged)", async () => {
  const { network } = net.deployment;
  // Windows longer than the unstake cooldown, so only the identity check can fail.
  const longSession = await openSession(net, 1, {
    deposit: parseCor("1"),
    redundancy: 2,
    maxTokens: 8,
    windows: { precommit: 7200, reveal: 7200 },
  });
  const { taskId } = await submitTask(net.client(1), { network, sessionId: longSession, prompt: "slow", store });
  // Fresh miners: the others still hold work of earlier tests, which keeps their stake locked.
  const fresh = await registerMiners(net, [5, 6]);
  await assignTask(net.client(1), { network, taskId, nodeIds: fresh });
  const a = await commitResult(net.client(5), { network, taskId, result: "x", tokens: 1 });
  await commitResult(net.client(6), { network, taskId, result: "x", tokens: 1 });
  // Its stake stays locked while it holds work: only a withheld (dropped) slot releases it mid-task. The task stays
  // Revealing because slot 1 is neither revealed nor expired.
  await net.increaseTime(7201);
  const expired = await net.client(1).writeContract({
    address: network,
    abi: iCorNetworkAbi,
    functionName: "expire",
    args: [taskId, 0],
  });
  await net.publicClient.waitForTransactionReceipt({ hash: expired });
  // Miner of slot 0 exits, waits out the cooldown and registers again: a new node id.
  await requestExit(net.client(5), { network });
  await net.increaseTime(3601);
  await withdrawStake(net.client(5), { network });
  const [newId] = await registerMiners(net, [5]);

  const err = await revealResult(net.client(5), {
    network,
    taskId,
    slot: 0,
    salt: a.salt,
    result: "x",
    store,
    tokens: 1,
  }).catch((e) => e);
  expect(err.errorName).toBe("RegistrationChanged");
  expect(err.args).toEqual({ assignedNodeId: fresh[0], currentNodeId: newId });
  expect(err.shortMessage).toBe(
    `This slot was assigned to node ${fresh[0]}, but this account is now node ${newId}: work committed under an earlier registration can never be revealed or paid.`,
  );
});
