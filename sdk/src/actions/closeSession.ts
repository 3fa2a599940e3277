import { type Account, type Chain, type Client, type Hash, parseEventLogs, type Transport } from "viem";
import { iCorNetworkAbi } from "../generated/abis.ts";
import { type NetworkWriteErrorType, type WriteParameters, writeNetwork } from "../utils/write.ts";

export type CloseSessionParameters = WriteParameters & {
  sessionId: number;
};

export type CloseSessionReturnType = {
  /** Free balance refunded to the owner now (wei). Escrow of open tasks returns to the deposit when they settle. */
  refund: bigint;
  hash: Hash;
};

export type CloseSessionErrorType = NetworkWriteErrorType;

/**
 * The owner closes a session: no new tasks, the free balance is refunded at once. Escrow still held by open
 * tasks returns to the session's deposit when they settle; take it with {@link withdrawDeposit}.
 *
 * @param client - Client with the owner's account (or pass `account`).
 * @param parameters - {@link CloseSessionParameters}
 * @returns The refund. {@link CloseSessionReturnType}
 *
 * @example
 * const { refund } = await closeSession(client, { network, sessionId: 3 })
 */
export async function closeSession<chain extends Chain | undefined, account extends Account | undefined>(
  client: Client<Transport, chain, account>,
  parameters: CloseSessionParameters,
): Promise<CloseSessionReturnType> {
  const { hash, receipt } = await writeNetwork(client, {
    network: parameters.network,
    functionName: "closeSession",
    args: [parameters.sessionId],
    account: parameters.account,
    receiptTimeout: parameters.receiptTimeout,
  });
  const [event] = parseEventLogs({ abi: iCorNetworkAbi, logs: receipt.logs, eventName: "SessionClosed" });
  return { refund: event.args.refund, hash };
}
