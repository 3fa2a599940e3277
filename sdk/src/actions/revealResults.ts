import { type Account, type Chain, type Client, type Hash, type Hex, parseEventLogs, type Transport } from "viem";
import { iCorNetworkAbi } from "../generated/abis.ts";
import type { ContentStore, StorageError } from "../storage/index.ts";
import {
  type EmptyBatchErrorType,
  requireItems,
  StoreRequiredError,
  type StoreRequiredErrorType,
} from "../utils/batch.ts";
import { failReasonName, type TaskStatusName, taskStatusNameOf } from "../utils/enums.ts";
import { contentHashOf as contentHash } from "../utils/hash.ts";
import { type NotAssignedError, resolveSlot } from "../utils/slot.ts";
import {
  accountAddress,
  type NetworkWriteErrorType,
  resolveAccount,
  type WriteParameters,
  writeNetwork,
} from "../utils/write.ts";
import type { RevealResultReturnType } from "./revealResult.ts";

/** One reveal of a batch, as in revealResult: the result (uploaded to `store`) or its hash and CID. */
export type RevealResultsItem = {
  taskId: bigint;
  /** The salt used by the commit. */
  salt: Hex;
  tokens: number;
  /** The signer's slot; found from the slot table when omitted. */
  slot?: number | undefined;
} & (
  | { result: string | Uint8Array; resultHash?: undefined; resultCid?: undefined }
  | { resultHash: Hex; resultCid: string; result?: undefined }
);

export type RevealResultsParameters = WriteParameters & {
  reveals: readonly RevealResultsItem[];
  /** Where result texts are uploaded; required when an item carries `result`. */
  store?: Pick<ContentStore, "add"> | undefined;
};

export type RevealResultsReturnType = {
  /** One entry per item, in order; `finalized` / `failed` when this batch settled that task. */
  reveals: {
    taskId: bigint;
    slot: number;
    resultHash: Hex;
    resultCid: string;
    status: TaskStatusName;
    finalized?: RevealResultReturnType["finalized"];
    failed?: RevealResultReturnType["failed"];
  }[];
  hash: Hash;
};

export type RevealResultsErrorType =
  | NetworkWriteErrorType
  | EmptyBatchErrorType
  | StoreRequiredErrorType
  | NotAssignedError
  | StorageError;

/**
 * Miner side, batched (`revealMany`): reveals committed results of several tasks in one transaction. Same rules
 * as {@link revealResult} for each, all or nothing.
 *
 * @param client - Client with the assigned miner's account (or pass `account`).
 * @param parameters - {@link RevealResultsParameters}
 * @returns The status of each task after the batch. {@link RevealResultsReturnType}
 *
 * @example
 * await revealResults(client, { network, store, reveals: commits.map((c, i) => ({ ...c, result: texts[i], tokens: 12 })) })
 */
export async function revealResults<chain extends Chain | undefined, account extends Account | undefined>(
  client: Client<Transport, chain, account>,
  parameters: RevealResultsParameters,
): Promise<RevealResultsReturnType> {
  const { network } = parameters;
  requireItems("revealResults", parameters.reveals);
  const signer = accountAddress(resolveAccount(client, parameters.account));
  const items = await Promise.all(
    parameters.reveals.map(async (item) => {
      let resultHash: Hex;
      let resultCid: string;
      if (item.result !== undefined) {
        if (!parameters.store) throw new StoreRequiredError("revealResults");
        const bytes = typeof item.result === "string" ? new TextEncoder().encode(item.result) : item.result;
        resultHash = contentHash(bytes);
        resultCid = (await parameters.store.add(bytes)).cid;
      } else {
        resultHash = item.resultHash;
        resultCid = item.resultCid;
      }
      const slot = item.slot ?? (await resolveSlot(client, { network, taskId: item.taskId, account: signer }));
      return { taskId: item.taskId, slot, resultHash, salt: item.salt, tokens: item.tokens, resultCid };
    }),
  );
  const { hash, receipt } = await writeNetwork(client, {
    network,
    functionName: "revealMany",
    args: [items],
    account: parameters.account,
    receiptTimeout: parameters.receiptTimeout,
  });
  const reveals: RevealResultsReturnType["reveals"] = items.map((x) => ({
    taskId: x.taskId,
    slot: x.slot,
    resultHash: x.resultHash,
    resultCid: x.resultCid,
    status: "Revealing",
  }));
  const logs = parseEventLogs({
    abi: iCorNetworkAbi,
    logs: receipt.logs,
    eventName: ["TaskPhaseChanged", "TaskFinalized", "TaskFailed"],
  });
  for (const log of logs) {
    for (const r of reveals) {
      if (r.taskId !== log.args.taskId) continue;
      if (log.eventName === "TaskPhaseChanged") r.status = taskStatusNameOf(log.args.status);
      else if (log.eventName === "TaskFinalized") {
        r.status = "Finalized";
        r.finalized = {
          winnerSlot: log.args.winnerSlot,
          winnerNodeId: log.args.winnerNodeId,
          resultHash: log.args.resultHash,
          paid: log.args.paid,
          refund: log.args.refund,
        };
      } else {
        r.status = "Failed";
        r.failed = { reason: failReasonName(log.args.reason), refund: log.args.refund };
      }
    }
  }
  return { reveals, hash };
}
