import { afterAll, beforeAll, expect, test } from "vitest";
import { NotFoundError } from "../errors/task.ts";
import { type CorTestNetwork, setupNetwork, tempContentStore } from "../testing/fixture.ts";
import { openSession, playMiners, registerMiners } from "../testing/flow.ts";
import { parseCor } from "../utils/units.ts";
import { assignTask } from "./assignTask.ts";
import { fetchResult } from "./fetchResult.ts";
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

test("fetchResult returns the verified result of a finalized task, and NotFoundError before", async () => {
  const { network } = net.deployment;
  const [miner] = await registerMiners(net, [2]);
  const sessionId = await openSession(net, 1, { deposit: parseCor("1"), maxTokens: 16 });
  const { taskId, blockNumber } = await submitTask(net.client(1), { network, sessionId, prompt: "p", store });

  const early = await fetchResult(net.publicClient, { network, taskId, store, fromBlock: blockNumber }).catch((e) => e);
  expect(early).toBeInstanceOf(NotFoundError);
  expect(early.details).toBe(`task ${taskId} is Queued: no result yet`);

  await assignTask(net.client(1), { network, taskId, nodeIds: [miner] });
  await playMiners(net, { taskId, store, miners: [{ index: 2, result: "bytes \u2603 with unicode", tokens: 5 }] });

  const result = await fetchResult(net.publicClient, { network, taskId, store, fromBlock: blockNumber });
  expect(result.text).toBe("bytes \u2603 with unicode");
  expect(result.tokens).toBe(5);
  // Without fromBlock it searches from genesis.
  expect((await fetchResult(net.publicClient, { network, taskId, store })).resultCid).toBe(result.resultCid);
});
