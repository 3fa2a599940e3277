import type { Address, Chain, Client, ReadContractErrorType, Transport } from "viem";
import { readContract } from "viem/actions";
import { getAction } from "viem/utils";
import { NotFoundError, type NotFoundErrorType } from "../errors/task.ts";
import { iCorNetworkAbi } from "../generated/abis.ts";
import { type NodeInfo, toNodeInfo } from "../utils/decode.ts";
import type { NetworkParameter } from "../utils/write.ts";

/** A node by id, or the current node of an account. */
export type NodeSelector = { nodeId: number; account?: undefined } | { account: Address; nodeId?: undefined };

export type GetNodeParameters = NetworkParameter & NodeSelector;

export type GetNodeReturnType = NodeInfo;

export type GetNodeErrorType = NotFoundErrorType | ReadContractErrorType;

/** @internal The node id of a selector (reads nodeIdOf for an account). */
export async function resolveNodeId(
  client: Client<Transport, Chain | undefined>,
  parameters: GetNodeParameters,
): Promise<number> {
  if (parameters.nodeId !== undefined) return parameters.nodeId;
  const nodeId = await getAction(
    client,
    readContract,
    "readContract",
  )({ address: parameters.network, abi: iCorNetworkAbi, functionName: "nodeIdOf", args: [parameters.account] });
  if (nodeId === 0) {
    throw new NotFoundError({ kind: "node", id: parameters.account, details: "the account is not a registered node" });
  }
  return nodeId;
}

/**
 * Reads a node registration: role and status by name, stake, unclaimed rewards and reputation figures.
 * Select it by `nodeId`, or by `account` for that account's current registration.
 *
 * @param client - Any client.
 * @param parameters - {@link GetNodeParameters}
 * @returns The node. {@link GetNodeReturnType}
 * @throws NotFoundError when there is no such node.
 *
 * @example
 * const node = await getNode(client, { network, account: '0x70997970C51812dc3A010C7d01b50e0d17dc79C8' })
 * // { nodeId: 1, role: 'Miner', status: 'Active', stake: 100000000000000000000n, score: 5000, … }
 */
export async function getNode<chain extends Chain | undefined>(
  client: Client<Transport, chain>,
  parameters: GetNodeParameters,
): Promise<GetNodeReturnType> {
  const nodeId = await resolveNodeId(client, parameters);
  const raw = await getAction(
    client,
    readContract,
    "readContract",
  )({ address: parameters.network, abi: iCorNetworkAbi, functionName: "getNode", args: [nodeId] });
  if (raw.account === "0x0000000000000000000000000000000000000000") {
    throw new NotFoundError({ kind: "node", id: nodeId });
  }
  return toNodeInfo(nodeId, raw);
}
