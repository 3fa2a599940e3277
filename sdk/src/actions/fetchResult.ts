import type { BlockNumber, Chain, Client, Hash, Hex, ReadContractErrorType, Transport } from "viem";
import { isEnvelope, openResult, type TaskKey } from "../crypto/envelope.ts";
import type { EncryptionKeys } from "../crypto/keys.ts";
import {
  EncryptionKeyRequiredError,
  type EncryptionKeyRequiredErrorType,
  type EnvelopeTamperedErrorType,
  InvalidEnvelopeError,
  type InvalidEnvelopeErrorType,
  type NotARecipientErrorType,
} from "../errors/crypto.ts";
import {
  NotFoundError,
  type NotFoundErrorType,
  ResultVerificationError,
  type ResultVerificationErrorType,
  TaskFailedError,
  type TaskFailedErrorType,
} from "../errors/task.ts";
import type { ContentStore, StorageError } from "../storage/index.ts";
import { failReasonName } from "../utils/enums.ts";
import { contentHashOf as contentHash } from "../utils/hash.ts";
import { getTaskLogs, type TaskLog } from "../utils/logs.ts";
import type { NetworkParameter } from "../utils/write.ts";
import { getPromptEnvelope, recoverTaskKey, type TaskContentContext } from "./deliverTaskKeys.ts";
import { getTask } from "./getTask.ts";

/** How to read an encrypted task's result: the client's keys, and the task key if still in memory. */
export type ResultDecryption = { keys: EncryptionKeys; taskKey?: TaskKey | undefined };

/** A finalized task's result, downloaded and verified against the chain. */
export type TaskResult = {
  taskId: bigint;
  /** The result bytes decoded as UTF-8. */
  text: string;
  /** The exact bytes whose keccak256 is the finalized resultHash (decrypted, for an encrypted task). */
  bytes: Uint8Array;
  /** Whether the result was an envelope, decrypted with the client's keys before the hash check. */
  encrypted: boolean;
  resultHash: Hex;
  resultCid: string;
  winnerNodeId: number;
  winnerSlot: number;
  /** Output tokens of the accepted result. */
  tokens: number;
  /** COR (wei) the session paid for the task (miners + fees). */
  cost: bigint;
  /** COR (wei) of the escrow released back to the session's free balance. */
  refund: bigint;
  fees: { protocol: bigint; validator: bigint; router: bigint };
  /** Block and transaction that finalized the task. */
  blockNumber: bigint;
  transactionHash: Hash;
};

export type FetchResultParameters = NetworkParameter & {
  taskId: bigint;
  /** Where results are stored (the embedded store, or Kubo). */
  store: Pick<ContentStore, "get">;
  /** First block to search for the task's events; the submit block is best. Default 0. */
  fromBlock?: BlockNumber | undefined;
  /** Give up fetching the bytes after this long (ms); the store's default otherwise. */
  fetchTimeout?: number | undefined;
  /** Keys to decrypt an encrypted task's result with (docs/privacy.md). Required for encrypted tasks. */
  encryption?: ResultDecryption | undefined;
};

export type FetchResultReturnType = TaskResult;

export type FetchResultErrorType =
  | NotFoundErrorType
  | TaskFailedErrorType
  | ResultVerificationErrorType
  | EncryptionKeyRequiredErrorType
  | EnvelopeTamperedErrorType
  | InvalidEnvelopeErrorType
  | NotARecipientErrorType
  | StorageError
  | ReadContractErrorType;

/** @internal Downloads and verifies the winner's result given the task's TaskFinalized log. */
export async function fetchFinalizedResult(
  client: Client<Transport, Chain | undefined>,
  p: TaskContentContext & {
    finalized: TaskLog<"TaskFinalized">;
    fetchTimeout?: number | undefined;
    encryption?: ResultDecryption | undefined;
  },
): Promise<TaskResult> {
  const { winnerSlot, winnerNodeId } = p.finalized.args;
  const revealed = (
    await getTaskLogs(client, {
      network: p.network,
      taskId: p.taskId,
      fromBlock: p.fromBlock,
      toBlock: p.finalized.blockNumber,
      eventNames: ["TaskRevealed"],
    })
  ).find((log) => log.args.slot === winnerSlot && log.args.nodeId === winnerNodeId);
  if (!revealed) {
    throw new NotFoundError({
      kind: "result",
      id: p.taskId,
      details: `no TaskRevealed of slot ${winnerSlot} from block ${p.fromBlock}`,
    });
  }
  // The on-chain record is the authority: getTask's resultHash, not the event alone.
  const task = await getTask(client, { network: p.network, taskId: p.taskId });
  const expectedHash = task.resultHash ?? p.finalized.args.resultHash;
  const resultCid = revealed.args.resultCid;
  const stored = await p.store.get(resultCid, p.fetchTimeout ? { timeoutMs: p.fetchTimeout } : undefined);
  const bytes = await decryptResult(client, { ...p, stored });
  const actualHash = contentHash(bytes);
  if (actualHash !== expectedHash) {
    throw new ResultVerificationError({ taskId: p.taskId, cid: resultCid, expectedHash, actualHash });
  }
  const a = p.finalized.args;
  return {
    taskId: p.taskId,
    text: new TextDecoder().decode(bytes),
    bytes,
    encrypted: bytes !== stored,
    resultHash: expectedHash,
    resultCid,
    winnerNodeId,
    winnerSlot,
    tokens: revealed.args.tokens,
    cost: a.paid,
    refund: a.refund,
    fees: { protocol: a.protocolFee, validator: a.validatorFee, router: a.routerFee },
    blockNumber: p.finalized.blockNumber,
    transactionHash: p.finalized.transactionHash,
  };
}

/**
 * @internal An encrypted result's plaintext (the hash check follows, on the plaintext); plaintext results pass
 * through, except when the client expected encryption and the prompt was an envelope: then a plaintext result is
 * a leak, reported, never returned as if nothing happened.
 */
async function decryptResult(
  client: Client<Transport, Chain | undefined>,
  p: TaskContentContext & { stored: Uint8Array; encryption?: ResultDecryption | undefined },
): Promise<Uint8Array> {
  if (!isEnvelope(p.stored)) {
    if (p.encryption && isEnvelope((await getPromptEnvelope(client, p)).envelope)) {
      throw new InvalidEnvelopeError({
        kind: "result",
        taskId: p.taskId,
        details: "the task's prompt was encrypted but the accepted result was stored in plaintext",
      });
    }
    return p.stored;
  }
  if (!p.encryption) {
    throw new EncryptionKeyRequiredError({
      taskId: p.taskId,
      details: "the result is encrypted: pass `encryption: { keys }` with the client's X25519 keys",
    });
  }
  const taskKey = p.encryption.taskKey ?? (await recoverTaskKey(client, { ...p, keys: p.encryption.keys })).taskKey;
  return openResult({ taskKey, taskId: p.taskId, envelope: p.stored }).plaintext;
}

/**
 * Downloads the accepted result of a Finalized task and verifies it: finds the winner's TaskRevealed event
 * (result CID), fetches the bytes from the content store and checks `contentHash(bytes)` against the on-chain
 * result hash.
 *
 * @param client - Any client.
 * @param parameters - {@link FetchResultParameters}
 * @returns The verified result. {@link FetchResultReturnType}
 * An encrypted task's result is decrypted with `encryption.keys` first (the task key is recovered from the prompt
 * envelope, which wraps it to the client); the hash check is on the plaintext, as the chain commits to it.
 *
 * @throws TaskFailedError when the task failed; NotFoundError when it has no result yet;
 *   ResultVerificationError when the bytes do not match the chain; EnvelopeTamperedError,
 *   NotARecipientError, EncryptionKeyRequiredError for an encrypted result that cannot be read.
 *
 * @example
 * const { text, tokens, cost } = await fetchResult(client, { network, taskId, store, fromBlock })
 */
export async function fetchResult<chain extends Chain | undefined>(
  client: Client<Transport, chain>,
  parameters: FetchResultParameters,
): Promise<FetchResultReturnType> {
  const c: Client<Transport, Chain | undefined> = client;
  const { network, taskId } = parameters;
  const fromBlock = parameters.fromBlock ?? 0n;
  const task = await getTask(c, { network, taskId });
  if (task.status !== "Finalized" && task.status !== "Failed") {
    throw new NotFoundError({ kind: "result", id: taskId, details: `task ${taskId} is ${task.status}: no result yet` });
  }
  const logs = await getTaskLogs(c, { network, taskId, fromBlock, eventNames: ["TaskFinalized", "TaskFailed"] });
  const failed = logs.find((l): l is TaskLog<"TaskFailed"> => l.eventName === "TaskFailed");
  if (failed) {
    throw new TaskFailedError({ taskId, reason: failReasonName(failed.args.reason), refund: failed.args.refund });
  }
  const finalized = logs.find((l): l is TaskLog<"TaskFinalized"> => l.eventName === "TaskFinalized");
  if (!finalized) {
    throw new NotFoundError({
      kind: "result",
      id: taskId,
      details: `task ${taskId} is ${task.status} but no settlement event was found from block ${fromBlock}: pass the submit block as fromBlock`,
    });
  }
  return fetchFinalizedResult(c, {
    network,
    taskId,
    store: parameters.store,
    fromBlock,
    finalized,
    fetchTimeout: parameters.fetchTimeout,
    encryption: parameters.encryption,
  });
}
