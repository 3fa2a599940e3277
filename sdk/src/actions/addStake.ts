import {
  type Account,
  type Chain,
  type Client,
  type Hash,
  parseEventLogs,
  type Transport,
  type WaitForTransactionReceiptErrorType,
  type WriteContractErrorType,
} from "viem";
import type { ContractRevertedErrorType } from "../errors/contract.ts";
import type { AccountRequiredErrorType } from "../errors/task.ts";
import { iCorNetworkAbi } from "../generated/abis.ts";
import { ensureAllowance, resolveToken } from "../utils/allowance.ts";
import { type AnyClient, type ApproveParameters, type WriteParameters, writeNetwork } from "../utils/write.ts";

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

export type AddStakeErrorType =
  | ContractRevertedErrorType
  | AccountRequiredErrorType
  | WriteContractErrorType
  | WaitForTransactionReceiptErrorType;

/**
 * Adds stake to the signer's node (approving the network first when needed). A jailed node back at the minimum
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
  const c = client as AnyClient;
  const { network, amount, approve = true } = parameters;
  let approvalHash: Hash | undefined;
  if (approve) {
    const token = await resolveToken(c, network, parameters.token);
    approvalHash = await ensureAllowance(c, {
      token,
      spender: network,
      amount,
      account: parameters.account,
      receiptTimeout: parameters.receiptTimeout,
    });
  }
  const { hash, receipt } = await writeNetwork(c, {
    network,
    functionName: "addStake",
    args: [amount],
    account: parameters.account,
    receiptTimeout: parameters.receiptTimeout,
  });
  const [event] = parseEventLogs({ abi: iCorNetworkAbi, logs: receipt.logs, eventName: "StakeAdded" });
  return { nodeId: event.args.nodeId, stake: event.args.stake, hash, approvalHash };
}
