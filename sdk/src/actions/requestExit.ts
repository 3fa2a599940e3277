import { type Account, type Chain, type Client, type Hash, parseEventLogs, type Transport } from "viem";
import { iCorNetworkAbi } from "../generated/abis.ts";
import { type NetworkWriteErrorType, type WriteParameters, writeNetwork } from "../utils/write.ts";

export type RequestExitParameters = WriteParameters;

export type RequestExitReturnType = {
  nodeId: number;
  /** Unix seconds after which withdrawStake returns the stake. */
  until: number;
  hash: Hash;
};

export type RequestExitErrorType = NetworkWriteErrorType;

/**
 * Starts the signer's node exit: Active or Jailed → Exiting. No new work is assigned; committed work may still be
 * revealed. The stake comes back with {@link withdrawStake} after the cooldown.
 *
 * @param client - Client with an account (or pass `account`).
 * @param parameters - {@link RequestExitParameters}
 * @returns When the cooldown ends. {@link RequestExitReturnType}
 *
 * @example
 * const { until } = await requestExit(client, { network: deployment.network })
 */
export async function requestExit<chain extends Chain | undefined, account extends Account | undefined>(
  client: Client<Transport, chain, account>,
  parameters: RequestExitParameters,
): Promise<RequestExitReturnType> {
  const { hash, receipt } = await writeNetwork(client, {
    network: parameters.network,
    functionName: "requestExit",
    args: [],
    account: parameters.account,
    receiptTimeout: parameters.receiptTimeout,
  });
  const [event] = parseEventLogs({ abi: iCorNetworkAbi, logs: receipt.logs, eventName: "ExitRequested" });
  return { nodeId: event.args.nodeId, until: Number(event.args.until), hash };
}
