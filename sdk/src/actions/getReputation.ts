import type {
  BlockNumber,
  Chain,
  Client,
  GetContractEventsErrorType,
  Hash,
  ReadContractErrorType,
  Transport,
} from "viem";
import { getContractEvents } from "viem/actions";
import { getAction } from "viem/utils";
import type { NotFoundErrorType } from "../errors/task.ts";
import { iCorNetworkAbi } from "../generated/abis.ts";
import { type OutcomeName, outcomeName } from "../utils/enums.ts";
import type { NetworkParameter } from "../utils/write.ts";
import { getNode, type NodeSelector } from "./getNode.ts";

export type GetReputationParameters = NetworkParameter &
  NodeSelector & {
    /** Also return the node's settled work (WorkSettled events) in this block range. */
    history?: { fromBlock: BlockNumber; toBlock?: BlockNumber | undefined } | undefined;
  };

/** One settled piece of work of the node (a miner slot, or 255 for a validator attestation). */
export type WorkRecord = {
  taskId: bigint;
  slot: number;
  outcome: OutcomeName;
  tokens: number;
  /** COR credited (wei). */
  payout: bigint;
  /** Score and speed after this record. */
  score: number;
  speed: number;
  blockNumber: bigint;
  transactionHash: Hash;
};

export type GetReputationReturnType = {
  nodeId: number;
  /** Exponentially weighted reputation, 0..10000 (starts at 5000). */
  score: number;
  /** Exponentially weighted output tokens per second. */
  speed: number;
  accepted: number;
  rejected: number;
  timedOut: number;
  tokensServed: bigint;
  /** accepted / (accepted + rejected + timedOut); undefined before any settled work. */
  acceptanceRate: number | undefined;
  /** Present when `history` was asked for, oldest first. */
  history?: WorkRecord[] | undefined;
};

export type GetReputationErrorType = NotFoundErrorType | ReadContractErrorType | GetContractEventsErrorType;

/**
 * Reads a node's reputation as routers see it (score, speed, work counters), optionally with its history of
 * settled work from WorkSettled events.
 *
 * @param client - Any client.
 * @param parameters - {@link GetReputationParameters}
 * @returns The reputation. {@link GetReputationReturnType}
 *
 * @example
 * const rep = await getReputation(client, { network, nodeId: 2, history: { fromBlock: deployment.startBlock } })
 * console.log(rep.score / 100, '%', rep.history?.length, 'settled tasks')
 */
export async function getReputation<chain extends Chain | undefined>(
  client: Client<Transport, chain>,
  parameters: GetReputationParameters,
): Promise<GetReputationReturnType> {
  const node = await getNode(client, parameters);
  const settled = node.accepted + node.rejected + node.timedOut;
  const result: GetReputationReturnType = {
    nodeId: node.nodeId,
    score: node.score,
    speed: node.speed,
    accepted: node.accepted,
    rejected: node.rejected,
    timedOut: node.timedOut,
    tokensServed: node.tokensServed,
    acceptanceRate: settled === 0 ? undefined : node.accepted / settled,
  };
  if (parameters.history) {
    const logs = await getAction(
      client,
      getContractEvents,
      "getContractEvents",
    )({
      address: parameters.network,
      abi: iCorNetworkAbi,
      eventName: "WorkSettled",
      args: { nodeId: node.nodeId },
      fromBlock: parameters.history.fromBlock,
      toBlock: parameters.history.toBlock,
      strict: true,
    });
    result.history = logs.map((log) => ({
      taskId: log.args.taskId,
      slot: log.args.slot,
      outcome: outcomeName(log.args.outcome),
      tokens: log.args.tokens,
      payout: log.args.payout,
      score: log.args.score,
      speed: log.args.speed,
      blockNumber: log.blockNumber,
      transactionHash: log.transactionHash,
    }));
  }
  return result;
}
