import { type Account, type Chain, type Client, type Hash, parseEventLogs, type Transport } from "viem";
import { iCorNetworkAbi } from "../generated/abis.ts";
import { type NetworkWriteErrorType, type WriteParameters, writeNetwork } from "../utils/write.ts";

export type WithdrawDepositParameters = WriteParameters & {
  sessionId: number;
  /** COR (wei) to take from the free balance (not from what open tasks hold). */
  amount: bigint;
};

export type WithdrawDepositReturnType = {
  /** The session's free balance after the withdrawal (wei). */
  deposit: bigint;
  hash: Hash;
};

export type WithdrawDepositErrorType = NetworkWriteErrorType;

/**
 * The session owner withdraws part of the free balance (open or closed session): e.g. escrow that came back
 * after closing, when tasks settled.
 *
 * @param client - Client with the owner's account (or pass `account`).
 * @param parameters - {@link WithdrawDepositParameters}
 * @returns The remaining free balance. {@link WithdrawDepositReturnType}
 *
 * @example
 * await withdrawDeposit(client, { network, sessionId: 3, amount: parseCor('1') })
 */
export async function withdrawDeposit<chain extends Chain | undefined, account extends Account | undefined>(
  client: Client<Transport, chain, account>,
  parameters: WithdrawDepositParameters,
): Promise<WithdrawDepositReturnType> {
  const { hash, receipt } = await writeNetwork(client, {
    network: parameters.network,
    functionName: "withdrawDeposit",
    args: [parameters.sessionId, parameters.amount],
    account: parameters.account,
    receiptTimeout: parameters.receiptTimeout,
  });
  const [event] = parseEventLogs({ abi: iCorNetworkAbi, logs: receipt.logs, eventName: "SessionWithdrawn" });
  return { deposit: event.args.deposit, hash };
}
