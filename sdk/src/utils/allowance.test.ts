import { createWalletClient, custom, http } from "viem";
import { privateKeyToAccount } from "viem/accounts";
import { writeContract } from "viem/actions";
import { afterAll, beforeAll, expect, test } from "vitest";
import { addStake } from "../actions/addStake.ts";
import { createSession } from "../actions/createSession.ts";
import { depositToSession } from "../actions/depositToSession.ts";
import { registerNode } from "../actions/registerNode.ts";
import { ContractRevertedError, isContractError } from "../errors/contract.ts";
import { corTokenAbi } from "../generated/abis.ts";
import { anvilKey } from "../testing/anvil.ts";
import { type CorTestNetwork, setupNetwork } from "../testing/fixture.ts";
import { allowanceSlot, throwIfReverted } from "./allowance.ts";
import { parseCor } from "./units.ts";

let net: CorTestNetwork;
beforeAll(async () => {
  net = await setupNetwork();
});
afterAll(async () => {
  await net?.stop();
});

const allowance = (i: number) =>
  net.publicClient.readContract({
    address: net.deployment.token,
    abi: corTokenAbi,
    functionName: "allowance",
    args: [net.address(i), net.deployment.network],
  });

test("allowanceSlot is where the COR token keeps allowance(owner, spender)", async () => {
  const { token, network } = net.deployment;
  const amount = 123_456_789n;
  const hash = await writeContract(net.client(3), {
    address: token,
    abi: corTokenAbi,
    functionName: "approve",
    args: [network, amount],
  });
  await net.publicClient.waitForTransactionReceipt({ hash });
  const stored = await net.publicClient.getStorageAt({ address: token, slot: allowanceSlot(net.address(3), network) });
  expect(BigInt(stored ?? "0x0")).toBe(amount);
  expect(await allowance(3)).toBe(amount);
});

test("addStake, depositToSession and registerNode that would revert leave no approval behind", async () => {
  const { network, modelId } = net.deployment;
  await net.fund(4, parseCor("200"));
  const nonce = await net.publicClient.getTransactionCount({ address: net.address(4) });

  const stake = await addStake(net.client(4), { network, amount: parseCor("10") }).catch((e) => e);
  expect(isContractError(stake, "NotRegistered")).toBe(true);
  const deposit = await depositToSession(net.client(4), { network, sessionId: 999, amount: parseCor("1") }).catch(
    (e) => e,
  );
  expect(deposit).toBeInstanceOf(ContractRevertedError);
  const register = await registerNode(net.client(4), { network, role: "Miner", stake: parseCor("100") }).catch(
    (e) => e,
  );
  expect(isContractError(register, "NoModels")).toBe(true);

  expect(await allowance(4)).toBe(0n);
  expect(await net.publicClient.getTransactionCount({ address: net.address(4) })).toBe(nonce);

  const { approvalHash } = await registerNode(net.client(4), {
    network,
    role: "Miner",
    stake: parseCor("100"),
    models: [modelId],
  });
  expect(approvalHash).toBeDefined();
});

test("only a revert of the call itself stops before the approval", () => {
  const invalid = new ContractRevertedError({ errorName: "InvalidRedundancy", args: { redundancy: 8 } });
  expect(() => throwIfReverted(invalid)).toThrow(invalid);
  // The override did not take (another token layout), or the node refuses state overrides: approve, then send.
  const allowance = new ContractRevertedError({
    errorName: "ERC20InsufficientAllowance",
    args: { spender: net.deployment.network, allowance: 0n, needed: 1n },
  });
  expect(() => throwIfReverted(allowance)).not.toThrow();
  expect(() => throwIfReverted(new Error("eth_call: state override not supported"))).not.toThrow();
});

test("a node that refuses state overrides falls back to approve-then-send, which still works", async () => {
  const { network, modelId } = net.deployment;
  // The real anvil behind a transport that rejects eth_call with a state override, as some RPC providers do.
  const upstream = http(net.rpcUrl)({ chain: net.chain });
  const overrides: unknown[] = [];
  const strict = createWalletClient({
    account: privateKeyToAccount(anvilKey(8)),
    chain: net.chain,
    transport: custom(
      {
        request: async ({ method, params }) => {
          if (method === "eth_call" && Array.isArray(params) && params[2] !== undefined) {
            overrides.push(params[2]);
            throw new Error("eth_call: state overrides are not supported by this node");
          }
          return upstream.request({ method, params });
        },
      },
      { retryCount: 0 },
    ),
  });
  await net.fund(8, parseCor("2"));
  const bad = await createSession(strict, { network, modelId, deposit: parseCor("1"), redundancy: 8 }).catch((e) => e);
  expect(overrides).toHaveLength(1);
  // The revert is still decoded (by the call's own gas estimate), but only after the approval went out.
  expect(isContractError(bad, "InvalidRedundancy")).toBe(true);
  expect(await allowance(8)).toBe(parseCor("1"));

  const { sessionId, approvalHash } = await createSession(strict, { network, modelId, deposit: parseCor("1") });
  expect(sessionId).toBeGreaterThan(0);
  expect(approvalHash).toBeUndefined(); // the earlier approval covers it
  expect(await net.balanceOf(8)).toBe(parseCor("1"));
});
