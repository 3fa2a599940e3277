import { type Hex, type Log, parseEventLogs } from "viem";
import { iCorNetworkAbi } from "../generated/abis.ts";
import { type FailReasonName, failReasonName, type TaskStatusName, taskStatusNameOf } from "./enums.ts";

/** The task's state after a transaction that can settle it (reveal, attest, expire, finalize). */
export type TaskSettlement = {
  /** Task status after the transaction. */
  status: TaskStatusName;
  /** Present when this transaction finalized the task. */
  finalized?: { winnerSlot: number; winnerNodeId: number; resultHash: Hex; paid: bigint; refund: bigint } | undefined;
  /** Present when this transaction failed the task. */
  failed?: { reason: FailReasonName; refund: bigint } | undefined;
};

/**
 * Reads a task's status changes from a receipt's logs: phase changes, (re)assignments, finalization or failure.
 * `status` is the status to report when the receipt holds none of these events.
 * @internal
 */
export function settlementOf(logs: readonly Log[], taskId: bigint, status: TaskStatusName): TaskSettlement {
  const settlement: TaskSettlement = { status };
  const events = parseEventLogs({
    abi: iCorNetworkAbi,
    logs: logs as Log[],
    eventName: ["TaskAssigned", "TaskPhaseChanged", "TaskFinalized", "TaskFailed"],
  });
  for (const log of events) {
    if (log.args.taskId !== taskId) continue;
    if (log.eventName === "TaskAssigned" || log.eventName === "TaskPhaseChanged") {
      settlement.status = taskStatusNameOf(log.args.status);
    } else if (log.eventName === "TaskFinalized") {
      settlement.status = "Finalized";
      settlement.finalized = {
        winnerSlot: log.args.winnerSlot,
        winnerNodeId: log.args.winnerNodeId,
        resultHash: log.args.resultHash,
        paid: log.args.paid,
        refund: log.args.refund,
      };
    } else {
      settlement.status = "Failed";
      settlement.failed = { reason: failReasonName(log.args.reason), refund: log.args.refund };
    }
  }
  return settlement;
}
