import { afterAll, beforeAll, expect, test } from "vitest";
import { type CorTestNetwork, setupNetwork } from "../testing/fixture.ts";
import { registerMiners } from "../testing/flow.ts";
import { parseCor } from "../utils/units.ts";
import { addStake } from "./addStake.ts";
import { getNode } from "./getNode.ts";

let net: CorTestNetwork;
beforeAll(async () => {
  net = await setupNetwork();
});
afterAll(async () => {
  await net?.stop();
});

test("addStake approves and adds exactly the amount to the node's stake", async () => {
  const { network } = net.deployment;
  const [nodeId] = await registerMiners(net, [1], { stake: parseCor("100") });
  await net.fund(1, parseCor("25.5"));
  const before = await net.balanceOf(network);

  const result = await addStake(net.client(1), { network, amount: parseCor("25.5") });

  expect(result.nodeId).toBe(nodeId);
  expect(result.stake).toBe(parseCor("125.5"));
  expect(result.approvalHash).toBeDefined();
  expect(await net.balanceOf(1)).toBe(0n);
  expect(await net.balanceOf(network)).toBe(before + parseCor("25.5"));
  expect((await getNode(net.publicClient, { network, nodeId })).stake).toBe(parseCor("125.5"));
});

test("addStake from an unregistered account reverts with NotRegistered", async () => {
  await net.fund(2, parseCor("1"));
  const err = await addStake(net.client(2), { network: net.deployment.network, amount: parseCor("1") }).catch((e) => e);
  expect(err.name).toBe("ContractRevertedError");
  expect(err.errorName).toBe("NotRegistered");
  expect(err.shortMessage).toBe(`Account ${net.address(2)} is not a registered node: registerNode() first.`);
});

test("a zero amount reverts with ZeroAmount", async () => {
  await registerMiners(net, [3]);
  const err = await addStake(net.client(3), { network: net.deployment.network, amount: 0n }).catch((e) => e);
  expect(err.errorName).toBe("ZeroAmount");
  expect(err.shortMessage).toBe("The amount must be greater than 0.");
});
