import { type Account, type Chain, type Client, type Hash, parseEventLogs, type Transport } from "viem";
import { iCorNetworkAbi } from "../generated/abis.ts";
import { type NetworkWriteErrorType, type WriteParameters, writeNetwork } from "../utils/write.ts";

export type WithdrawStakeParameters = WriteParameters;

export type WithdrawStakeReturnType = {
  nodeId: number;
  /** Stake returned (wei). */
  amount: bigint;
  hash: Hash;
};

export type WithdrawStakeErrorType = NetworkWriteErrorType;

/**
 * Ends the signer's registration once the exit cooldown is over: Exiting → Unregistered, stake returned.
 * Unclaimed rewards stay claimable with {@link withdrawRewards} (pass the old node id).
 *
 * @param client - Client with an account (or pass `account`).
 * @param parameters - {@link WithdrawStakeParameters}
 * @returns The stake returned. {@link WithdrawStakeReturnType}
 *
 * @example
 * await requestExit(client, { network })
 * // ... after params.unstakeCooldown seconds
 * const { amount } = await withdrawStake(client, { network })
 */
export async function withdrawStake<chain extends Chain | undefined, account extends Account | undefined>(
  client: Client<Transport, chain, account>,
  parameters: WithdrawStakeParameters,
): Promise<WithdrawStakeReturnType> {
  const { hash, receipt } = await writeNetwork(client, {
    network: parameters.network,
    functionName: "withdrawStake",
    args: [],
    account: parameters.account,
    receiptTimeout: parameters.receiptTimeout,
  });
  const [event] = parseEventLogs({ abi: iCorNetworkAbi, logs: receipt.logs, eventName: "NodeUnregistered" });
  return { nodeId: event.args.nodeId, amount: event.args.stakeReturned, hash };
}
