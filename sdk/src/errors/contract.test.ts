import { type Abi, encodeErrorResult, type Hex } from "viem";
import { writeContract } from "viem/actions";
import { afterAll, beforeAll, describe, expect, test } from "vitest";
import { assignTask } from "../actions/assignTask.ts";
import { commitResult } from "../actions/commitResult.ts";
import { revealResult } from "../actions/revealResult.ts";
import { submitTask } from "../actions/submitTask.ts";
import { iCorNetworkAbi } from "../generated/abis.ts";
import { taskIdOf } from "../protocol.ts";
import { type CorTestNetwork, setupNetwork, tempContentStore } from "../testing/fixture.ts";
import { openSession, registerMiners } from "../testing/flow.ts";
import { corErrorsAbi } from "../utils/abi.ts";
import { parseCor } from "../utils/units.ts";
import { BaseError } from "./base.ts";
import {
  ContractRevertedError,
  contractErrorOf,
  decodeCorError,
  isContractError,
  toCorError,
  withContractErrors,
} from "./contract.ts";
import { errorDescriptions } from "./messages.ts";

const sample = (type: string): unknown => {
  if (type === "address") return "0x70997970C51812dc3A010C7d01b50e0d17dc79C8";
  if (type === "bytes32") return `0x${"ab".repeat(32)}`;
  if (type === "string") return "name";
  if (type === "bool") return true;
  if (type.endsWith("[]")) return [];
  if (type.startsWith("uint8")) return 1;
  if (/^uint(16|24|32|40)$/.test(type)) return 7;
  if (type.startsWith("uint") || type.startsWith("int")) return 1_500_000_000_000_000_000n;
  return 0;
};

describe("decoding (offline)", () => {
  test("every error the network can raise has a human message", () => {
    const names = new Set(corErrorsAbi.map((e) => e.name));
    const networkErrors = iCorNetworkAbi.filter((i) => i.type === "error").map((i) => i.name);
    for (const name of networkErrors) expect(errorDescriptions[name], name).toBeDefined();
    for (const item of corErrorsAbi) {
      // Any error of the ABI, so untyped: the loop encodes each with sample arguments of its input types.
      const abi: Abi = [item];
      const data = encodeErrorResult({ abi, errorName: item.name, args: item.inputs.map((i) => sample(i.type)) });
      const decoded = decodeCorError(data);
      expect(decoded?.errorName).toBe(item.name);
      const err = new ContractRevertedError({ errorName: decoded?.errorName, args: decoded?.args ?? {}, data });
      expect(err.shortMessage.length, item.name).toBeGreaterThan(10);
      expect(err.shortMessage, item.name).not.toContain("undefined");
      expect(err.shortMessage, item.name).not.toContain("[object");
    }
    expect(names.has("ERC20InsufficientBalance")).toBe(true);
    expect(names.has("OwnableUnauthorizedAccount")).toBe(true);
  });

  test("the context of the call makes messages concrete", () => {
    const data = encodeErrorResult({
      abi: iCorNetworkAbi,
      errorName: "InsufficientDeposit",
      args: [parseCor("0.5"), parseCor("1.2")],
    });
    const fake = Object.assign(new Error("execution reverted"), {
      name: "ContractFunctionExecutionError",
      functionName: "submitTask",
      args: [3, `0x${"00".repeat(32)}`, "bafy", 100],
      cause: Object.assign(new Error("reverted"), { name: "ContractFunctionRevertedError", raw: data }),
    });
    const err = toCorError(fake) as ContractRevertedError;
    expect(err).toBeInstanceOf(ContractRevertedError);
    expect(err.shortMessage).toBe("Session 3 has 0.5 COR free but the task needs 1.2 COR: top up with deposit()");
    expect(err.functionName).toBe("submitTask");
    expect(err.walk()).toBe(fake.cause);
  });

  test("unknown selectors, require strings and non-revert errors", () => {
    const unknown = toCorError({ name: "X", data: "0xdeadbeef" }) as ContractRevertedError;
    expect(unknown.errorName).toBeUndefined();
    expect(unknown.shortMessage).toBe("The call reverted with an error the SDK does not know (selector 0xdeadbeef).");

    const data = encodeErrorResult({
      abi: [{ type: "error", name: "Error", inputs: [{ name: "message", type: "string" }] }],
      errorName: "Error",
      args: ["nope"],
    });
    const required = toCorError(new Error("x", { cause: { data } }), {
      functionName: "deposit",
    }) as ContractRevertedError;
    expect(required.errorName).toBe("Error");
    expect(required.shortMessage).toBe("deposit reverted: nope");

    const network = new Error("fetch failed");
    expect(toCorError(network)).toBe(network);
    const ours = new BaseError("already ours");
    expect(toCorError(ours)).toBe(ours);
  });
});

describe("classifying reverts by name", () => {
  const rawViem = (data: `0x${string}`) =>
    Object.assign(new Error("execution reverted"), {
      name: "ContractFunctionExecutionError",
      cause: Object.assign(new Error("reverted"), { name: "ContractFunctionRevertedError", raw: data }),
    });

  test("isContractError takes one name or a list, and only a decoded revert", () => {
    const err = toCorError(
      rawViem(encodeErrorResult({ abi: iCorNetworkAbi, errorName: "DeadlineNotPassed", args: [1234] })),
    ) as ContractRevertedError;
    expect(isContractError(err)).toBe(true);
    expect(isContractError(err, "DeadlineNotPassed")).toBe(true);
    expect(isContractError(err, "WrongPhase")).toBe(false);
    expect(isContractError(err, ["WrongPhase", "DeadlineNotPassed"])).toBe(true);
    expect(isContractError(err, [])).toBe(false);
    expect(isContractError(new Error("DeadlineNotPassed"), "DeadlineNotPassed")).toBe(false);
    if (isContractError(err, "DeadlineNotPassed")) expect(err.args.deadline).toBe(1234);
  });

  test("contractErrorOf finds a revert wrapped in a cause chain, or decodes a raw viem revert", () => {
    const decoded = toCorError(
      rawViem(encodeErrorResult({ abi: iCorNetworkAbi, errorName: "WrongPhase", args: [7n, 5] })),
    ) as ContractRevertedError;
    const wrapped = new Error("Could not expire task 7", { cause: new Error("batch failed", { cause: decoded }) });
    expect(contractErrorOf(wrapped)).toBe(decoded);
    expect(contractErrorOf(wrapped, "WrongPhase")?.args.taskId).toBe(7n);
    expect(contractErrorOf(wrapped, ["NothingToExpire", "DeadlineNotPassed"])).toBeUndefined();

    const raw = contractErrorOf(
      rawViem(encodeErrorResult({ abi: iCorNetworkAbi, errorName: "DeadlineNotPassed", args: [99] })),
      "DeadlineNotPassed",
    );
    expect(raw).toBeInstanceOf(ContractRevertedError);
    expect(raw?.args.deadline).toBe(99);
    expect(raw?.retryable).toBe(true);
    expect(contractErrorOf(new Error("fetch failed"))).toBeUndefined();
    expect(contractErrorOf(undefined)).toBeUndefined();
  });
});

describe("decoding reverts of the real contract", () => {
  let net: CorTestNetwork;
  let store: Awaited<ReturnType<typeof tempContentStore>>;
  beforeAll(async () => {
    net = await setupNetwork();
    store = await tempContentStore();
  });
  afterAll(async () => {
    await store?.close();
    await net?.stop();
  });

  test("InsufficientDeposit", async () => {
    const { network } = net.deployment;
    const sessionId = await openSession(net, 1, {
      deposit: parseCor("0.5"),
      redundancy: 2,
      maxTokens: 100,
      pricePerToken: parseCor("0.006"),
    });
    const err = await submitTask(net.client(1), { network, sessionId, prompt: "p", store }).catch((e) => e);
    expect(isContractError(err, "InsufficientDeposit")).toBe(true);
    expect(err.name).toBe("ContractRevertedError");
    expect(err.shortMessage).toBe(
      `Session ${sessionId} has 0.5 COR free but the task needs 1.2 COR: top up with deposit()`,
    );
  });

  test("NotAuthorizedSubmitter", async () => {
    const { network } = net.deployment;
    const err = await submitTask(net.client(4), { network, sessionId: 1, prompt: "p", store }).catch((e) => e);
    expect(isContractError(err, "NotAuthorizedSubmitter")).toBe(true);
    expect(err.args).toEqual({ sessionId: 1, caller: net.address(4) });
    expect(err.shortMessage).toBe(
      `${net.address(4)} may not submit tasks to session 1: only its owner or an authorized submitter can.`,
    );
    expect(err.message).toContain(
      `authorizeSubmitter(client, { network, sessionId: 1, submitter: "${net.address(4)}" })`,
    );
  });

  test("CommitmentMismatch", async () => {
    const { network } = net.deployment;
    const [miner] = await registerMiners(net, [2]);
    const sessionId = await openSession(net, 1, { deposit: parseCor("1"), maxTokens: 10 });
    const { taskId } = await submitTask(net.client(1), { network, sessionId, prompt: "p", store });
    await assignTask(net.client(1), { network, taskId, nodeIds: [miner] });
    const { salt } = await commitResult(net.client(2), { network, taskId, result: "a", tokens: 1 });
    const err = await revealResult(net.client(2), { network, taskId, salt, result: "b", store, tokens: 1 }).catch(
      (e) => e,
    );
    expect(isContractError(err, "CommitmentMismatch")).toBe(true);
    expect(err.args).toEqual({ taskId: taskIdOf(sessionId, 1), slot: 0 });
    expect(err.shortMessage).toMatch(
      /^The reveal of slot 0 of task \d+ \(session \d+ #1\) does not match its commitment/,
    );
  });

  test("withContractErrors wraps a plain viem writeContract", async () => {
    const err = await withContractErrors(() =>
      writeContract(net.client(3), {
        address: net.deployment.network,
        abi: iCorNetworkAbi,
        functionName: "closeSession",
        args: [1],
      }),
    ).catch((e) => e);
    expect(err).toBeInstanceOf(ContractRevertedError);
    expect(err.errorName).toBe("NotSessionOwner");
    expect(err.functionName).toBe("closeSession");
    expect(err.sender).toBe(net.address(3));
    expect(err.data as Hex).toMatch(/^0x/);
  });
});
