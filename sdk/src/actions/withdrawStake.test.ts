import { afterAll, beforeAll, expect, test } from "vitest";
import { NotFoundError } from "../errors/task.ts";
import { type CorTestNetwork, setupNetwork } from "../testing/fixture.ts";
import { registerMiners } from "../testing/flow.ts";
import { parseCor } from "../utils/units.ts";
import { getNode } from "./getNode.ts";
import { getParams } from "./getParams.ts";
import { requestExit } from "./requestExit.ts";
import { withdrawStake } from "./withdrawStake.ts";

let net: CorTestNetwork;
beforeAll(async () => {
  net = await setupNetwork();
});
afterAll(async () => {
  await net?.stop();
});

test("withdrawStake before requestExit reverts with WrongNodeStatus and a hint", async () => {
  await registerMiners(net, [1], { stake: parseCor("120") });
  const err = await withdrawStake(net.client(1), { network: net.deployment.network }).catch((e) => e);
  expect(err.errorName).toBe("WrongNodeStatus");
  expect(err.shortMessage).toBe(
    "Node 1 is Active: call requestExit() first, then withdrawStake() once the cooldown is over.",
  );
});

test("withdrawStake during the cooldown reverts with CooldownActive (retryable)", async () => {
  const { until } = await requestExit(net.client(1), { network: net.deployment.network });
  const err = await withdrawStake(net.client(1), { network: net.deployment.network }).catch((e) => e);
  expect(err.errorName).toBe("CooldownActive");
  expect(err.retryable).toBe(true);
  expect(err.shortMessage).toBe(
    `The node's cooldown runs until ${new Date(until * 1000).toISOString()}: try again after that.`,
  );
});

test("after the cooldown the whole stake comes back and the node is unregistered", async () => {
  const { network } = net.deployment;
  const { unstakeCooldown } = await getParams(net.publicClient, { network });
  await net.increaseTime(unstakeCooldown + 1);

  const { nodeId, amount } = await withdrawStake(net.client(1), { network });

  expect(amount).toBe(parseCor("120"));
  expect(await net.balanceOf(1)).toBe(parseCor("120"));
  expect((await getNode(net.publicClient, { network, nodeId })).status).toBe("Unregistered");
  await expect(getNode(net.publicClient, { network, account: net.address(1) })).rejects.toBeInstanceOf(NotFoundError);
});
