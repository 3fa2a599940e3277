import type { BlockNumber, Chain, Client, GetBlockNumberErrorType, Transport } from "viem";
import { getBlockNumber } from "viem/actions";
import { getAction } from "viem/utils";
import {
  type NotFoundErrorType,
  type ResultVerificationErrorType,
  TaskFailedError,
  type TaskFailedErrorType,
  TimeoutError,
  type TimeoutErrorType,
} from "../errors/task.ts";
import type { ContentStore, StorageError } from "../storage/index.ts";
import { failReasonName, type TaskStatusName, taskStatusNameOf } from "../utils/enums.ts";
import { getTaskLogs, type TaskLog } from "../utils/logs.ts";
import type { NetworkParameter } from "../utils/write.ts";
import { type DeliverTaskKeysReturnType, deliverTaskKeys } from "./deliverTaskKeys.ts";
import { fetchFinalizedResult, type ResultDecryption, type TaskResult } from "./fetchResult.ts";

export type WaitForTaskResultParameters = NetworkParameter & {
  taskId: bigint;
  /** Where results are stored (the embedded store, or Kubo). */
  store: Pick<ContentStore, "get">;
  /** Block to start reading the task's events from: submitTask's `blockNumber`. Default 0. */
  fromBlock?: BlockNumber | undefined;
  /** Give up after this long, in ms. Default 120 000. */
  timeout?: number | undefined;
  /** Time between polls, in ms. Default the client's pollingInterval. */
  pollingInterval?: number | undefined;
  /** Give up fetching the result bytes after this long (ms); the store's default otherwise. */
  fetchTimeout?: number | undefined;
  /** Called on every status change seen (Queued → Committing → Revealing → …). */
  onStatus?: ((status: TaskStatusName) => void) | undefined;
  /** Stops waiting (rejects with the signal's reason). */
  signal?: AbortSignal | undefined;
  /**
   * Encrypted tasks (docs/privacy.md): decrypt the result with these keys, and on every TaskAssigned grant the
   * task key to the newly assigned miners (deliverTaskKeys), so late-assigned and reassigned miners can work.
   */
  encryption?: ResultDecryption | undefined;
  /** Called after each key delivery (encrypted tasks). */
  onKeyDelivery?: ((delivery: DeliverTaskKeysReturnType & { miners: readonly number[] }) => void) | undefined;
};

export type WaitForTaskResultReturnType = TaskResult;

export type WaitForTaskResultErrorType =
  | TaskFailedErrorType
  | TimeoutErrorType
  | ResultVerificationErrorType
  | NotFoundErrorType
  | StorageError
  | GetBlockNumberErrorType;

const statusOf = (log: TaskLog): TaskStatusName | undefined => {
  switch (log.eventName) {
    case "TaskSubmitted":
      return "Queued";
    case "TaskAssigned":
    case "TaskPhaseChanged":
      return taskStatusNameOf(log.args.status);
    case "TaskFinalized":
      return "Finalized";
    case "TaskFailed":
      return "Failed";
    default:
      return undefined;
  }
};

/** How many times waitForTaskResult tries to grant an encrypted task's key to one assigned miner. */
const KEY_DELIVERY_ATTEMPTS = 10;

const sleep = (ms: number, signal?: AbortSignal) =>
  new Promise<void>((resolve, reject) => {
    if (signal?.aborted) return reject(signal.reason);
    const timer = setTimeout(() => {
      signal?.removeEventListener("abort", onAbort);
      resolve();
    }, ms);
    const onAbort = () => {
      clearTimeout(timer);
      reject(signal?.reason);
    };
    signal?.addEventListener("abort", onAbort, { once: true });
  });

/**
 * Waits until a task settles and returns its verified result.
 *
 * Polls the task's events from `fromBlock` (block ranges, not filters, so no block is missed on an automine
 * anvil or behind a load balancer) until TaskFinalized or TaskFailed. Then finds the winner's result CID in its
 * TaskRevealed event, downloads the bytes from the content store and checks `contentHash(bytes)` against the
 * on-chain `resultHash` (getTask).
 *
 * @param client - Any client.
 * @param parameters - {@link WaitForTaskResultParameters}
 * @returns The verified result. {@link WaitForTaskResultReturnType}
 * @throws TaskFailedError (with the FailReason), TimeoutError, ResultVerificationError.
 *
 * @example
 * const { taskId, blockNumber } = await submitTask(client, { network, sessionId, prompt: 'Once upon a time', store })
 * const result = await waitForTaskResult(client, { network, taskId, store, fromBlock: blockNumber })
 * console.log(result.text, result.tokens, formatCor(result.cost))
 */
export async function waitForTaskResult<chain extends Chain | undefined>(
  client: Client<Transport, chain>,
  parameters: WaitForTaskResultParameters,
): Promise<WaitForTaskResultReturnType> {
  const c: Client<Transport, Chain | undefined> = client;
  const { network, taskId, signal } = parameters;
  const fromBlock = parameters.fromBlock ?? 0n;
  const timeout = parameters.timeout ?? 120_000;
  const interval = parameters.pollingInterval ?? c.pollingInterval;
  const started = Date.now();
  let cursor = fromBlock;
  let status: TaskStatusName | undefined;
  // Encrypted tasks: miners assigned since the last poll get the task key; a failed delivery is retried every
  // second, up to KEY_DELIVERY_ATTEMPTS times (the miner waits for its grant; COR_KEY_WAIT_MS, 20 s by default).
  const granted = new Set<number>();
  const toGrant = new Map<number, number>(); // miner → failed attempts
  let nextDelivery = 0;

  for (;;) {
    if (signal?.aborted) throw signal.reason;
    const head = await getAction(c, getBlockNumber, "getBlockNumber")({ cacheTime: 0 });
    if (head >= cursor) {
      const logs = await getTaskLogs(c, {
        network,
        taskId,
        fromBlock: cursor,
        toBlock: head,
        eventNames: ["TaskSubmitted", "TaskAssigned", "TaskPhaseChanged", "TaskFinalized", "TaskFailed"],
      });
      cursor = head + 1n;
      for (const log of logs) {
        const next = statusOf(log);
        if (next && next !== status) {
          status = next;
          parameters.onStatus?.(next);
        }
        if (log.eventName === "TaskAssigned" && parameters.encryption) {
          for (const id of log.args.miners) if (id !== 0 && !granted.has(id) && !toGrant.has(id)) toGrant.set(id, 0);
        }
        if (log.eventName === "TaskFailed") {
          throw new TaskFailedError({ taskId, reason: failReasonName(log.args.reason), refund: log.args.refund });
        }
        if (log.eventName === "TaskFinalized") {
          return fetchFinalizedResult(c, {
            network,
            taskId,
            store: parameters.store,
            fromBlock,
            finalized: log,
            fetchTimeout: parameters.fetchTimeout,
            encryption: parameters.encryption,
          });
        }
      }
    }
    if (parameters.encryption && toGrant.size && Date.now() >= nextDelivery) {
      const miners = [...toGrant.keys()];
      const delivery = await deliverTaskKeys(c, {
        network,
        taskId,
        store: parameters.store,
        encryption: parameters.encryption,
        miners,
        fromBlock,
      });
      for (const id of delivery.delivered) {
        granted.add(id);
        toGrant.delete(id);
      }
      for (const { nodeId } of delivery.failed) {
        const attempts = (toGrant.get(nodeId) ?? 0) + 1;
        if (attempts >= KEY_DELIVERY_ATTEMPTS) toGrant.delete(nodeId);
        else toGrant.set(nodeId, attempts);
      }
      parameters.onKeyDelivery?.({ ...delivery, miners });
      nextDelivery = Date.now() + 1000;
    }
    if (Date.now() - started >= timeout) {
      throw new TimeoutError({
        what: `task ${taskId} to settle`,
        timeoutMs: timeout,
        details: status ? `last status seen: ${status}` : `no event of the task seen from block ${fromBlock}`,
      });
    }
    await sleep(Math.min(interval, Math.max(0, timeout - (Date.now() - started))), signal);
  }
}
