import { iCorNetworkAbi, type NodeInfo, type TaskSlot } from "@cor-network/sdk";
import { ContractFunctionExecutionError, ContractFunctionRevertedError, encodeErrorResult, type Hex } from "viem";
import { describe, expect, it } from "vitest";
import type { RevealItem } from "../shared/batch.ts";
import type { Journal } from "../shared/journal.ts";
import { createLogger } from "../shared/logger.ts";
import { assignmentStepOf, routerRefusal, shouldClaim } from "./assignment.ts";
import { createRevealHandler, type Pending, revealItemOf } from "./reveal.ts";

const H = (b: string) => `0x${b.repeat(32)}` as Hex;
const slot = (i: number, nodeId: number, committed = false): TaskSlot => ({
  slot: i,
  nodeId,
  committed,
  revealed: false,
  dropped: false,
  tokens: 0,
  hash: H("00"),
});

/** The error viem raises when `reveal` reverts with the given revert data (decoded on its way out of the sender). */
const reverted = (data: Hex) =>
  new ContractFunctionExecutionError(
    new ContractFunctionRevertedError({ abi: iCorNetworkAbi, data, functionName: "reveal" }),
    { abi: iCorNetworkAbi, functionName: "reveal", args: [] },
  );
const alreadyRevealed = encodeErrorResult({ abi: iCorNetworkAbi, errorName: "AlreadyRevealed", args: [1n, 1] });
const notAssigned = encodeErrorResult({
  abi: iCorNetworkAbi,
  errorName: "NotAssigned",
  args: [2n, 1, "0x0000000000000000000000000000000000000001"],
});
const memoryJournal = (): Journal<Pending> => {
  const data = new Map<string, Pending>();
  return {
    get: (k) => data.get(k),
    set: (k, v) => void data.set(k, v),
    delete: (k) => void data.delete(k),
    entries: () => [...data.entries()],
  };
};
const pending: Pending = { slot: 1, resultHash: H("aa"), salt: H("bb"), cid: "bafy-result", tokens: 12 };
const logger = createLogger("test", {});

describe("miner assignment handler: what to do with an assignment", () => {
  it("works a fresh slot of its own, reveals a committed one, leaves others' and closed tasks alone", () => {
    const task = { status: "Committing" as const, slots: [slot(0, 4), slot(1, 7)] };
    expect(assignmentStepOf(task, 1, 7, "honest")).toBe("work");
    expect(assignmentStepOf(task, 0, 7, "honest")).toBe("not-mine"); // reassigned after an expiry
    expect(assignmentStepOf(task, 5, 7, "honest")).toBe("not-mine");
    expect(assignmentStepOf(task, 1, 7, "silent")).toBe("ignore");
    expect(assignmentStepOf({ status: "Revealing", slots: [slot(0, 7, true)] }, 0, 7, "honest")).toBe("committed");
    expect(assignmentStepOf({ status: "Failed", slots: [slot(0, 7)] }, 0, 7, "honest")).toBe("closed");
    expect(assignmentStepOf({ status: "Queued", slots: [slot(0, 7)] }, 0, 7, "garbage")).toBe("work");
  });

  it("claims Claim-mode tasks on its model only, unless settled already or silent", () => {
    const claim = { assignment: 1, modelId: H("11") };
    expect(shouldClaim(claim, H("11"), "honest", false)).toBe(true);
    expect(shouldClaim(claim, H("22"), "honest", false)).toBe(false);
    expect(shouldClaim({ ...claim, assignment: 0 }, H("11"), "honest", false)).toBe(false);
    expect(shouldClaim(claim, H("11"), "honest", true)).toBe(false);
    expect(shouldClaim(claim, H("11"), "silent", false)).toBe(false);
    expect(shouldClaim(undefined, H("11"), "honest", false)).toBe(false);
  });

  it("streams only to an active router whose account signed", () => {
    const router = { account: "0xAbC0000000000000000000000000000000000001", role: "Router", status: "Active" };
    const node = (n: Partial<NodeInfo>) => ({ ...router, ...n }) as NodeInfo;
    expect(routerRefusal(node({}), 3, "0xabc0000000000000000000000000000000000001")).toBeUndefined();
    expect(routerRefusal(node({}), 3, "0x0000000000000000000000000000000000000002")).toMatch(/not the account/);
    expect(routerRefusal(undefined, 3, router.account)).toMatch(/not the account of node 3/);
    expect(routerRefusal(node({ role: "Miner" }), 3, router.account)).toBe("Node 3 is not a router");
    expect(routerRefusal(node({ status: "Jailed" }), 3, router.account)).toBe("Router 3 is not active");
  });
});

describe("miner reveal handler", () => {
  it("reveals a journaled commitment once and marks it revealed", async () => {
    const journal = memoryJournal();
    journal.set("9", pending);
    const sent: RevealItem[] = [];
    const reveal = createRevealHandler({ journal, reveal: async (item) => sent.push(item), logger });
    await reveal(9n);
    await reveal(9n); // the TaskPhaseChanged after the commit's own check: nothing more to send
    expect(sent).toEqual([
      { taskId: 9n, slot: 1, resultHash: H("aa"), salt: H("bb"), tokens: 12, resultCid: "bafy-result" },
    ]);
    expect(journal.get("9")?.revealed).toBe(true);
    expect(revealItemOf(9n, { ...pending, withhold: true })).toBeUndefined(); // drills that withhold
  });

  it("a moot reveal (AlreadyRevealed) closes the entry; any other revert keeps it for the next try", async () => {
    const journal = memoryJournal();
    journal.set("1", pending);
    journal.set("2", pending);
    const fail = (err: unknown) => async () => Promise.reject(err);
    await createRevealHandler({ journal, reveal: fail(reverted(alreadyRevealed)), logger })(1n);
    await createRevealHandler({ journal, reveal: fail(reverted(notAssigned)), logger })(2n);
    expect(journal.get("1")?.revealed).toBe(true);
    expect(journal.get("2")?.revealed).toBeUndefined();
  });
});
