import { escrowOf, isTerminalStatus, type SessionInfo, type TaskInfo } from "@cor-network/sdk";

/** What the keeper does for one open task, decided from its state on chain and chain time. */
export type KeeperAction =
  | { kind: "forget" }
  | { kind: "wait" }
  | { kind: "finalize" }
  | { kind: "expire"; slot: number; nodeId: number };

/**
 * The keeper's decision for a task (SDK getTask) at chain time `now`: settled tasks are forgotten; nothing happens
 * before the phase deadline; a Validating task past its attest window is finalized; otherwise the first late slot
 * is expired (the contract's `expire` rule: a slot that has not committed while Queued/Committing, or neither
 * revealed nor been dropped while Revealing). One slot per decision: an expiry can reassign, settle or fail the task,
 * so the caller reads the task again before the next one.
 */
export const keeperActionOf = (task: TaskInfo, now: bigint): KeeperAction => {
  if (isTerminalStatus(task.status)) return { kind: "forget" };
  if (BigInt(task.deadline) >= now) return { kind: "wait" };
  if (task.status === "Validating") return { kind: "finalize" };
  const late = task.slots.find((s) => (task.status === "Revealing" ? !s.revealed && !s.dropped : !s.committed));
  return late ? { kind: "expire", slot: late.slot, nodeId: late.nodeId } : { kind: "wait" };
};

/** Output tokens of one health-check task. */
export const HEALTH_CHECK_TOKENS = 16;

/** Can this health-check session (R=1) still fund a check: open, with the escrow of one task free? */
export const canFundHealthCheck = (session: SessionInfo): boolean =>
  session.status === "Open" &&
  session.deposit >= escrowOf(session.redundancy, HEALTH_CHECK_TOKENS, session.pricePerToken);

/** Round robin over the eligible miners: the `turn`-th check goes to this one (undefined when there is none). */
export const healthCheckMiner = (candidates: readonly number[], turn: number): number | undefined =>
  candidates.length ? candidates[turn % candidates.length] : undefined;
