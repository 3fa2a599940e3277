import { type Account, type Chain, type Client, type Hash, parseEventLogs, type Transport } from "viem";
import { iCorNetworkAbi } from "../generated/abis.ts";
import { type EmptyBatchErrorType, requireItems } from "../utils/batch.ts";
import { taskStatusNameOf } from "../utils/enums.ts";
import { type RootBatch, rootBatchOf } from "../utils/merkle.ts";
import type { NotAssignedError } from "../utils/slot.ts";
import {
  type AnyClient,
  accountAddress,
  type NetworkWriteErrorType,
  resolveAccount,
  type WriteParameters,
  writeNetwork,
} from "../utils/write.ts";
import { type CommitResultsItem, type CommitResultsReturnType, prepareCommits } from "./commitResults.ts";

export type CommitResultsRootParameters = WriteParameters & {
  /** One entry per slot, as in commitResults; their order is the batch's (leaf k = entry k). */
  commits: readonly CommitResultsItem[];
};

export type CommitResultsRootReturnType = {
  /** Keep it (with the result CIDs) for revealResultsRoot: the slots can only be revealed through this root. */
  batch: RootBatch;
  /** One entry per item, in order (`commitment` is the item's leaf; on chain every slot shows the root). */
  commits: CommitResultsReturnType["commits"];
  hash: Hash;
};

export type CommitResultsRootErrorType = NetworkWriteErrorType | EmptyBatchErrorType | NotAssignedError | Error;

/**
 * Miner side, batched under one Merkle root (`commitRoot`): commits several slots with one stored word instead of
 * one commitment per slot (cheaper than commitResults). Same rules per slot as commitResult, all or nothing. The
 * slots can then only be revealed with {@link revealResultsRoot} and the returned `batch`.
 *
 * @param client - Client with the assigned miner's account (or pass `account`).
 * @param parameters - {@link CommitResultsRootParameters}
 * @returns The batch to keep, and each slot's salt. {@link CommitResultsRootReturnType}
 *
 * @example
 * const { batch } = await commitResultsRoot(client, {
 *   network,
 *   commits: [{ taskId: a, result: textA, tokens: 12 }, { taskId: b, result: textB, tokens: 30 }],
 * })
 * // later, once the results are on IPFS:
 * await revealResultsRoot(client, { network, batch, cids: [cidA, cidB] })
 */
export async function commitResultsRoot<chain extends Chain | undefined, account extends Account | undefined>(
  client: Client<Transport, chain, account>,
  parameters: CommitResultsRootParameters,
): Promise<CommitResultsRootReturnType> {
  const c = client as AnyClient;
  const { network } = parameters;
  requireItems("commitResultsRoot", parameters.commits);
  const miner = accountAddress(resolveAccount(c, parameters.account));
  const commits = await prepareCommits(c, { network, miner, items: parameters.commits });
  // Refuses a slot listed twice before any transaction (the contract would revert AlreadyCommitted).
  const batch = rootBatchOf(
    miner,
    commits.map((x, k) => ({
      taskId: x.taskId,
      slot: x.slot,
      resultHash: x.resultHash,
      tokens: parameters.commits[k].tokens,
      salt: x.salt,
    })),
  );
  const { hash, receipt } = await writeNetwork(c, {
    network,
    functionName: "commitRoot",
    args: [batch.taskIds, batch.slots, batch.root],
    account: parameters.account,
    receiptTimeout: parameters.receiptTimeout,
  });
  for (const log of parseEventLogs({ abi: iCorNetworkAbi, logs: receipt.logs, eventName: "TaskPhaseChanged" })) {
    for (const x of commits) if (x.taskId === log.args.taskId) x.status = taskStatusNameOf(log.args.status);
  }
  return { batch, commits, hash };
}
