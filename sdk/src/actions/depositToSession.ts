import { type Account, type Chain, type Client, type Hash, parseEventLogs, type Transport } from "viem";
import { iCorNetworkAbi } from "../generated/abis.ts";
import { writeNetworkPulling } from "../utils/allowance.ts";
import type { ApproveParameters, NetworkWriteErrorType, WriteParameters } from "../utils/write.ts";

export type DepositToSessionParameters = WriteParameters &
  ApproveParameters & {
    sessionId: number;
    /** COR (wei) to add to the session's free balance. */
    amount: bigint;
  };

export type DepositToSessionReturnType = {
  /** The session's free balance after the top-up (wei). */
  deposit: bigint;
  hash: Hash;
  approvalHash: Hash | undefined;
};

export type DepositToSessionErrorType = NetworkWriteErrorType;

/**
 * Tops up an open session (anyone may). Approves the network first when needed (after simulating the deposit: a
 * deposit that would revert throws before any approval).
 *
 * @param client - Client with an account (or pass `account`).
 * @param parameters - {@link DepositToSessionParameters}
 * @returns The new free balance. {@link DepositToSessionReturnType}
 *
 * @example
 * const { deposit } = await depositToSession(client, { network, sessionId: 3, amount: parseCor('5') })
 */
export async function depositToSession<chain extends Chain | undefined, account extends Account | undefined>(
  client: Client<Transport, chain, account>,
  parameters: DepositToSessionParameters,
): Promise<DepositToSessionReturnType> {
  const { network, sessionId, amount, approve = true } = parameters;
  const { hash, receipt, approvalHash } = await writeNetworkPulling(client, {
    network,
    amount: amount,
    token: parameters.token,
    approve,
    functionName: "deposit",
    args: [sessionId, amount],
    account: parameters.account,
    receiptTimeout: parameters.receiptTimeout,
  });
  const [event] = parseEventLogs({ abi: iCorNetworkAbi, logs: receipt.logs, eventName: "SessionDeposited" });
  return { deposit: event.args.deposit, hash, approvalHash };
}
