import { afterAll, beforeAll, expect, test } from "vitest";
import { isContractError } from "../errors/contract.ts";
import { corTokenAbi } from "../generated/abis.ts";
import { type CorTestNetwork, setupNetwork } from "../testing/fixture.ts";
import { registerMiners } from "../testing/flow.ts";
import { parseCor } from "../utils/units.ts";
import { createSession, sessionDefaults, toSessionConfig } from "./createSession.ts";
import { getSession } from "./getSession.ts";

let net: CorTestNetwork;
beforeAll(async () => {
  net = await setupNetwork();
});
afterAll(async () => {
  await net?.stop();
});

test("toSessionConfig fills the defaults and maps names to enum values", () => {
  const config = toSessionConfig({ modelId: `0x${"11".repeat(32)}`, validation: "Embedding", assignment: "Claim" });
  expect(config).toMatchObject({
    redundancy: 1,
    validation: 2,
    assignment: 1,
    pricePerToken: sessionDefaults.pricePerToken,
    maxTokens: 256,
    precommitWindow: 60,
    revealWindow: 60,
    attestWindow: 60,
    dedicatedMiners: [],
  });
  // @ts-expect-error: not a ValidationMode (a JavaScript caller can still pass it)
  expect(() => toSessionConfig({ modelId: "0x00", validation: "Fuzzy" })).toThrow(/Unknown ValidationMode/);
});

test("createSession pulls exactly the deposit and stores the configuration", async () => {
  const { network, modelId } = net.deployment;
  await net.fund(1, parseCor("12"));
  const networkBefore = await net.balanceOf(network);

  const { sessionId, deposit, approvalHash } = await createSession(net.client(1), {
    network,
    modelId,
    deposit: parseCor("10"),
    redundancy: 3,
    pricePerToken: parseCor("0.001"),
    maxTokens: 100,
    windows: { precommit: 30, reveal: 40 },
  });

  expect(sessionId).toBe(1);
  expect(deposit).toBe(parseCor("10"));
  expect(approvalHash).toBeDefined();
  expect(await net.balanceOf(1)).toBe(parseCor("2"));
  expect(await net.balanceOf(network)).toBe(networkBefore + parseCor("10"));
  const session = await getSession(net.publicClient, { network, sessionId });
  expect(session).toMatchObject({
    owner: net.address(1),
    status: "Open",
    modelId,
    redundancy: 3,
    validation: "ExactMatch",
    assignment: "Router",
    deposit: parseCor("10"),
    escrowed: 0n,
    taskCount: 0,
    pricePerToken: parseCor("0.001"),
    maxTokens: 100,
    windows: { precommit: 30, reveal: 40, attest: 60 },
    dedicatedMiners: [],
  });
});

test("a Dedicated session keeps its miners", async () => {
  const { network } = net.deployment;
  const miners = await registerMiners(net, [2, 3]);
  await net.fund(1, parseCor("1"));
  const { sessionId } = await createSession(net.client(1), {
    network,
    modelId: net.deployment.modelId,
    deposit: parseCor("1"),
    redundancy: 2,
    assignment: "Dedicated",
    dedicatedMiners: miners,
  });
  expect((await getSession(net.publicClient, { network, sessionId })).dedicatedMiners).toEqual(miners);
});

test("invalid configurations revert with decoded errors", async () => {
  const { network, modelId } = net.deployment;
  const client = net.client(1);
  const redundancy = await createSession(client, { network, modelId, deposit: 0n, redundancy: 8 }).catch((e) => e);
  expect(redundancy.errorName).toBe("InvalidRedundancy");
  expect(redundancy.shortMessage).toBe("Redundancy 8 is out of range: use 1..7 miners per task.");

  const window = await createSession(client, { network, modelId, deposit: 0n, windows: { reveal: 0 } }).catch((e) => e);
  expect(window.errorName).toBe("InvalidWindow");

  const model = await createSession(client, { network, modelId: `0x${"00".repeat(32)}`, deposit: 0n }).catch((e) => e);
  expect(model.errorName).toBe("UnknownModel");
});

test("a createSession that would revert throws its decoded error before any approval is sent", async () => {
  const { network, modelId, token } = net.deployment;
  await net.fund(5, parseCor("3"));
  const allowance = () =>
    net.publicClient.readContract({
      address: token,
      abi: corTokenAbi,
      functionName: "allowance",
      args: [net.address(5), network],
    });
  const nonce = () => net.publicClient.getTransactionCount({ address: net.address(5) });
  const [allowanceBefore, nonceBefore] = [await allowance(), await nonce()];

  const bad = await createSession(net.client(5), { network, modelId, deposit: parseCor("1"), redundancy: 8 }).catch(
    (e) => e,
  );
  expect(isContractError(bad, "InvalidRedundancy")).toBe(true);
  expect(bad.functionName).toBe("createSession");

  // More than the account holds: the token's error, decoded, still before any approval.
  const poor = await createSession(net.client(5), { network, modelId, deposit: parseCor("4") }).catch((e) => e);
  expect(isContractError(poor, "ERC20InsufficientBalance")).toBe(true);

  expect(await allowance()).toBe(allowanceBefore);
  expect(await nonce()).toBe(nonceBefore);

  // The same call with a valid configuration approves exactly the deposit, then opens the session.
  const { approvalHash, sessionId } = await createSession(net.client(5), { network, modelId, deposit: parseCor("1") });
  expect(approvalHash).toBeDefined();
  expect(sessionId).toBeGreaterThan(0);
  expect(await nonce()).toBe(nonceBefore + 2);
  expect(await allowance()).toBe(0n);
});
