import { type Account, type Chain, type Client, type Hash, parseEventLogs, type Transport } from "viem";
import { readContract } from "viem/actions";
import { getAction } from "viem/utils";
import { NotFoundError, type NotFoundErrorType } from "../errors/task.ts";
import { iCorNetworkAbi } from "../generated/abis.ts";
import {
  accountAddress,
  type NetworkWriteErrorType,
  resolveAccount,
  type WriteParameters,
  writeNetwork,
} from "../utils/write.ts";

export type WithdrawRewardsParameters = WriteParameters & {
  /** Node whose rewards to pull; default the signer's current node. Pass it after the node unregistered. */
  nodeId?: number | undefined;
};

export type WithdrawRewardsReturnType = {
  nodeId: number;
  /** COR paid out (wei). */
  amount: bigint;
  hash: Hash;
};

export type WithdrawRewardsErrorType = NetworkWriteErrorType | NotFoundErrorType;

/**
 * Pays a node's unclaimed rewards (miner work, validator and router fees) to its account, the signer.
 *
 * @param client - Client with an account (or pass `account`).
 * @param parameters - {@link WithdrawRewardsParameters}
 * @returns The amount paid. {@link WithdrawRewardsReturnType}
 *
 * @example
 * const { amount } = await withdrawRewards(client, { network: deployment.network })
 */
export async function withdrawRewards<chain extends Chain | undefined, account extends Account | undefined>(
  client: Client<Transport, chain, account>,
  parameters: WithdrawRewardsParameters,
): Promise<WithdrawRewardsReturnType> {
  let nodeId = parameters.nodeId;
  if (nodeId === undefined) {
    const account = accountAddress(resolveAccount(client, parameters.account));
    nodeId = await getAction(
      client,
      readContract,
      "readContract",
    )({ address: parameters.network, abi: iCorNetworkAbi, functionName: "nodeIdOf", args: [account] });
    if (nodeId === 0) {
      throw new NotFoundError({ kind: "node", id: account, details: "the account is not registered: pass nodeId" });
    }
  }
  const { hash, receipt } = await writeNetwork(client, {
    network: parameters.network,
    functionName: "withdrawRewards",
    args: [nodeId],
    account: parameters.account,
    receiptTimeout: parameters.receiptTimeout,
  });
  const [event] = parseEventLogs({ abi: iCorNetworkAbi, logs: receipt.logs, eventName: "RewardsWithdrawn" });
  return { nodeId: event.args.nodeId, amount: event.args.amount, hash };
}
