import {
  type Account,
  type Chain,
  type Client,
  type Hash,
  type Hex,
  parseEventLogs,
  type Transport,
  type WaitForTransactionReceiptErrorType,
  type WriteContractErrorType,
} from "viem";
import type { ContractRevertedErrorType } from "../errors/contract.ts";
import type { AccountRequiredErrorType, NotFoundErrorType } from "../errors/task.ts";
import { iCorNetworkAbi } from "../generated/abis.ts";
import type { ContentStore, StorageError } from "../storage/index.ts";
import { type TaskStatusName, taskStatusNameOf } from "../utils/enums.ts";
import { contentHashOf as contentHash } from "../utils/hash.ts";
import { type AnyClient, type WriteParameters, writeNetwork } from "../utils/write.ts";
import { getSession } from "./getSession.ts";

type PromptSource =
  | {
      /** Prompt text (UTF-8) or bytes: uploaded to `store`, hashed with contentHash(). */
      prompt: string | Uint8Array;
      /** Where prompts are stored (the embedded store, or Kubo). */
      store: Pick<ContentStore, "add">;
      promptCid?: undefined;
      promptHash?: undefined;
    }
  | {
      /** CID of a prompt already on IPFS. */
      promptCid: string;
      /** contentHash() of its exact bytes. */
      promptHash: Hex;
      prompt?: undefined;
      store?: undefined;
    };

export type SubmitTaskParameters = WriteParameters &
  PromptSource & {
    sessionId: number;
    /** Max output tokens per miner; default the session's maxTokens. Escrow = R × maxTokens × pricePerToken. */
    maxTokens?: number | undefined;
  };

export type SubmitTaskReturnType = {
  /** `sessionId << 32 | index`. */
  taskId: bigint;
  promptCid: string;
  promptHash: Hex;
  /** Max output tokens per miner, as submitted. */
  maxTokens: number;
  /** COR (wei) moved from the session's free balance into the task's escrow. */
  escrow: bigint;
  /** Status right after submission: Queued, or Committing when a Dedicated session assigned it at once. */
  status: TaskStatusName;
  /** Block of the submission: pass it as `fromBlock` to waitForTaskResult / watchTask. */
  blockNumber: bigint;
  hash: Hash;
};

export type SubmitTaskErrorType =
  | ContractRevertedErrorType
  | AccountRequiredErrorType
  | NotFoundErrorType
  | StorageError
  | WriteContractErrorType
  | WaitForTransactionReceiptErrorType;

/**
 * Submits a task to a session: uploads the prompt bytes to the content store (→ CID), commits to them with
 * `promptHash = contentHash(bytes)`, and escrows R × maxTokens × pricePerToken from the session's free balance.
 * The signer must be the session owner or an authorized submitter.
 *
 * @param client - Client with an account (or pass `account`).
 * @param parameters - {@link SubmitTaskParameters}
 * @returns Task id, prompt CID and hash, escrow. {@link SubmitTaskReturnType}
 *
 * @example
 * const store = await createEmbeddedStore({ directory: '.cor/ipfs' })
 * const { taskId, blockNumber } = await submitTask(client, {
 *   network: deployment.network,
 *   sessionId,
 *   prompt: 'Once upon a time',
 *   store,
 *   maxTokens: 64,
 * })
 * const result = await waitForTaskResult(client, { network: deployment.network, taskId, store, fromBlock: blockNumber })
 */
export async function submitTask<chain extends Chain | undefined, account extends Account | undefined>(
  client: Client<Transport, chain, account>,
  parameters: SubmitTaskParameters,
): Promise<SubmitTaskReturnType> {
  const c = client as AnyClient;
  const { network, sessionId } = parameters;
  let promptCid: string;
  let promptHash: Hex;
  if (parameters.prompt !== undefined) {
    const bytes =
      typeof parameters.prompt === "string" ? new TextEncoder().encode(parameters.prompt) : parameters.prompt;
    promptHash = contentHash(bytes);
    promptCid = (await parameters.store.add(bytes)).cid;
  } else {
    promptCid = parameters.promptCid;
    promptHash = parameters.promptHash;
  }
  const maxTokens = parameters.maxTokens ?? (await getSession(c, { network, sessionId })).maxTokens;

  const { hash, receipt } = await writeNetwork(c, {
    network,
    functionName: "submitTask",
    args: [sessionId, promptHash, promptCid, maxTokens],
    account: parameters.account,
    receiptTimeout: parameters.receiptTimeout,
  });
  const [submitted] = parseEventLogs({ abi: iCorNetworkAbi, logs: receipt.logs, eventName: "TaskSubmitted" });
  let status: TaskStatusName = "Queued";
  const phases = parseEventLogs({
    abi: iCorNetworkAbi,
    logs: receipt.logs,
    eventName: ["TaskAssigned", "TaskPhaseChanged"],
  });
  for (const log of phases) status = taskStatusNameOf(log.args.status);
  return {
    taskId: submitted.args.taskId,
    promptCid,
    promptHash,
    maxTokens,
    escrow: submitted.args.escrow,
    status,
    blockNumber: receipt.blockNumber,
    hash,
  };
}
