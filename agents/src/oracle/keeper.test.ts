import type { SessionInfo, TaskInfo, TaskSlot } from "@cor-network/sdk";
import { describe, expect, it } from "vitest";
import { canFundHealthCheck, healthCheckMiner, keeperActionOf } from "./keeper.ts";

const ZERO = `0x${"0".repeat(64)}` as const;
const slot = (i: number, nodeId: number, flags: Partial<TaskSlot> = {}): TaskSlot => ({
  slot: i,
  nodeId,
  committed: false,
  revealed: false,
  dropped: false,
  tokens: 0,
  hash: ZERO,
  ...flags,
});
const task = (status: TaskInfo["status"], deadline: number, slots: TaskSlot[]): TaskInfo => ({
  taskId: (1n << 32n) | 1n,
  assignerId: 0,
  sessionId: 1,
  index: 1,
  status,
  deadline,
  retries: 0,
  attestations: 0,
  maxTokens: 16,
  slots,
  resultHash: undefined,
  winnerNodeId: undefined,
  winnerSlot: undefined,
  escrow: 0n,
});

describe("keeper decisions (oracle)", () => {
  it("forgets settled tasks and waits until the phase deadline has passed", () => {
    expect(keeperActionOf(task("Finalized", 0, []), 100n)).toEqual({ kind: "forget" });
    expect(keeperActionOf(task("Failed", 0, []), 100n)).toEqual({ kind: "forget" });
    expect(keeperActionOf(task("Committing", 100, [slot(0, 3)]), 100n)).toEqual({ kind: "wait" });
  });

  it("expires the first slot that missed its phase: no commit while Committing, no reveal while Revealing", () => {
    const committing = task("Committing", 50, [slot(0, 3, { committed: true }), slot(1, 4), slot(2, 5)]);
    expect(keeperActionOf(committing, 100n)).toEqual({ kind: "expire", slot: 1, nodeId: 4 });
    const revealing = task("Revealing", 50, [
      slot(0, 3, { committed: true, revealed: true }),
      slot(1, 4, { committed: true, dropped: true }),
      slot(2, 5, { committed: true }),
    ]);
    expect(keeperActionOf(revealing, 100n)).toEqual({ kind: "expire", slot: 2, nodeId: 5 });
    // A vacant slot of a Queued task past its claim window: expiring it fails the task (NoMiners).
    expect(keeperActionOf(task("Queued", 50, [slot(0, 0)]), 100n)).toEqual({ kind: "expire", slot: 0, nodeId: 0 });
  });

  it("finalizes a Validating task past its attest window", () => {
    expect(keeperActionOf(task("Validating", 50, [slot(0, 3, { revealed: true })]), 100n)).toEqual({
      kind: "finalize",
    });
    expect(keeperActionOf(task("Validating", 150, []), 100n)).toEqual({ kind: "wait" });
  });

  it("health checks: a session funds one more check with one task's escrow free; miners take turns", () => {
    const session = { status: "Open", redundancy: 1, pricePerToken: 10n ** 12n, deposit: 16n * 10n ** 12n };
    expect(canFundHealthCheck(session as SessionInfo)).toBe(true);
    expect(canFundHealthCheck({ ...session, deposit: 16n * 10n ** 12n - 1n } as SessionInfo)).toBe(false);
    expect(canFundHealthCheck({ ...session, status: "Closed" } as SessionInfo)).toBe(false);
    expect([0, 1, 2, 3].map((turn) => healthCheckMiner([7, 9], turn))).toEqual([7, 9, 7, 9]);
    expect(healthCheckMiner([], 0)).toBeUndefined();
  });
});
