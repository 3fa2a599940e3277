import {
  type Account,
  type Address,
  type Chain,
  type Client,
  type Hash,
  type Hex,
  parseEventLogs,
  type Transport,
} from "viem";
import { iCorNetworkAbi } from "../generated/abis.ts";
import { type EmptyBatchErrorType, requireItems } from "../utils/batch.ts";
import { type TaskStatusName, taskStatusNameOf } from "../utils/enums.ts";
import { commitmentOf, contentHashOf as contentHash } from "../utils/hash.ts";
import { type NotAssignedError, resolveSlot } from "../utils/slot.ts";
import {
  type AnyClient,
  accountAddress,
  type NetworkWriteErrorType,
  resolveAccount,
  type WriteParameters,
  writeNetwork,
} from "../utils/write.ts";
import { randomSalt } from "./commitResult.ts";

/** One commitment of a batch: the result (or its contentHash) and its token count, as in commitResult. */
export type CommitResultsItem = {
  taskId: bigint;
  tokens: number;
  /** The signer's slot on the task; found from the slot table when omitted. */
  slot?: number | undefined;
  /** 32 random bytes; generated when omitted. Keep it: the reveal needs the same salt. */
  salt?: Hex | undefined;
} & ({ result: string | Uint8Array; resultHash?: undefined } | { resultHash: Hex; result?: undefined });

export type CommitResultsParameters = WriteParameters & { commits: readonly CommitResultsItem[] };

export type CommitResultsReturnType = {
  /** One entry per item, in order: keep `salt` and `slot` for revealResults. */
  commits: { taskId: bigint; slot: number; resultHash: Hex; salt: Hex; commitment: Hex; status: TaskStatusName }[];
  hash: Hash;
};

export type CommitResultsErrorType = NetworkWriteErrorType | EmptyBatchErrorType | NotAssignedError;

/**
 * @internal Each item's result hash, salt (fresh when not given), slot (from the slot table when not given) and
 * commitment (commitmentOf), in order: shared by commitResults and commitResultsRoot.
 */
export async function prepareCommits(
  client: AnyClient,
  p: { network: Address; miner: Address; items: readonly CommitResultsItem[] },
): Promise<CommitResultsReturnType["commits"]> {
  return Promise.all(
    p.items.map(async (item) => {
      const resultHash = item.resultHash ?? contentHash(item.result as string | Uint8Array);
      const salt = item.salt ?? randomSalt();
      const slot =
        item.slot ?? (await resolveSlot(client, { network: p.network, taskId: item.taskId, account: p.miner }));
      const commitment = commitmentOf(item.taskId, p.miner, resultHash, item.tokens, salt);
      return { taskId: item.taskId, slot, resultHash, salt, commitment, status: "Committing" as TaskStatusName };
    }),
  );
}

/**
 * Miner side, batched (`commitMany`): precommits to results of several tasks in one transaction. Same rules as
 * {@link commitResult} for each, all or nothing (one bad item reverts the batch: retry the others singly).
 *
 * @param client - Client with the assigned miner's account (or pass `account`).
 * @param parameters - {@link CommitResultsParameters}
 * @returns Slots, salts and commitments in order. {@link CommitResultsReturnType}
 *
 * @example
 * const { commits } = await commitResults(client, { network, commits: [{ taskId: a, result: textA, tokens: 12 }] })
 */
export async function commitResults<chain extends Chain | undefined, account extends Account | undefined>(
  client: Client<Transport, chain, account>,
  parameters: CommitResultsParameters,
): Promise<CommitResultsReturnType> {
  const { network } = parameters;
  requireItems("commitResults", parameters.commits);
  const miner = accountAddress(resolveAccount(client, parameters.account));
  const commits = await prepareCommits(client, { network, miner, items: parameters.commits });
  const { hash, receipt } = await writeNetwork(client, {
    network,
    functionName: "commitMany",
    args: [commits.map((x) => x.taskId), commits.map((x) => x.slot), commits.map((x) => x.commitment)],
    account: parameters.account,
    receiptTimeout: parameters.receiptTimeout,
  });
  for (const log of parseEventLogs({ abi: iCorNetworkAbi, logs: receipt.logs, eventName: "TaskPhaseChanged" })) {
    for (const x of commits) if (x.taskId === log.args.taskId) x.status = taskStatusNameOf(log.args.status);
  }
  return { commits, hash };
}
