import { afterAll, beforeAll, expect, test } from "vitest";
import { type CorTestNetwork, setupNetwork } from "../testing/fixture.ts";
import { registerMiners } from "../testing/flow.ts";
import { getNode } from "./getNode.ts";
import { getParams } from "./getParams.ts";
import { requestExit } from "./requestExit.ts";

let net: CorTestNetwork;
beforeAll(async () => {
  net = await setupNetwork();
});
afterAll(async () => {
  await net?.stop();
});

test("requestExit moves the node to Exiting until the end of the cooldown", async () => {
  const { network } = net.deployment;
  const [nodeId] = await registerMiners(net, [1]);
  const { unstakeCooldown } = await getParams(net.publicClient, { network });

  const { nodeId: exiting, until, hash } = await requestExit(net.client(1), { network });

  const block = await net.publicClient.getBlock({
    blockNumber: (await net.publicClient.getTransactionReceipt({ hash })).blockNumber,
  });
  expect(exiting).toBe(nodeId);
  expect(until).toBe(Number(block.timestamp) + unstakeCooldown);
  const node = await getNode(net.publicClient, { network, nodeId });
  expect(node.status).toBe("Exiting");
  expect(node.until).toBe(until);
});

test("requesting exit twice reverts with WrongNodeStatus", async () => {
  const err = await requestExit(net.client(1), { network: net.deployment.network }).catch((e) => e);
  expect(err.errorName).toBe("WrongNodeStatus");
  expect(err.shortMessage).toBe("Node 1 is Exiting: the node is already exiting.");
});
