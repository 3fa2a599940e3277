import { type Account, type Chain, type Client, type Hash, type Hex, parseEventLogs, type Transport } from "viem";
import { EncryptionKeyRequiredError, type EncryptionKeyRequiredErrorType } from "../errors/crypto.ts";
import type { NotFoundErrorType } from "../errors/task.ts";
import { iCorNetworkAbi } from "../generated/abis.ts";
import type { ContentStore, StorageError } from "../storage/index.ts";
import {
  type EmptyBatchErrorType,
  requireItems,
  StoreRequiredError,
  type StoreRequiredErrorType,
} from "../utils/batch.ts";
import { type TaskStatusName, taskStatusNameOf } from "../utils/enums.ts";
import { contentHashOf as contentHash } from "../utils/hash.ts";
import { type NetworkWriteErrorType, type WriteParameters, writeNetwork } from "../utils/write.ts";
import { getSession } from "./getSession.ts";

/** One task of a batch: prompt text/bytes (uploaded to `store`) or an already uploaded CID with its hash. */
export type SubmitTasksItem = {
  /** Max output tokens per miner; default the session's maxTokens. */
  maxTokens?: number | undefined;
} & (
  | { prompt: string | Uint8Array; promptCid?: undefined; promptHash?: undefined }
  | { promptCid: string; promptHash: Hex; prompt?: undefined }
);

export type SubmitTasksParameters = WriteParameters & {
  sessionId: number;
  tasks: readonly SubmitTasksItem[];
  /** Where prompt texts are uploaded; required when an item carries `prompt`. */
  store?: Pick<ContentStore, "add"> | undefined;
};

export type SubmitTasksReturnType = {
  /** One entry per item, in order. */
  tasks: {
    taskId: bigint;
    promptCid: string;
    promptHash: Hex;
    maxTokens: number;
    escrow: bigint;
    /** Queued, or Committing when a Dedicated session assigned it at once. */
    status: TaskStatusName;
  }[];
  blockNumber: bigint;
  hash: Hash;
};

export type SubmitTasksErrorType =
  | NetworkWriteErrorType
  | EmptyBatchErrorType
  | EncryptionKeyRequiredErrorType
  | StoreRequiredErrorType
  | NotFoundErrorType
  | StorageError;

/**
 * Submits several tasks to one session in one transaction (`submitMany`): same rules as {@link submitTask} for
 * each, all or nothing (one bad item reverts the whole batch). Plaintext prompts only: an encrypted session
 * needs submitTask with `encryption`.
 *
 * @param client - Client with the session owner's or an authorized submitter's account (or pass `account`).
 * @param parameters - {@link SubmitTasksParameters}
 * @returns The task ids in item order. {@link SubmitTasksReturnType}
 *
 * @example
 * const { tasks } = await submitTasks(client, {
 *   network, sessionId, store, tasks: [{ prompt: 'Once upon a time' }, { prompt: 'The cat', maxTokens: 16 }],
 * })
 */
export async function submitTasks<chain extends Chain | undefined, account extends Account | undefined>(
  client: Client<Transport, chain, account>,
  parameters: SubmitTasksParameters,
): Promise<SubmitTasksReturnType> {
  const { network, sessionId, tasks } = parameters;
  requireItems("submitTasks", tasks);
  const session = await getSession(client, { network, sessionId });
  const prepared = await Promise.all(
    tasks.map(async (item) => {
      const maxTokens = item.maxTokens ?? session.maxTokens;
      if (item.prompt === undefined) return { promptCid: item.promptCid, promptHash: item.promptHash, maxTokens };
      if (session.encrypted) {
        throw new EncryptionKeyRequiredError({
          details: `session ${sessionId} is encrypted: submit with submitTask(…, { encryption }) so prompts are sealed`,
        });
      }
      if (!parameters.store) throw new StoreRequiredError("submitTasks");
      const bytes = typeof item.prompt === "string" ? new TextEncoder().encode(item.prompt) : item.prompt;
      const { cid } = await parameters.store.add(bytes);
      return { promptCid: cid, promptHash: contentHash(bytes), maxTokens };
    }),
  );
  const { hash, receipt } = await writeNetwork(client, {
    network,
    functionName: "submitMany",
    args: [
      sessionId,
      prepared.map((p) => p.promptHash),
      prepared.map((p) => p.promptCid),
      prepared.map((p) => p.maxTokens),
    ],
    account: parameters.account,
    receiptTimeout: parameters.receiptTimeout,
  });
  const logs = parseEventLogs({
    abi: iCorNetworkAbi,
    logs: receipt.logs,
    eventName: ["TaskSubmitted", "TaskAssigned", "TaskPhaseChanged"],
  });
  const byId = new Map<bigint, SubmitTasksReturnType["tasks"][number]>();
  const out: SubmitTasksReturnType["tasks"] = [];
  for (const log of logs) {
    if (log.eventName === "TaskSubmitted") {
      const p = prepared[out.length];
      const task = { taskId: log.args.taskId, ...p, escrow: log.args.escrow, status: "Queued" as TaskStatusName };
      out.push(task);
      byId.set(task.taskId, task);
    } else {
      const task = byId.get(log.args.taskId);
      if (task) task.status = taskStatusNameOf(log.args.status);
    }
  }
  return { tasks: out, blockNumber: receipt.blockNumber, hash };
}
