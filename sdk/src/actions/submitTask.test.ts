import { afterAll, beforeAll, expect, test } from "vitest";
import { ContractRevertedError, isContractError } from "../errors/contract.ts";
import { contentHash, taskIdOf } from "../protocol.ts";
import { computeCid } from "../storage/index.ts";
import { type CorTestNetwork, setupNetwork, tempContentStore } from "../testing/fixture.ts";
import { openSession, registerMiners } from "../testing/flow.ts";
import { parseCor } from "../utils/units.ts";
import { getSession } from "./getSession.ts";
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

test("submitTask stores the prompt, commits to its hash and escrows R × maxTokens × price", async () => {
  const { network } = net.deployment;
  const sessionId = await openSession(net, 1, {
    deposit: parseCor("10"),
    redundancy: 3,
    pricePerToken: parseCor("0.002"),
    maxTokens: 200,
  });
  const prompt = "Once upon a time, there was a tiny robot";
  const networkBefore = await net.balanceOf(network);

  const submitted = await submitTask(net.client(1), { network, sessionId, prompt, store, maxTokens: 150 });

  expect(submitted.taskId).toBe(taskIdOf(sessionId, 1));
  expect(submitted.promptHash).toBe(contentHash(prompt));
  expect(submitted.promptCid).toBe(await computeCid(prompt));
  expect(submitted.escrow).toBe(parseCor("0.9")); // 3 × 150 × 0.002
  expect(submitted.status).toBe("Queued");
  expect(submitted.maxTokens).toBe(150);
  expect(new TextDecoder().decode(await store.get(submitted.promptCid))).toBe(prompt);
  // Escrow moves inside the network: its token balance does not change.
  expect(await net.balanceOf(network)).toBe(networkBefore);
  expect(await getSession(net.publicClient, { network, sessionId })).toMatchObject({
    deposit: parseCor("9.1"),
    escrowed: parseCor("0.9"),
    taskCount: 1,
  });
  const task = await getTask(net.publicClient, { network, taskId: submitted.taskId });
  expect(task).toMatchObject({ status: "Queued", sessionId, index: 1, maxTokens: 150, escrow: parseCor("0.9") });
});

test("maxTokens defaults to the session's cap; a prompt may be passed as an existing CID + hash", async () => {
  const { network } = net.deployment;
  const bytes = new Uint8Array([1, 2, 3, 4]);
  const { cid } = await store.add(bytes);
  const submitted = await submitTask(net.client(1), {
    network,
    sessionId: 1,
    promptCid: cid,
    promptHash: contentHash(bytes),
  });
  expect(submitted.maxTokens).toBe(200);
  expect(submitted.escrow).toBe(parseCor("1.2"));
  expect(submitted.taskId).toBe(taskIdOf(1, 2));
});

test("a task the session cannot pay for reverts with InsufficientDeposit and says how much is missing", async () => {
  const { network } = net.deployment;
  const sessionId = await openSession(net, 2, {
    deposit: parseCor("0.5"),
    redundancy: 3,
    pricePerToken: parseCor("0.004"),
    maxTokens: 100,
  });
  const err = await submitTask(net.client(2), { network, sessionId, prompt: "too expensive", store }).catch((e) => e);
  expect(err).toBeInstanceOf(ContractRevertedError);
  expect(isContractError(err, "InsufficientDeposit")).toBe(true);
  expect(err.args).toEqual({ available: parseCor("0.5"), required: parseCor("1.2") });
  expect(err.shortMessage).toBe(
    `Session ${sessionId} has 0.5 COR free but the task needs 1.2 COR: top up with deposit()`,
  );
  expect(err.message).toContain("depositToSession(client, { network, sessionId: 2, amount })");
  expect(err.message).toContain(
    "Error: InsufficientDeposit(available: 500000000000000000, required: 1200000000000000000)",
  );
});

test("a stranger's submission reverts with NotAuthorizedSubmitter", async () => {
  const err = await submitTask(net.client(5), {
    network: net.deployment.network,
    sessionId: 1,
    prompt: "let me in",
    store,
  }).catch((e) => e);
  expect(err.name).toBe("ContractRevertedError");
  expect(err.errorName).toBe("NotAuthorizedSubmitter");
  expect(err.shortMessage).toBe(
    `${net.address(5)} may not submit tasks to session 1: only its owner or an authorized submitter can.`,
  );
});

test("maxTokens above the session's cap reverts with InvalidMaxTokens", async () => {
  const err = await submitTask(net.client(1), {
    network: net.deployment.network,
    sessionId: 1,
    prompt: "long",
    store,
    maxTokens: 201,
  }).catch((e) => e);
  expect(err.errorName).toBe("InvalidMaxTokens");
  expect(err.shortMessage).toBe("maxTokens 201 is not allowed: a task may ask for 1 up to the session's maxTokens.");
});

test("a Dedicated session assigns at submit", async () => {
  const { network } = net.deployment;
  const miners = await registerMiners(net, [6, 7]);
  const sessionId = await openSession(net, 3, {
    deposit: parseCor("1"),
    redundancy: 2,
    assignment: "Dedicated",
    dedicatedMiners: miners,
  });
  const submitted = await submitTask(net.client(3), { network, sessionId, prompt: "dedicated", store, maxTokens: 10 });
  expect(submitted.status).toBe("Committing");
  const task = await getTask(net.publicClient, { network, taskId: submitted.taskId });
  expect(task.slots.map((s) => s.nodeId)).toEqual(miners);
});
