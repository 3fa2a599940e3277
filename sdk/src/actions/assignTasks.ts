import { type Account, type Chain, type Client, type Hash, parseEventLogs, type Transport } from "viem";
import { iCorNetworkAbi } from "../generated/abis.ts";
import { type EmptyBatchErrorType, requireItems } from "../utils/batch.ts";
import { type TaskStatusName, taskStatusNameOf } from "../utils/enums.ts";
import { type NetworkWriteErrorType, type WriteParameters, writeNetwork } from "../utils/write.ts";

export type AssignTasksParameters = WriteParameters & {
  /** One entry per task: its id and one eligible miner node id per vacant slot, in slot order. */
  assignments: readonly { taskId: bigint; nodeIds: readonly number[] }[];
};

export type AssignTasksReturnType = {
  /** One entry per assignment, in order. */
  tasks: { taskId: bigint; miners: number[]; status: TaskStatusName; deadline: number }[];
  hash: Hash;
};

export type AssignTasksErrorType = NetworkWriteErrorType | EmptyBatchErrorType;

/**
 * Router mode, batched (`assignMany`): fills the vacant slots of several Queued tasks in one transaction. Same
 * rules as {@link assignTask} for each, all or nothing.
 *
 * @param client - Client with the router's or owner's account (or pass `account`).
 * @param parameters - {@link AssignTasksParameters}
 * @returns Slot tables and deadlines in order. {@link AssignTasksReturnType}
 *
 * @example
 * await assignTasks(client, { network, assignments: [{ taskId: a, nodeIds: [2, 5] }, { taskId: b, nodeIds: [5, 7] }] })
 */
export async function assignTasks<chain extends Chain | undefined, account extends Account | undefined>(
  client: Client<Transport, chain, account>,
  parameters: AssignTasksParameters,
): Promise<AssignTasksReturnType> {
  const { assignments } = parameters;
  requireItems("assignTasks", assignments);
  const { hash, receipt } = await writeNetwork(client, {
    network: parameters.network,
    functionName: "assignMany",
    args: [assignments.map((a) => a.taskId), assignments.map((a) => [...a.nodeIds])],
    account: parameters.account,
    receiptTimeout: parameters.receiptTimeout,
  });
  const tasks = assignments.map((a) => ({
    taskId: a.taskId,
    miners: [] as number[],
    status: "Committing" as TaskStatusName,
    deadline: 0,
  }));
  const byId = new Map(tasks.map((t) => [t.taskId, t]));
  const logs = parseEventLogs({
    abi: iCorNetworkAbi,
    logs: receipt.logs,
    eventName: ["TaskAssigned", "TaskPhaseChanged"],
  });
  for (const log of logs) {
    const task = byId.get(log.args.taskId);
    if (!task) continue;
    if (log.eventName === "TaskAssigned") task.miners = [...log.args.miners];
    task.status = taskStatusNameOf(log.args.status);
    task.deadline = Number(log.args.deadline);
  }
  return { tasks, hash };
}
