import { afterAll, beforeAll, expect, test } from "vitest";
import { commitmentOf, contentHash } from "../protocol.ts";
import { type CorTestNetwork, setupNetwork, tempContentStore } from "../testing/fixture.ts";
import { openSession, registerMiners } from "../testing/flow.ts";
import { NotAssignedError } from "../utils/slot.ts";
import { parseCor } from "../utils/units.ts";
import { assignTask } from "./assignTask.ts";
import { commitResult } from "./commitResult.ts";
import { getTask } from "./getTask.ts";
import { submitTask } from "./submitTask.ts";

let net: CorTestNetwork;
let store: Awaited<ReturnType<typeof tempContentStore>>;
let miners: number[];
let taskId: bigint;
beforeAll(async () => {
  net = await setupNetwork();
  store = await tempContentStore();
  miners = await registerMiners(net, [2, 3]);
  const sessionId = await openSession(net, 1, { deposit: parseCor("5"), redundancy: 2, maxTokens: 32 });
  ({ taskId } = await submitTask(net.client(1), { network: net.deployment.network, sessionId, prompt: "hi", store }));
  await assignTask(net.client(1), { network: net.deployment.network, taskId, nodeIds: miners });
});
afterAll(async () => {
  await store?.close();
  await net?.stop();
});

test("commitResult finds the miner's slot, binds the miner address and keeps the salt", async () => {
  const { network } = net.deployment;
  const committed = await commitResult(net.client(3), { network, taskId, result: "The end.", tokens: 3 });

  expect(committed.slot).toBe(1);
  expect(committed.resultHash).toBe(contentHash("The end."));
  expect(committed.salt).toMatch(/^0x[0-9a-f]{64}$/);
  expect(committed.commitment).toBe(commitmentOf(taskId, net.address(3), committed.resultHash, 3, committed.salt));
  expect(committed.status).toBe("Committing");
  const task = await getTask(net.publicClient, { network, taskId });
  expect(task.slots[1]).toMatchObject({ committed: true, hash: committed.commitment });
});

test("the last commit opens the reveal phase", async () => {
  const committed = await commitResult(net.client(2), {
    network: net.deployment.network,
    taskId,
    resultHash: contentHash("The end."),
    tokens: 3,
  });
  expect(committed.slot).toBe(0);
  expect(committed.status).toBe("Revealing");
});

test("an account that is not on the task gets NotAssignedError; a second commit AlreadyCommitted", async () => {
  const { network } = net.deployment;
  await expect(commitResult(net.client(4), { network, taskId, result: "x", tokens: 1 })).rejects.toBeInstanceOf(
    NotAssignedError,
  );
  const again = await commitResult(net.client(2), { network, taskId, slot: 0, result: "x", tokens: 1 }).catch((e) => e);
  expect(again.errorName).toBe("WrongPhase");
  expect(again.shortMessage).toContain("is Revealing, so commit is not allowed: the precommit phase is over.");
});
