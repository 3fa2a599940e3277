import type { Account, Chain, Client, Hash, Transport } from "viem";
import { settlementOf, type TaskSettlement } from "../utils/settlement.ts";
import { type NetworkWriteErrorType, type WriteParameters, writeNetwork } from "../utils/write.ts";

export type FinalizeTaskParameters = WriteParameters & {
  /** A Validating task whose attest deadline has passed below quorum. */
  taskId: bigint;
};

export type FinalizeTaskReturnType = TaskSettlement & { hash: Hash };

export type FinalizeTaskErrorType = NetworkWriteErrorType;

/**
 * Anyone (the oracle agent, usually) closes a Validating task that missed its validator quorum after the attest
 * deadline: no verdict, every revealed result is paid (Unverified), nobody is slashed, and the task fails with
 * `NoQuorum`. Reverts `DeadlineNotPassed` (retryable) before the deadline and `WrongPhase` once settled.
 *
 * @param client - Client with an account (or pass `account`).
 * @param parameters - {@link FinalizeTaskParameters}
 * @returns The settlement: `status` "Failed" and `failed.reason` "NoQuorum". {@link FinalizeTaskReturnType}
 *
 * @example
 * const { failed } = await finalizeTask(client, { network: deployment.network, taskId })
 */
export async function finalizeTask<chain extends Chain | undefined, account extends Account | undefined>(
  client: Client<Transport, chain, account>,
  parameters: FinalizeTaskParameters,
): Promise<FinalizeTaskReturnType> {
  const { network, taskId } = parameters;
  const { hash, receipt } = await writeNetwork(client, {
    network,
    functionName: "finalize",
    args: [taskId],
    account: parameters.account,
    receiptTimeout: parameters.receiptTimeout,
  });
  return { ...settlementOf(receipt.logs, taskId, "Validating"), hash };
}
