import { keccak256, toHex } from "viem";
import { writeContract } from "viem/actions";
import { afterAll, beforeAll, expect, test } from "vitest";
import { isContractError } from "../errors/contract.ts";
import { iCorNetworkAbi } from "../generated/abis.ts";
import { type CorTestNetwork, setupNetwork } from "../testing/fixture.ts";
import { registerMiners } from "../testing/flow.ts";
import { updateModels } from "./updateModels.ts";

let net: CorTestNetwork;
beforeAll(async () => {
  net = await setupNetwork();
});
afterAll(async () => {
  await net?.stop();
});

const serves = (nodeId: number, modelId: `0x${string}`) =>
  net.publicClient.readContract({
    address: net.deployment.network,
    abi: iCorNetworkAbi,
    functionName: "servesModel",
    args: [nodeId, modelId],
  });

test("updateModels swaps the models a miner serves", async () => {
  const { network, modelId } = net.deployment;
  const [nodeId] = await registerMiners(net, [2]);
  const other = keccak256(toHex("another model"));
  const hash = await writeContract(net.client(0), {
    address: network,
    abi: iCorNetworkAbi,
    functionName: "registerModel",
    args: [other, "another", "ipfs://another"],
  });
  await net.publicClient.waitForTransactionReceipt({ hash });

  const result = await updateModels(net.client(2), { network, added: [other], removed: [modelId] });
  expect(result).toMatchObject({ nodeId, added: [other], removed: [modelId] });
  expect(await serves(nodeId, other)).toBe(true);
  expect(await serves(nodeId, modelId)).toBe(false);
});

test("an unknown model is refused by name", async () => {
  const unknown = keccak256(toHex("never registered"));
  const err = await updateModels(net.client(2), { network: net.deployment.network, added: [unknown] }).catch((e) => e);
  expect(isContractError(err, "UnknownModel")).toBe(true);
  expect(err.args.modelId).toBe(unknown);
});
