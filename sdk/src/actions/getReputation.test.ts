import { afterAll, beforeAll, expect, test } from "vitest";
import { type CorTestNetwork, setupNetwork, tempContentStore } from "../testing/fixture.ts";
import { openSession, playMiners, registerMiners } from "../testing/flow.ts";
import { parseCor } from "../utils/units.ts";
import { assignTask } from "./assignTask.ts";
import { getReputation } from "./getReputation.ts";
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

test("getReputation returns the counters and the settled-work history", async () => {
  const { network, startBlock } = net.deployment;
  const [miner] = await registerMiners(net, [2]);
  const fresh = await getReputation(net.publicClient, { network, nodeId: miner });
  expect(fresh).toMatchObject({ score: 5000, accepted: 0, acceptanceRate: undefined });

  const sessionId = await openSession(net, 1, {
    deposit: parseCor("1"),
    maxTokens: 16,
    pricePerToken: parseCor("0.01"),
  });
  for (const text of ["one", "two"]) {
    const { taskId } = await submitTask(net.client(1), { network, sessionId, prompt: text, store });
    await assignTask(net.client(1), { network, taskId, nodeIds: [miner] });
    await playMiners(net, { taskId, store, miners: [{ index: 2, result: text, tokens: 10 }] });
  }

  const rep = await getReputation(net.publicClient, {
    network,
    account: net.address(2),
    history: { fromBlock: BigInt(startBlock) },
  });
  expect(rep).toMatchObject({
    nodeId: miner,
    accepted: 2,
    rejected: 0,
    timedOut: 0,
    tokensServed: 20n,
    acceptanceRate: 1,
  });
  // Reputation is bought with protocol fees (a full step per params.reputationFeeUnit = 12.5 COR of fee): these
  // cents of fees are far below it, so the score does not move although the work is counted.
  expect(rep.score).toBe(5000);
  expect(rep.history?.map((h) => [h.outcome, h.tokens])).toEqual([
    ["Accepted", 10],
    ["Accepted", 10],
  ]);
  // 10 tokens × 0.01 COR less the 2% protocol fee.
  expect(rep.history?.[0].payout).toBe((parseCor("0.1") * 9800n) / 10000n);
  expect(rep.history?.at(-1)?.score).toBe(rep.score);
});
