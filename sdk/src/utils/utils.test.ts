import { encodeAbiParameters, keccak256 } from "viem";
import { expect, test } from "vitest";
import * as protocol from "../protocol.ts";
import { computeCid } from "../storage/index.ts";
import { networkAbiWithErrors } from "./abi.ts";
import * as enums from "./enums.ts";
import { commitmentOf, contentHashOf } from "./hash.ts";
import { indexOfTask, sessionOfTask, toTaskId } from "./ids.ts";
import { displayCor, formatCor, parseCor } from "./units.ts";
import { networkCall, tokenCall } from "./write.ts";

test("the browser-safe enum copies equal protocol.ts", () => {
  expect(enums.Role).toEqual(protocol.Role);
  expect(enums.NodeStatus).toEqual(protocol.NodeStatus);
  expect(enums.ValidationMode).toEqual(protocol.ValidationMode);
  expect(enums.AssignmentMode).toEqual(protocol.AssignmentMode);
  expect(enums.SessionStatus).toEqual(protocol.SessionStatus);
  expect(enums.TaskStatus).toEqual(protocol.TaskStatus);
  expect(enums.Outcome).toEqual(protocol.Outcome);
  expect(enums.FailReason).toEqual(protocol.FailReason);
});

test("enum names and values convert both ways", () => {
  expect(enums.roleName(1)).toBe("Miner");
  expect(enums.taskStatusNameOf(5)).toBe("Finalized");
  expect(enums.failReasonName(1)).toBe("RetriesExhausted");
  expect(enums.roleValue("Validator")).toBe(3);
  expect(enums.validationModeValue(2)).toBe(2);
  // @ts-expect-error: not an AssignmentMode (a JavaScript caller can still pass it)
  expect(() => enums.assignmentModeValue("Auction")).toThrow(
    'Unknown AssignmentMode "Auction": use one of Router, Claim, Dedicated',
  );
  expect(() => enums.taskStatusNameOf(9)).toThrow(RangeError);
});

test("task id helpers equal protocol.ts", () => {
  const id = toTaskId(3, 7);
  expect(id).toBe(protocol.taskIdOf(3, 7));
  expect(sessionOfTask(id)).toBe(3);
  expect(indexOfTask(id)).toBe(7);
});

test("COR units", async () => {
  expect(parseCor("1.5")).toBe(1_500_000_000_000_000_000n);
  expect(parseCor(2)).toBe(2_000_000_000_000_000_000n);
  expect(formatCor(1_200_000_000_000_000_000n)).toBe("1.2");
  expect(displayCor(500_000_000_000_000_000n)).toBe("0.5 COR");
  // Content hashes are keccak256 of the exact bytes stored under the CID.
  expect(await computeCid("x")).toMatch(/^bafk/);
});

test("the browser-safe hash copies equal protocol.ts", () => {
  const bytes = new Uint8Array([0, 1, 2, 255]);
  expect(contentHashOf(bytes)).toBe(protocol.contentHash(bytes));
  expect(contentHashOf("héllo")).toBe(protocol.contentHash("héllo"));
  // One definition: protocol.ts re-exports the browser-safe commitment.
  expect(protocol.commitmentOf).toBe(commitmentOf);
});

test("the commitment binds task, miner, result hash, token count and salt (abi.encode, as the contract)", () => {
  const salt = `0x${"11".repeat(32)}` as const;
  const miner = "0x70997970C51812dc3A010C7d01b50e0d17dc79C8";
  const h = contentHashOf("r");
  const expected = keccak256(
    encodeAbiParameters(
      [{ type: "uint256" }, { type: "address" }, { type: "bytes32" }, { type: "uint32" }, { type: "bytes32" }],
      [9n, miner, h, 42, salt],
    ),
  );
  expect(commitmentOf(9n, miner, h, 42, salt)).toBe(expected);
  expect(commitmentOf(9n, miner, h, 43, salt)).not.toBe(expected);
});

test("networkCall and tokenCall are typed on the ABI and pass the call on as given", () => {
  const network = "0x00000000000000000000000000000000000000C0";
  const token = "0x00000000000000000000000000000000000000C1";
  const call = networkCall(network, "assignTask", [toTaskId(3, 1), [1, 2]]);
  expect(call).toEqual({
    address: network,
    abi: networkAbiWithErrors,
    functionName: "assignTask",
    args: [toTaskId(3, 1), [1, 2]],
  });
  expect(tokenCall(token, "approve", [network, 5n])).toMatchObject({ address: token, args: [network, 5n] });
  // What the casts in the write paths used to hide: each of these is a type error (tsc, which `npm test` runs).
  // @ts-expect-error: no such network function
  networkCall(network, "assign", [1n, [1]]);
  // @ts-expect-error: assignTask takes (taskId, nodeIds)
  networkCall(network, "assignTask", [1n]);
  // @ts-expect-error: getTask is a view, not a write
  networkCall(network, "getTask", [1n]);
  // @ts-expect-error: the token's approve takes (spender, amount)
  tokenCall(token, "approve", [network]);
});
