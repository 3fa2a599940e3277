// The registry's local entry is what the real deploy script produces on a fresh anvil (forge script, through
// setupNetwork's cached state), so `getDeployment(31337)` in a dapp matches `npm start`. If the deploy order or
// the deployer changes, this fails and the entry in src/deployments.ts must be updated.
import { getDeployment, UnknownDeploymentError } from "@cor-network/sdk";
import { type CorTestNetwork, setupNetwork } from "@cor-network/sdk/testing";
import { getAddress } from "viem";
import { afterAll, beforeAll, expect, test } from "vitest";

let net: CorTestNetwork;
beforeAll(async () => {
  net = await setupNetwork();
});
afterAll(async () => {
  await net?.anvil.stop();
});

test("the anvil entry equals a fresh forge deployment, and its contracts answer", async () => {
  const known = getDeployment(31337);
  const { token, registry, network, owner, modelId, modelName, chainId } = net.deployment;
  expect({ token, registry, network, owner, modelId, modelName, chainId }).toEqual({
    token: known.token,
    registry: known.registry,
    network: known.network,
    owner: known.owner,
    modelId: known.modelId,
    modelName: known.modelName,
    chainId: known.chainId,
  });
  for (const address of [known.token, known.registry, known.network]) {
    expect(getAddress(address)).toBe(address);
    expect(await net.publicClient.getCode({ address })).toMatch(/^0x[0-9a-f]{2,}$/);
  }
  expect(known.startBlock).toBeLessThanOrEqual(net.deployment.startBlock);
});

test("getDeployment refuses unknown chains and placeholder entries with a clear error", () => {
  expect(() => getDeployment(1)).toThrow(UnknownDeploymentError);
  expect(() => getDeployment(1)).toThrow(/No known COR network deployment on chain 1 \(known: 31337, 421614\)/);
  expect(() => getDeployment(421614)).toThrow(/placeholder: the contracts are not deployed there yet/);
});
