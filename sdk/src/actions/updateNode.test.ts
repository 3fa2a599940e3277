import { afterAll, beforeAll, expect, test } from "vitest";
import { isContractError } from "../errors/contract.ts";
import { type CorTestNetwork, setupNetwork } from "../testing/fixture.ts";
import { registerMiners } from "../testing/flow.ts";
import { getNode } from "./getNode.ts";
import { updateNode } from "./updateNode.ts";

let net: CorTestNetwork;
beforeAll(async () => {
  net = await setupNetwork();
});
afterAll(async () => {
  await net?.stop();
});

test("updateNode publishes a rotated encryption key and a new endpoint", async () => {
  const { network } = net.deployment;
  const [nodeId] = await registerMiners(net, [2]);
  const encryptionKey = `0x${"ab".repeat(32)}` as const;
  const result = await updateNode(net.client(2), { network, encryptionKey, endpoint: "http://10.0.0.7:4001" });
  expect(result).toMatchObject({ nodeId, encryptionKey, endpoint: "http://10.0.0.7:4001" });
  expect((await getNode(net.publicClient, { network, nodeId })).encryptionKey).toBe(encryptionKey);
});

test("an account without a node gets NotRegistered", async () => {
  const err = await updateNode(net.client(7), {
    network: net.deployment.network,
    encryptionKey: `0x${"00".repeat(32)}`,
    endpoint: "",
  }).catch((e) => e);
  expect(isContractError(err, "NotRegistered")).toBe(true);
  expect(err.args.account).toBe(net.address(7));
});
