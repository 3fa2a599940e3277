import { type Account, type Chain, type Client, type Hash, parseEventLogs, type Transport } from "viem";
import { iCorNetworkAbi } from "../generated/abis.ts";
import { type TaskStatusName, taskStatusNameOf } from "../utils/enums.ts";
import { settlementOf, type TaskSettlement } from "../utils/settlement.ts";
import { type NetworkWriteErrorType, type WriteParameters, writeNetwork } from "../utils/write.ts";

export type ExpireSlotParameters = WriteParameters & {
  /** A Queued, Committing or Revealing task whose phase deadline has passed. */
  taskId: bigint;
  /** The late slot (0..R-1). */
  slot: number;
};

export type ExpireSlotReturnType = TaskSettlement & {
  /**
   * The miner that missed its deadline, when the slot held one: `phase` is the phase it missed, `retries` the
   * task's reassignments so far. Undefined for a vacant slot (the task then fails with NoMiners).
   */
  expired: { nodeId: number; phase: TaskStatusName; retries: number } | undefined;
  hash: Hash;
};

export type ExpireSlotErrorType = NetworkWriteErrorType;

/**
 * Anyone expires a slot whose deadline passed (contract `expire`): a late committer is removed and the task goes
 * back to the queue (or to the next dedicated miner) until the retry limit fails it; a late revealer is dropped and
 * slashed; a vacant slot fails the task. Reverts `DeadlineNotPassed` (retryable), `NothingToExpire`,
 * `InvalidSlot`, `WrongPhase`.
 *
 * @param client - Client with an account (or pass `account`).
 * @param parameters - {@link ExpireSlotParameters}
 * @returns Who expired and the status after. {@link ExpireSlotReturnType}
 *
 * @example
 * const { expired, status } = await expireSlot(client, { network: deployment.network, taskId, slot: 1 })
 */
export async function expireSlot<chain extends Chain | undefined, account extends Account | undefined>(
  client: Client<Transport, chain, account>,
  parameters: ExpireSlotParameters,
): Promise<ExpireSlotReturnType> {
  const { network, taskId, slot } = parameters;
  const { hash, receipt } = await writeNetwork(client, {
    network,
    functionName: "expire",
    args: [taskId, slot],
    account: parameters.account,
    receiptTimeout: parameters.receiptTimeout,
  });
  const [event] = parseEventLogs({ abi: iCorNetworkAbi, logs: receipt.logs, eventName: "SlotExpired" }).filter(
    (log) => log.args.taskId === taskId,
  );
  const phase = event ? taskStatusNameOf(event.args.phase) : undefined;
  return {
    expired: event && phase ? { nodeId: event.args.nodeId, phase, retries: event.args.retries } : undefined,
    ...settlementOf(receipt.logs, taskId, phase ?? "Queued"),
    hash,
  };
}
