import { type Account, type Chain, type Client, type Hash, parseEventLogs, type Transport } from "viem";
import { iCorNetworkAbi } from "../generated/abis.ts";
import { type TaskStatusName, taskStatusNameOf } from "../utils/enums.ts";
import { type NetworkWriteErrorType, type WriteParameters, writeNetwork } from "../utils/write.ts";

export type AssignTaskParameters = WriteParameters & {
  taskId: bigint;
  /** One eligible miner node id per vacant slot, in slot order. */
  nodeIds: readonly number[];
};

export type AssignTaskReturnType = {
  /** The full slot table after assignment (index = slot). */
  miners: number[];
  /** Committing once every slot has a miner (Revealing if they had all committed already). */
  status: TaskStatusName;
  /** Precommit deadline, unix seconds. */
  deadline: number;
  hash: Hash;
};

export type AssignTaskErrorType = NetworkWriteErrorType;

/**
 * Router mode: the session's router (or its owner) fills every vacant slot of a Queued task with miners that
 * are active, serve the model, meet the minimum reputation and are distinct.
 *
 * @param client - Client with the router's or owner's account (or pass `account`).
 * @param parameters - {@link AssignTaskParameters}
 * @returns The slot table and phase deadline. {@link AssignTaskReturnType}
 *
 * @example
 * await assignTask(client, { network, taskId, nodeIds: [2, 5, 7] })
 */
export async function assignTask<chain extends Chain | undefined, account extends Account | undefined>(
  client: Client<Transport, chain, account>,
  parameters: AssignTaskParameters,
): Promise<AssignTaskReturnType> {
  const { hash, receipt } = await writeNetwork(client, {
    network: parameters.network,
    functionName: "assignTask",
    args: [parameters.taskId, parameters.nodeIds],
    account: parameters.account,
    receiptTimeout: parameters.receiptTimeout,
  });
  const logs = parseEventLogs({
    abi: iCorNetworkAbi,
    logs: receipt.logs,
    eventName: ["TaskAssigned", "TaskPhaseChanged"],
  });
  let miners: number[] = [];
  let status: TaskStatusName = "Committing";
  let deadline = 0;
  for (const log of logs) {
    if (log.eventName === "TaskAssigned") miners = [...log.args.miners];
    status = taskStatusNameOf(log.args.status);
    deadline = Number(log.args.deadline);
  }
  return { miners, status, deadline, hash };
}
