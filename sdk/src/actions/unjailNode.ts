import { type Account, type Chain, type Client, type Hash, parseEventLogs, type Transport } from "viem";
import { iCorNetworkAbi } from "../generated/abis.ts";
import { type NetworkWriteErrorType, type WriteParameters, writeNetwork } from "../utils/write.ts";

export type UnjailNodeParameters = WriteParameters;

export type UnjailNodeReturnType = { nodeId: number; hash: Hash };

export type UnjailNodeErrorType = NetworkWriteErrorType;

/**
 * Returns the signer's Jailed node to Active (contract `unjail`) once the jail time is over and its stake is back
 * at the role's minimum ({@link addStake} first after a slash). Reverts `WrongNodeStatus` (not jailed),
 * `CooldownActive` (retryable, `until`), `StakeBelowMinimum`.
 *
 * @param client - Client with the node's account (or pass `account`).
 * @param parameters - {@link UnjailNodeParameters}
 * @returns The node id. {@link UnjailNodeReturnType}
 *
 * @example
 * await addStake(client, { network: deployment.network, amount: parseCor('10') })
 * await unjailNode(client, { network: deployment.network })
 */
export async function unjailNode<chain extends Chain | undefined, account extends Account | undefined>(
  client: Client<Transport, chain, account>,
  parameters: UnjailNodeParameters,
): Promise<UnjailNodeReturnType> {
  const { hash, receipt } = await writeNetwork(client, {
    network: parameters.network,
    functionName: "unjail",
    args: [],
    account: parameters.account,
    receiptTimeout: parameters.receiptTimeout,
  });
  const [event] = parseEventLogs({ abi: iCorNetworkAbi, logs: receipt.logs, eventName: "NodeUnjailed" });
  return { nodeId: event.args.nodeId, hash };
}
