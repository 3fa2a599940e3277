import { AssignmentMode, type NodeInfo, type TaskInfo } from "@cor-network/sdk";
import type { Hex } from "viem";

/** Fault injection for tests and drills: `garbage` commits nonsense, `silent` never commits. */
export type MinerBehavior = "honest" | "garbage" | "silent";

/** What the miner does with a TaskAssigned naming it, once it has read the task (SDK getTask). */
export type AssignmentStep =
  /** The slot is someone else's now (reassigned after an expiry). */
  | "not-mine"
  /** Committed already (a restart or a replayed event): reveal if the task is revealing. */
  | "committed"
  /** The task left the commit phase (expired, failed, settled): nothing to do. */
  | "closed"
  /** Fault drill: never answer. */
  | "ignore"
  /** Generate, store, journal and commit. */
  | "work";

export const assignmentStepOf = (
  task: Pick<TaskInfo, "status" | "slots">,
  slot: number,
  nodeId: number,
  behavior: MinerBehavior,
): AssignmentStep => {
  const s = task.slots[slot];
  if (!s || s.nodeId !== nodeId) return "not-mine";
  if (s.committed) return "committed";
  if (task.status !== "Committing" && task.status !== "Queued") return "closed";
  return behavior === "silent" ? "ignore" : "work";
};

/**
 * A Claim-mode task this miner should try to claim on TaskSubmitted: its session is Claim mode on this miner's model,
 * the task was not settled in the same batch of events, and the miner answers at all. Eligibility beyond that
 * (offer, reputation, capacity) is the contract's: claimTask reverts with the reason and the claim is lost.
 */
export const shouldClaim = (
  session: { assignment: number; modelId: Hex } | undefined,
  modelId: Hex,
  behavior: MinerBehavior,
  settled: boolean,
): boolean =>
  !settled && session?.assignment === AssignmentMode.Claim && session.modelId === modelId && behavior !== "silent";

/** Why a router may not subscribe to this miner's streams (undefined: it may), from its registration (SDK getNode). */
export const routerRefusal = (node: NodeInfo | undefined, id: number, signer: string): string | undefined => {
  if (!node || node.account.toLowerCase() !== signer.toLowerCase())
    return `Signer ${signer} is not the account of node ${id}`;
  if (node.role !== "Router") return `Node ${id} is not a router`;
  if (node.status !== "Active") return `Router ${id} is not active`;
  return undefined;
};
