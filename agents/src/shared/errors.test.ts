import { contractErrorOf, iCorNetworkAbi } from "@cor-network/sdk";
import {
  CallExecutionError,
  ContractFunctionExecutionError,
  ContractFunctionRevertedError,
  encodeErrorResult,
  HttpRequestError,
  NonceTooLowError,
} from "viem";
import { describe, expect, it } from "vitest";
import { AgentError, isRetryable, revertName } from "./errors.ts";

/** The error viem throws when simulating `commit` reverts with `WrongPhase(taskId, status)`. */
const wrongPhase = () => {
  const data = encodeErrorResult({ abi: iCorNetworkAbi, errorName: "WrongPhase", args: [7n, 3] });
  const reverted = new ContractFunctionRevertedError({ abi: iCorNetworkAbi, data, functionName: "commit" });
  return new ContractFunctionExecutionError(reverted, { abi: iCorNetworkAbi, functionName: "commit", args: [7n, 0] });
};

/** What a call looks like while the RPC is down (fetch failed, wrapped by viem). */
const rpcDown = () => {
  const cause = Object.assign(new Error("fetch failed"), { cause: { code: "ECONNREFUSED" } });
  const http = new HttpRequestError({ url: "http://127.0.0.1:9", cause });
  return new ContractFunctionExecutionError(new CallExecutionError(http, {}), {
    abi: iCorNetworkAbi,
    functionName: "commit",
    args: [7n, 0],
  });
};

describe("agent error classification", () => {
  it("names a revert by its decoded custom error, through any cause chain", () => {
    expect(revertName(wrongPhase())).toBe("WrongPhase");
    expect(revertName(new AgentError("commit failed", { cause: wrongPhase() }))).toBe("WrongPhase");
    expect(contractErrorOf(wrongPhase(), ["AlreadyRevealed", "WrongPhase"])?.args.taskId).toBe(7n);
    expect(contractErrorOf(wrongPhase(), "AlreadyRevealed")).toBeUndefined();
    expect(revertName(rpcDown())).toBeUndefined();
    expect(revertName(new Error("WrongPhase"))).toBeUndefined(); // text is never parsed
  });

  it("retries transport failures, timeouts and nonce races; never reverts or plain errors", () => {
    expect(isRetryable(rpcDown())).toBe(true);
    expect(isRetryable(new NonceTooLowError())).toBe(true);
    expect(isRetryable(Object.assign(new Error("socket"), { code: "ECONNRESET" }))).toBe(true);
    expect(isRetryable(wrongPhase())).toBe(false);
    expect(isRetryable(new Error("something else"))).toBe(false);
    expect(isRetryable(new AgentError("later", { retryable: true }))).toBe(true);
    expect(isRetryable(new AgentError("bad input"))).toBe(false);
  });
});
