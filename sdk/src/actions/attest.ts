import { type Account, type Chain, type Client, type Hash, parseEventLogs, type Transport } from "viem";
import { iCorNetworkAbi } from "../generated/abis.ts";
import { settlementOf, type TaskSettlement } from "../utils/settlement.ts";
import { type NetworkWriteErrorType, type WriteParameters, writeNetwork } from "../utils/write.ts";

export type AttestParameters = WriteParameters & {
  /** A Validating task (Embedding or Replay session). */
  taskId: bigint;
  /**
   * One score per slot, in slot order, 0..10000 (basis points; the session's `threshold` accepts). Slots without a
   * result are ignored (send 0); identical results must get the same score (`InconsistentScores` otherwise).
   */
  scores: readonly number[];
};

export type AttestReturnType = TaskSettlement & {
  /** The attesting validator's node id. */
  validatorId: number;
  hash: Hash;
};

export type AttestErrorType = NetworkWriteErrorType;

/**
 * Validator side: posts the signer's score per slot for a Validating task before its attest deadline. The
 * quorum-th attestation settles the task (`finalized` or `failed` in the result); validators far from the median
 * are slashed. Reverts `NotValidator`, `AlreadyAttested`, `ScoresLengthMismatch`, `ScoreOutOfRange`,
 * `InconsistentScores`, `DeadlinePassed`, `WrongPhase`.
 *
 * @param client - Client with an Active validator's account (or pass `account`).
 * @param parameters - {@link AttestParameters}
 * @returns The status after the attestation. {@link AttestReturnType}
 *
 * @example
 * const { status, finalized } = await attest(client, { network: deployment.network, taskId, scores: [9400, 1200] })
 */
export async function attest<chain extends Chain | undefined, account extends Account | undefined>(
  client: Client<Transport, chain, account>,
  parameters: AttestParameters,
): Promise<AttestReturnType> {
  const { network, taskId } = parameters;
  const { hash, receipt } = await writeNetwork(client, {
    network,
    functionName: "attest",
    args: [taskId, [...parameters.scores]],
    account: parameters.account,
    receiptTimeout: parameters.receiptTimeout,
  });
  const [event] = parseEventLogs({ abi: iCorNetworkAbi, logs: receipt.logs, eventName: "Attested" });
  return { validatorId: event.args.validatorId, ...settlementOf(receipt.logs, taskId, "Validating"), hash };
}
