import { afterAll, beforeAll, expect, test } from "vitest";
import { NotFoundError } from "../errors/task.ts";
import { contentHash } from "../protocol.ts";
import { type CorTestNetwork, setupNetwork, tempContentStore } from "../testing/fixture.ts";
import { openSession, playMiners, registerMiners } from "../testing/flow.ts";
import { parseCor } from "../utils/units.ts";
import { assignTask } from "./assignTask.ts";
import { submitTask } from "./submitTask.ts";
import { verifyResult } from "./verifyResult.ts";

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

test("verifyResult compares any copy of a result with the finalized hash", async () => {
  const { network } = net.deployment;
  const [miner] = await registerMiners(net, [2]);
  const sessionId = await openSession(net, 1, { deposit: parseCor("1"), maxTokens: 16 });
  const { taskId } = await submitTask(net.client(1), { network, sessionId, prompt: "p", store });
  await expect(verifyResult(net.publicClient, { network, taskId, result: "x" })).rejects.toBeInstanceOf(NotFoundError);

  await assignTask(net.client(1), { network, taskId, nodeIds: [miner] });
  await playMiners(net, { taskId, store, miners: [{ index: 2, result: "streamed text", tokens: 2 }] });

  expect(await verifyResult(net.publicClient, { network, taskId, result: "streamed text" })).toEqual({
    valid: true,
    expectedHash: contentHash("streamed text"),
    actualHash: contentHash("streamed text"),
  });
  const bytes = new TextEncoder().encode("streamed text");
  expect((await verifyResult(net.publicClient, { network, taskId, result: bytes })).valid).toBe(true);
  const tampered = await verifyResult(net.publicClient, { network, taskId, result: "streamed text!" });
  expect(tampered.valid).toBe(false);
  expect(tampered.actualHash).toBe(contentHash("streamed text!"));
});
