import { afterAll, beforeAll, expect, test } from "vitest";
import { isContractError } from "../errors/contract.ts";
import { type CorTestNetwork, setupNetwork, tempContentStore } from "../testing/fixture.ts";
import { openSession, registerMiners } from "../testing/flow.ts";
import { parseCor } from "../utils/units.ts";
import { assignTask } from "./assignTask.ts";
import { getParams } from "./getParams.ts";
import { getSession } from "./getSession.ts";
import { getTask } from "./getTask.ts";
import { registerNode } from "./registerNode.ts";
import { setSessionRouter } from "./setSessionRouter.ts";
import { submitTask } from "./submitTask.ts";

let net: CorTestNetwork;
beforeAll(async () => {
  net = await setupNetwork();
});
afterAll(async () => {
  await net?.stop();
});

test("the owner names a router; a miner or another account is refused", async () => {
  const { network } = net.deployment;
  const stake = (await getParams(net.publicClient, { network })).minStake.router;
  await net.fund(3, stake);
  const { nodeId: routerId } = await registerNode(net.client(3), { network, role: "Router", stake });
  const [minerId] = await registerMiners(net, [2]);
  const sessionId = await openSession(net, 1, { deposit: parseCor("1") });

  await setSessionRouter(net.client(1), { network, sessionId, routerId });
  expect((await getSession(net.publicClient, { network, sessionId })).routerId).toBe(routerId);

  const miner = await setSessionRouter(net.client(1), { network, sessionId, routerId: minerId }).catch((e) => e);
  expect(isContractError(miner, "InvalidRouter")).toBe(true);
  const stranger = await setSessionRouter(net.client(4), { network, sessionId, routerId: 0 }).catch((e) => e);
  expect(isContractError(stranger, "NotSessionOwner")).toBe(true);

  // The named router assigns, and the task records it (getTask().assignerId); the owner's own assignment is 0.
  const store = await tempContentStore();
  try {
    const submit = async () =>
      (await submitTask(net.client(1), { network, sessionId, prompt: "Once upon a time", store })).taskId;
    const routed = await submit();
    await assignTask(net.client(3), { network, taskId: routed, nodeIds: [minerId] });
    expect((await getTask(net.publicClient, { network, taskId: routed })).assignerId).toBe(routerId);
    const owned = await submit();
    await assignTask(net.client(1), { network, taskId: owned, nodeIds: [minerId] });
    expect((await getTask(net.publicClient, { network, taskId: owned })).assignerId).toBe(0);
  } finally {
    await store.close();
  }
});
