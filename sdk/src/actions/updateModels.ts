import { type Account, type Chain, type Client, type Hash, type Hex, parseEventLogs, type Transport } from "viem";
import { iCorNetworkAbi } from "../generated/abis.ts";
import { type NetworkWriteErrorType, type WriteParameters, writeNetwork } from "../utils/write.ts";

export type UpdateModelsParameters = WriteParameters & {
  /** Registered model ids to start serving (default none). */
  added?: readonly Hex[] | undefined;
  /** Model ids to stop serving (default none). */
  removed?: readonly Hex[] | undefined;
};

export type UpdateModelsReturnType = { nodeId: number; added: readonly Hex[]; removed: readonly Hex[]; hash: Hash };

export type UpdateModelsErrorType = NetworkWriteErrorType;

/**
 * Miner side: changes the models the signer's node serves. Reverts `NotRegistered`, `InvalidRole` (not a miner),
 * `UnknownModel`, `TooManyModels`, `NoModels` (nothing left).
 *
 * @param client - Client with the miner's account (or pass `account`).
 * @param parameters - {@link UpdateModelsParameters}
 * @returns The node id and the change. {@link UpdateModelsReturnType}
 *
 * @example
 * await updateModels(client, { network: deployment.network, added: [newModelId], removed: [deployment.modelId] })
 */
export async function updateModels<chain extends Chain | undefined, account extends Account | undefined>(
  client: Client<Transport, chain, account>,
  parameters: UpdateModelsParameters,
): Promise<UpdateModelsReturnType> {
  const { hash, receipt } = await writeNetwork(client, {
    network: parameters.network,
    functionName: "updateModels",
    args: [[...(parameters.added ?? [])], [...(parameters.removed ?? [])]],
    account: parameters.account,
    receiptTimeout: parameters.receiptTimeout,
  });
  const [event] = parseEventLogs({ abi: iCorNetworkAbi, logs: receipt.logs, eventName: "ModelsUpdated" });
  return { nodeId: event.args.nodeId, added: event.args.added, removed: event.args.removed, hash };
}
