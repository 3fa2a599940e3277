import { afterAll, beforeAll, expect, test } from "vitest";
import { isContractError } from "../errors/contract.ts";
import { type CorTestNetwork, setupNetwork } from "../testing/fixture.ts";
import { openSession, registerMiners } from "../testing/flow.ts";
import { parseCor } from "../utils/units.ts";
import { getParams } from "./getParams.ts";
import { getSession } from "./getSession.ts";
import { registerNode } from "./registerNode.ts";
import { setSessionRouter } from "./setSessionRouter.ts";

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
});
