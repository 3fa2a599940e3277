import { afterAll, beforeAll, describe, expect, test } from "vitest";
import { ContractRevertedError } from "../errors/contract.ts";
import { type CorTestNetwork, setupNetwork } from "../testing/fixture.ts";
import { parseCor } from "../utils/units.ts";
import { getNode } from "./getNode.ts";
import { registerNode } from "./registerNode.ts";

let net: CorTestNetwork;
beforeAll(async () => {
  net = await setupNetwork();
});
afterAll(async () => {
  await net?.stop();
});

describe("registerNode", () => {
  test("approves, registers a miner and moves exactly the stake", async () => {
    const { network, modelId } = net.deployment;
    const stake = parseCor("150");
    await net.fund(1, parseCor("200"));
    const networkBefore = await net.balanceOf(network);

    const { nodeId, hash, approvalHash } = await registerNode(net.client(1), {
      network,
      role: "Miner",
      stake,
      models: [modelId],
      endpoint: "http://127.0.0.1:9001",
    });

    expect(nodeId).toBe(1);
    expect(hash).toMatch(/^0x[0-9a-f]{64}$/);
    expect(approvalHash).toBeDefined();
    expect(await net.balanceOf(1)).toBe(parseCor("50"));
    expect(await net.balanceOf(network)).toBe(networkBefore + stake);
    const node = await getNode(net.publicClient, { network, nodeId });
    expect(node).toMatchObject({ account: net.address(1), role: "Miner", status: "Active", stake, score: 5000 });
  });

  test("skips the approval when the allowance already covers the stake", async () => {
    const { network } = net.deployment;
    const stake = parseCor("100");
    await net.fund(2, stake);
    const client = net.client(2);
    await client.waitForTransactionReceipt({
      hash: await client.writeContract({
        address: net.deployment.token,
        abi: (await import("../generated/abis.ts")).corTokenAbi,
        functionName: "approve",
        args: [network, stake],
      }),
    });
    const { nodeId, approvalHash } = await registerNode(client, { network, role: "Router", stake });
    expect(approvalHash).toBeUndefined();
    expect((await getNode(client, { network, nodeId })).role).toBe("Router");
  });

  test("a second registration reverts with AlreadyRegistered, decoded", async () => {
    const { network, modelId } = net.deployment;
    await net.fund(1, parseCor("100"));
    const err = await registerNode(net.client(1), {
      network,
      role: "Miner",
      stake: parseCor("100"),
      models: [modelId],
    }).catch((e) => e);
    expect(err).toBeInstanceOf(ContractRevertedError);
    expect(err.errorName).toBe("AlreadyRegistered");
    expect(err.args).toEqual({ account: net.address(1), nodeId: 1 });
    expect(err.shortMessage).toBe(
      `Account ${net.address(1)} is already registered as node 1: one account is one node at a time.`,
    );
  });

  test("a stake below the minimum reverts with StakeBelowMinimum", async () => {
    const { network, modelId } = net.deployment;
    await net.fund(3, parseCor("10"));
    const err = await registerNode(net.client(3), {
      network,
      role: "Miner",
      stake: parseCor("10"),
      models: [modelId],
    }).catch((e) => e);
    expect(err.errorName).toBe("StakeBelowMinimum");
    expect(err.shortMessage).toBe(
      "A stake of 10 COR is below the minimum of 100 COR for this role: stake at least 100 COR.",
    );
  });

  test("without approval the token's ERC20InsufficientAllowance is decoded too", async () => {
    const { network, modelId } = net.deployment;
    await net.fund(4, parseCor("100"));
    const err = await registerNode(net.client(4), {
      network,
      role: "Miner",
      stake: parseCor("100"),
      models: [modelId],
      approve: false,
    }).catch((e) => e);
    expect(err).toBeInstanceOf(ContractRevertedError);
    expect(err.errorName).toBe("ERC20InsufficientAllowance");
    expect(err.shortMessage).toContain("needs 100 COR: approve it first");
  });

  test("an unknown model reverts with UnknownModel", async () => {
    const { network } = net.deployment;
    await net.fund(5, parseCor("100"));
    const model = `0x${"ab".repeat(32)}` as const;
    const err = await registerNode(net.client(5), {
      network,
      role: "Miner",
      stake: parseCor("100"),
      models: [model],
    }).catch((e) => e);
    expect(err.errorName).toBe("UnknownModel");
    expect(err.shortMessage).toContain(`Model ${model} is not registered`);
  });
});
