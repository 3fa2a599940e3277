import { afterAll, beforeAll, expect, test } from "vitest";
import { contentHash } from "../protocol.ts";
import { type CorTestNetwork, setupNetwork, tempContentStore } from "../testing/fixture.ts";
import { openSession } from "../testing/flow.ts";
import { EmptyBatchError, StoreRequiredError } from "../utils/batch.ts";
import { parseCor } from "../utils/units.ts";
import { getSession } from "./getSession.ts";
import { getTask } from "./getTask.ts";
import { submitTasks } from "./submitTasks.ts";

let net: CorTestNetwork;
let store: Awaited<ReturnType<typeof tempContentStore>>;
let sessionId: number;
beforeAll(async () => {
  net = await setupNetwork();
  store = await tempContentStore();
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

test("submitTasks submits several tasks in one transaction, in item order, with their own escrow", async () => {
  const { network } = net.deployment;
  const before = await getSession(net.publicClient, { network, sessionId });
  const uploaded = await store.add(new TextEncoder().encode("pre-uploaded"));
  const { tasks, hash } = await submitTasks(net.client(1), {
    network,
    sessionId,
    store,
    tasks: [
      { prompt: "one" },
      { prompt: "two", maxTokens: 8 },
      { promptCid: uploaded.cid, promptHash: contentHash("pre-uploaded") },
    ],
  });

  expect(tasks.map((t) => t.taskId - tasks[0].taskId)).toEqual([0n, 1n, 2n]);
  expect(tasks.map((t) => t.maxTokens)).toEqual([32, 8, 32]);
  expect(tasks.map((t) => t.escrow)).toEqual([parseCor("0.64"), parseCor("0.16"), parseCor("0.64")]);
  expect(tasks[0].promptHash).toBe(contentHash("one"));
  expect(tasks[2].promptCid).toBe(uploaded.cid);
  expect(tasks.every((t) => t.status === "Queued")).toBe(true);
  const receipt = await net.publicClient.getTransactionReceipt({ hash });
  expect(receipt.logs.filter((l) => l.address.toLowerCase() === network.toLowerCase()).length).toBeGreaterThanOrEqual(
    3,
  );
  for (const t of tasks) {
    const onChain = await getTask(net.publicClient, { network, taskId: t.taskId });
    expect(onChain.status).toBe("Queued");
    expect(onChain.maxTokens).toBe(t.maxTokens);
  }
  const after = await getSession(net.publicClient, { network, sessionId });
  expect(before.deposit - after.deposit).toBe(parseCor("1.44"));
});

test("one bad item reverts the whole batch: nothing is submitted", async () => {
  const { network } = net.deployment;
  const before = await getSession(net.publicClient, { network, sessionId });
  const err = await submitTasks(net.client(1), {
    network,
    sessionId,
    store,
    tasks: [{ prompt: "fine" }, { prompt: "too long", maxTokens: 33 }],
  }).catch((e) => e);
  expect(err.errorName).toBe("InvalidMaxTokens");
  const after = await getSession(net.publicClient, { network, sessionId });
  expect(after.taskCount).toBe(before.taskCount);
  expect(after.deposit).toBe(before.deposit);
});

test("an empty batch, or a prompt without a store, fails before any transaction", async () => {
  const { network } = net.deployment;
  await expect(submitTasks(net.client(1), { network, sessionId, tasks: [] })).rejects.toBeInstanceOf(EmptyBatchError);
  await expect(submitTasks(net.client(1), { network, sessionId, tasks: [{ prompt: "x" }] })).rejects.toBeInstanceOf(
    StoreRequiredError,
  );
});
