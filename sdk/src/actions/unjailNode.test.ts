import { writeContract } from "viem/actions";
import { afterAll, beforeAll, expect, test } from "vitest";
import { isContractError } from "../errors/contract.ts";
import { iCorNetworkAbi } from "../generated/abis.ts";
import { type CorTestNetwork, setupNetwork } from "../testing/fixture.ts";
import { registerMiners } from "../testing/flow.ts";
import { getNode } from "./getNode.ts";
import { unjailNode } from "./unjailNode.ts";

let net: CorTestNetwork;
beforeAll(async () => {
  net = await setupNetwork();
});
afterAll(async () => {
  await net?.stop();
});

test("a jailed node is back to Active after its jail term", async () => {
  const { network } = net.deployment;
  const [nodeId] = await registerMiners(net, [2]);
  const notJailed = await unjailNode(net.client(2), { network }).catch((e) => e);
  expect(isContractError(notJailed, "WrongNodeStatus")).toBe(true);

  const term = 600;
  const hash = await writeContract(net.client(0), {
    address: network,
    abi: iCorNetworkAbi,
    functionName: "jail",
    args: [nodeId, term],
  });
  await net.publicClient.waitForTransactionReceipt({ hash });
  const early = await unjailNode(net.client(2), { network }).catch((e) => e);
  expect(isContractError(early, "CooldownActive")).toBe(true);
  expect(early.retryable).toBe(true);

  await net.increaseTime(term + 1);
  expect(await unjailNode(net.client(2), { network })).toMatchObject({ nodeId });
  expect((await getNode(net.publicClient, { network, nodeId })).status).toBe("Active");
});
