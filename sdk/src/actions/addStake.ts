import { type Account, type Chain, type Client, type Hash, parseEventLogs, type Transport } from "viem";
import { iCorNetworkAbi } from "../generated/abis.ts";
import { writeNetworkPulling } from "../utils/allowance.ts";
import type { ApproveParameters, NetworkWriteErrorType, WriteParameters } from "../utils/write.ts";

export type AddStakeParameters = WriteParameters &
  ApproveParameters & {
    /** COR (wei) to add to the signer's node stake. */
    amount: bigint;
  };

export type AddStakeReturnType = {
  nodeId: number;
  /** The node's stake after the top-up (wei). */
  stake: bigint;
  hash: Hash;
  approvalHash: Hash | undefined;
};

export type AddStakeErrorType = NetworkWriteErrorType;

/**
 * Adds stake to the signer's node (approving the network first when needed, after a simulation: a call that would
 * revert throws before any approval). A jailed node back at the minimum
 * stake may then unjail.
 *
 * @param client - Client with an account (or pass `account`).
 * @param parameters - {@link AddStakeParameters}
 * @returns The new total stake. {@link AddStakeReturnType}
 *
 * @example
 * const { stake } = await addStake(client, { network: deployment.network, amount: parseCor('50') })
 */
export async function addStake<chain extends Chain | undefined, account extends Account | undefined>(
  client: Client<Transport, chain, account>,
  parameters: AddStakeParameters,
): Promise<AddStakeReturnType> {
  const { network, amount, approve = true } = parameters;
  const { hash, receipt, approvalHash } = await writeNetworkPulling(client, {
    network,
    amount: amount,
    token: parameters.token,
    approve,
    functionName: "addStake",
    args: [amount],
    account: parameters.account,
    receiptTimeout: parameters.receiptTimeout,
  });
  const [event] = parseEventLogs({ abi: iCorNetworkAbi, logs: receipt.logs, eventName: "StakeAdded" });
  return { nodeId: event.args.nodeId, stake: event.args.stake, hash, approvalHash };
}
