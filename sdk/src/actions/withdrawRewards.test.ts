import { afterAll, beforeAll, expect, test } from "vitest";
import { type CorTestNetwork, setupNetwork, tempContentStore } from "../testing/fixture.ts";
import { openSession, playMiners, registerMiners } from "../testing/flow.ts";
import { parseCor } from "../utils/units.ts";
import { assignTask } from "./assignTask.ts";
import { getNode } from "./getNode.ts";
import { submitTask } from "./submitTask.ts";
import { withdrawRewards } from "./withdrawRewards.ts";

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

test("a miner pulls exactly its credited rewards; a second pull has nothing to withdraw", async () => {
  const { network } = net.deployment;
  const [miner] = await registerMiners(net, [2]);
  const sessionId = await openSession(net, 1, {
    deposit: parseCor("1"),
    maxTokens: 50,
    pricePerToken: parseCor("0.01"),
  });
  const { taskId } = await submitTask(net.client(1), { network, sessionId, prompt: "earn", store });
  await assignTask(net.client(1), { network, taskId, nodeIds: [miner] });
  await playMiners(net, { taskId, store, miners: [{ index: 2, result: "paid work", tokens: 40 }] });

  const credited = (await getNode(net.publicClient, { network, nodeId: miner })).rewards;
  expect(credited).toBe((40n * parseCor("0.01") * 9800n) / 10000n);
  const before = await net.balanceOf(2);

  const { nodeId, amount } = await withdrawRewards(net.client(2), { network });

  expect(nodeId).toBe(miner);
  expect(amount).toBe(credited);
  expect(await net.balanceOf(2)).toBe(before + credited);
  expect((await getNode(net.publicClient, { network, nodeId: miner })).rewards).toBe(0n);
  const again = await withdrawRewards(net.client(2), { network }).catch((e) => e);
  expect(again.errorName).toBe("NothingToWithdraw");
  const stranger = await withdrawRewards(net.client(3), { network, nodeId: miner }).catch((e) => e);
  expect(stranger.errorName).toBe("NotNodeAccount");
});
