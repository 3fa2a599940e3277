import type {
  BlockNumber,
  Chain,
  Client,
  GetLogsErrorType,
  Hash,
  ReadContractErrorType,
  Transport,
  WatchContractEventErrorType,
} from "viem";
import { getBlockNumber, readContract, watchContractEvent } from "viem/actions";
import { getAction } from "viem/utils";
import { iCorNetworkAbi } from "../generated/abis.ts";
import { type TaskEventName, taskEventsAbi } from "../utils/abi.ts";
import { isTerminalStatus, type TaskStatusName, taskStatusNameOf } from "../utils/enums.ts";
import { getTaskLogs, type TaskLog } from "../utils/logs.ts";
import type { NetworkParameter } from "../utils/write.ts";

/** One event of a task's timeline, with the task status after it. */
export type TaskTimelineEvent = {
  eventName: TaskEventName;
  /** Decoded event arguments. */
  args: TaskLog["args"];
  /** Task status after this event. */
  status: TaskStatusName;
  blockNumber: bigint;
  logIndex: number;
  transactionHash: Hash;
};

export type WatchTaskParameters = NetworkParameter & {
  taskId: bigint;
  /** Replay the task's events from this block first (e.g. submitTask's blockNumber); default: new events only. */
  fromBlock?: BlockNumber | undefined;
  /** Every event of the task, in chain order. */
  onEvent?: ((event: TaskTimelineEvent) => void) | undefined;
  /** Every status change (the first call carries the status when watching starts, without an event). */
  onStatus?: ((status: TaskStatusName, event: TaskTimelineEvent | undefined) => void) | undefined;
  /** Called once when the task is Finalized or Failed; watching then stops by itself. */
  onSettled?: ((status: "Finalized" | "Failed", event: TaskTimelineEvent | undefined) => void) | undefined;
  /** Errors while watching ({@link WatchTaskErrorType}); without it they are dropped. */
  onError?: ((error: Error) => void) | undefined;
  /** Polling interval in ms; default the client's. */
  pollingInterval?: number | undefined;
};

/** Stops watching. */
export type WatchTaskReturnType = () => void;

/**
 * What `onError` receives: a failed start (the log replay or the status read: nothing is watched then, call
 * watchTask again), or a poll error of watchContractEvent (it keeps polling).
 */
export type WatchTaskErrorType = GetLogsErrorType | ReadContractErrorType | WatchContractEventErrorType;

const nextStatus = (log: TaskLog, current: TaskStatusName): TaskStatusName => {
  switch (log.eventName) {
    case "TaskSubmitted":
      return current === "None" ? "Queued" : current;
    case "TaskAssigned":
    case "TaskPhaseChanged":
      return taskStatusNameOf(log.args.status);
    case "TaskFinalized":
      return "Finalized";
    case "TaskFailed":
      return "Failed";
    default:
      return current;
  }
};

/**
 * Watches one task's timeline: submitted, assigned, committed, revealed, expired, attested, settled. Uses
 * viem's watchContractEvent on the network's task events, filtered by task id; with `fromBlock` it first replays
 * the task's past events. Stops by itself once the task settles.
 *
 * @param client - Any client.
 * @param parameters - {@link WatchTaskParameters}
 * @returns A function that stops watching. {@link WatchTaskReturnType}
 *
 * @example
 * const unwatch = watchTask(client, {
 *   network,
 *   taskId,
 *   fromBlock: blockNumber,
 *   onStatus: (status) => console.log('task is', status),
 *   onSettled: (status) => console.log('done:', status),
 * })
 */
export function watchTask<chain extends Chain | undefined>(
  client: Client<Transport, chain>,
  parameters: WatchTaskParameters,
): WatchTaskReturnType {
  const c: Client<Transport, Chain | undefined> = client;
  const { network, taskId } = parameters;
  const seen = new Set<string>();
  let status: TaskStatusName = "None";
  let stopped = false;
  let unwatch: () => void = () => {};

  const stop = () => {
    stopped = true;
    unwatch();
  };
  const fail = (err: unknown) => {
    if (!stopped) parameters.onError?.(err instanceof Error ? err : new Error(String(err)));
  };

  const handle = (logs: readonly TaskLog[]) => {
    const ordered = [...logs].sort((a, b) =>
      a.blockNumber === b.blockNumber ? a.logIndex - b.logIndex : a.blockNumber < b.blockNumber ? -1 : 1,
    );
    for (const log of ordered) {
      if (stopped) return;
      if (log.args.taskId !== taskId) continue;
      const key = `${log.blockHash}:${log.logIndex}`;
      if (seen.has(key)) continue;
      seen.add(key);
      const before = status;
      status = nextStatus(log, status);
      const event: TaskTimelineEvent = {
        eventName: log.eventName,
        args: log.args,
        status,
        blockNumber: log.blockNumber,
        logIndex: log.logIndex,
        transactionHash: log.transactionHash,
      };
      parameters.onEvent?.(event);
      if (status !== before) parameters.onStatus?.(status, event);
      if (status === "Finalized" || status === "Failed") {
        stop();
        parameters.onSettled?.(status, event);
        return;
      }
    }
  };

  (async () => {
    const head = await getAction(c, getBlockNumber, "getBlockNumber")({ cacheTime: 0 });
    if (parameters.fromBlock !== undefined) {
      handle(await getTaskLogs(c, { network, taskId, fromBlock: parameters.fromBlock, toBlock: head }));
    } else {
      // New events only: the status as of `head`, then everything after it.
      const raw = await getAction(
        c,
        readContract,
        "readContract",
      )({ address: network, abi: iCorNetworkAbi, functionName: "getTask", args: [taskId], blockNumber: head });
      status = taskStatusNameOf(raw.status);
      if (status !== "None") parameters.onStatus?.(status, undefined);
      if (isTerminalStatus(status)) {
        stop();
        parameters.onSettled?.(status as "Finalized" | "Failed", undefined);
      }
    }
    if (stopped) return;
    unwatch = getAction(
      c,
      watchContractEvent,
      "watchContractEvent",
    )({
      address: network,
      abi: taskEventsAbi,
      fromBlock: head + 1n,
      poll: true,
      strict: true,
      pollingInterval: parameters.pollingInterval,
      onLogs: (logs) => handle(logs as unknown as TaskLog[]),
      onError: fail,
    });
  })().catch(fail);

  return stop;
}
