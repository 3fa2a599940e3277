import { watchContractEvent } from "@wagmi/core";
import type { WatchContractEventErrorType } from "viem";
import { type TaskEventName, taskEventsAbi } from "../utils/abi.ts";
import { type TaskStatusName, taskStatusNameOf } from "../utils/enums.ts";
import type { TaskLog } from "../utils/logs.ts";
import {
  type CorChainIdParameter,
  type CorDeploymentErrorType,
  type CorWagmiConfig,
  getCorDeployment,
} from "./config.ts";

export type WatchTaskWagmiParameters = CorChainIdParameter & {
  taskId: bigint;
  /** Every new event of the task, with the status it implies (undefined for commits, reveals, work records). */
  onEvent: (event: { eventName: TaskEventName; args: TaskLog["args"]; status: TaskStatusName | undefined }) => void;
  onError?: ((error: Error) => void) | undefined;
  /** Also deliver events from this block on (e.g. submitTaskWagmi's blockNumber); default: new events only. */
  fromBlock?: bigint | undefined;
};

/** Stops watching. */
export type WatchTaskWagmiReturnType = () => void;

/** Resolving the chain throws at once; poll errors go to `onError`. */
export type WatchTaskWagmiErrorType = CorDeploymentErrorType | WatchContractEventErrorType;

/**
 * Watches a task's new events through wagmi's watchContractEvent (e.g. to drive a UI). Returns unwatch.
 *
 * @example
 * const unwatch = watchTaskWagmi(config, { taskId, onEvent: ({ eventName, status }) => render(eventName, status) })
 */
export function watchTaskWagmi(config: CorWagmiConfig, parameters: WatchTaskWagmiParameters): WatchTaskWagmiReturnType {
  const cor = getCorDeployment(config, parameters);
  return watchContractEvent(cor.config, {
    address: cor.deployment.network,
    abi: taskEventsAbi,
    chainId: cor.chainId,
    strict: true,
    poll: true,
    fromBlock: parameters.fromBlock,
    onError: parameters.onError,
    onLogs: (logs) => {
      for (const log of logs as unknown as TaskLog[]) {
        if (log.args.taskId !== parameters.taskId) continue;
        const status =
          log.eventName === "TaskAssigned" || log.eventName === "TaskPhaseChanged"
            ? taskStatusNameOf(log.args.status)
            : log.eventName === "TaskSubmitted"
              ? "Queued"
              : log.eventName === "TaskFinalized"
                ? "Finalized"
                : log.eventName === "TaskFailed"
                  ? "Failed"
                  : undefined;
        parameters.onEvent({ eventName: log.eventName, args: log.args, status });
      }
    },
  });
}
