import { connect, createConfig, getConnection, http, mock, readContract } from "@wagmi/core";
import { defineChain, zeroAddress } from "viem";
import { privateKeyToAccount } from "viem/accounts";
import { afterAll, beforeAll, expect, test } from "vitest";
import { BaseError } from "../errors/base.ts";
import { isContractError } from "../errors/contract.ts";
import { anvilKey, freePort } from "../testing/anvil.ts";
import { type CorTestNetwork, setupNetwork, tempContentStore } from "../testing/fixture.ts";
import { parseCor } from "../utils/units.ts";
import {
  type CorDeployment,
  createSessionWagmi,
  deployments,
  getCorDeployment,
  readSessionWagmi,
  submitTaskWagmi,
  UnknownDeploymentError,
} from "./index.ts";

/** A second chain the SDK's registry does not know; its RPC is a closed port (never reached by these tests). */
const other = defineChain({
  id: 777_001,
  name: "Other",
  nativeCurrency: { name: "Ether", symbol: "ETH", decimals: 18 },
  rpcUrls: { default: { http: ["http://127.0.0.1:1"] } },
});
const otherDeployment: CorDeployment = {
  chainId: other.id,
  network: "0x000000000000000000000000000000000000c0de",
  token: "0x000000000000000000000000000000000000c01e",
};

let net: CorTestNetwork;
let store: Awaited<ReturnType<typeof tempContentStore>>;
/** The app's own wagmi config: two chains, the other one first (so it is the default chain). */
let config: ReturnType<typeof appConfig>;
const account = privateKeyToAccount(anvilKey(1));
const appConfig = (rpcUrl: string, deadUrl: string) =>
  createConfig({
    chains: [other, net.chain],
    transports: { [other.id]: http(deadUrl), [net.chain.id]: http(rpcUrl) },
    connectors: [mock({ accounts: [net.address(3)] })],
    pollingInterval: 50,
  });
beforeAll(async () => {
  net = await setupNetwork();
  store = await tempContentStore();
  config = appConfig(net.rpcUrl, `http://127.0.0.1:${await freePort()}`);
});
afterAll(async () => {
  await store?.close();
  await net?.stop();
});

test("the forge-deployed local network is the registry's 31337 entry", () => {
  expect(net.deployment.network).toBe(deployments[31337].network);
  expect(net.deployment.token).toBe(deployments[31337].token);
});

test("a two-chain app config: actions pick the deployment by chain id from the registry", async () => {
  const { deployment, contracts, chainId } = getCorDeployment(config, { chainId: net.chain.id });
  expect(chainId).toBe(31337);
  expect(deployment.network).toBe(deployments[31337].network);
  expect(await readContract(config, { ...contracts.network, functionName: "token" })).toBe(net.deployment.token);

  await net.fund(1, parseCor("2"));
  const { sessionId, approvalHash } = await createSessionWagmi(config, {
    chainId: net.chain.id,
    account,
    deposit: parseCor("1"),
    maxTokens: 16,
  });
  expect(approvalHash).toBeDefined();
  const session = await readSessionWagmi(config, { chainId: net.chain.id, sessionId });
  expect(session).toMatchObject({
    owner: account.address,
    deposit: parseCor("1"),
    modelId: deployments[31337].modelId,
  });
  const { taskId } = await submitTaskWagmi(config, {
    chainId: net.chain.id,
    account,
    sessionId,
    prompt: "two chains",
    store,
  });
  expect(taskId).toBe((BigInt(sessionId) << 32n) | 1n);
});

test("the default chain is the config's current one; a chain without a deployment is refused before any RPC", async () => {
  // Not connected: the current chain is the first, which the registry does not know.
  expect(() => getCorDeployment(config)).toThrow(UnknownDeploymentError);
  await expect(readSessionWagmi(config, { sessionId: 1 })).rejects.toBeInstanceOf(UnknownDeploymentError);
  expect(() => getCorDeployment(config, { chainId: 1 })).toThrow(BaseError);
  expect(() => getCorDeployment(config, { chainId: 1 })).toThrow("Chain 1 is not one of the wagmi config's chains");

  // Connected on the anvil chain: that becomes the default.
  await connect(config, { connector: config.connectors[0], chainId: net.chain.id });
  expect(getConnection(config).chainId).toBe(net.chain.id);
  expect(getCorDeployment(config).chainId).toBe(net.chain.id);
  await net.fund(3, parseCor("1"));
  const { sessionId } = await createSessionWagmi(config, { deposit: parseCor("1") });
  expect((await readSessionWagmi(config, { sessionId })).owner).toBe(net.address(3));
});

test("deployments passed beside the config take precedence over the registry, per chain", () => {
  const mine = { ...net.deployment, network: zeroAddress.replace(/0$/, "1") as `0x${string}` };
  const cor = { config, deployments: { [other.id]: otherDeployment, [net.chain.id]: mine } };
  expect(getCorDeployment(cor, { chainId: other.id }).contracts.network).toEqual({
    address: otherDeployment.network,
    abi: expect.any(Array),
    chainId: other.id,
  });
  expect(getCorDeployment(cor, { chainId: net.chain.id }).deployment.network).toBe(mine.network);
  // Only the other chain passed: the anvil chain still comes from the registry.
  const partial = { config, deployments: { [other.id]: otherDeployment } };
  expect(getCorDeployment(partial, { chainId: net.chain.id }).deployment.network).toBe(deployments[31337].network);
  const wrong = { config, deployments: { [other.id]: { ...otherDeployment, chainId: 5 } } };
  expect(() => getCorDeployment(wrong, { chainId: other.id })).toThrow("is for chain 5");
});

test("through wagmi too, a createSession that would revert sends no approval", async () => {
  await net.fund(5, parseCor("2"));
  const signer = privateKeyToAccount(anvilKey(5));
  const nonce = () => net.publicClient.getTransactionCount({ address: signer.address });
  const before = await nonce();
  const err = await createSessionWagmi(config, {
    chainId: net.chain.id,
    account: signer,
    deposit: parseCor("1"),
    redundancy: 8,
  }).catch((e) => e);
  expect(isContractError(err, "InvalidRedundancy")).toBe(true);
  expect(await nonce()).toBe(before);
});
