import { type Account, type Chain, type Client, type Hash, type Hex, parseEventLogs, type Transport } from "viem";
import { iCorNetworkAbi } from "../generated/abis.ts";
import { type NetworkWriteErrorType, type WriteParameters, writeNetwork } from "../utils/write.ts";

export type UpdateNodeParameters = WriteParameters & {
  /** The node's new X25519 public key for prompt encryption (a rotated key). */
  encryptionKey: Hex;
  /** URL where the node is reachable; only in the NodeUpdated event. */
  endpoint: string;
};

export type UpdateNodeReturnType = { nodeId: number; encryptionKey: Hex; endpoint: string; hash: Hash };

export type UpdateNodeErrorType = NetworkWriteErrorType;

/**
 * Publishes the signer's node encryption key and endpoint (both replaced). Sessions encrypt new tasks' keys to the
 * new key from the next block on. Reverts `NotRegistered` for an account without a node.
 *
 * @param client - Client with the node's account (or pass `account`).
 * @param parameters - {@link UpdateNodeParameters}
 * @returns The node id and what was published. {@link UpdateNodeReturnType}
 *
 * @example
 * await updateNode(client, { network: deployment.network, encryptionKey: publicKey, endpoint: 'http://10.0.0.7:4001' })
 */
export async function updateNode<chain extends Chain | undefined, account extends Account | undefined>(
  client: Client<Transport, chain, account>,
  parameters: UpdateNodeParameters,
): Promise<UpdateNodeReturnType> {
  const { hash, receipt } = await writeNetwork(client, {
    network: parameters.network,
    functionName: "updateNode",
    args: [parameters.encryptionKey, parameters.endpoint],
    account: parameters.account,
    receiptTimeout: parameters.receiptTimeout,
  });
  const [event] = parseEventLogs({ abi: iCorNetworkAbi, logs: receipt.logs, eventName: "NodeUpdated" });
  return { nodeId: event.args.nodeId, encryptionKey: event.args.encryptionKey, endpoint: event.args.endpoint, hash };
}
