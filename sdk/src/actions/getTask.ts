import type { Chain, Client, ReadContractErrorType, Transport } from "viem";
import type { NotFoundErrorType } from "../errors/task.ts";
import { type TaskInfo, toTaskInfo } from "../utils/decode.ts";
import type { NetworkParameter } from "../utils/write.ts";
import { getRawTask } from "./getRawTask.ts";

export type GetTaskParameters = NetworkParameter & {
  /** `sessionId << 32 | index`, see taskIdOf(). */
  taskId: bigint;
};

export type GetTaskReturnType = TaskInfo;

export type GetTaskErrorType = NotFoundErrorType | ReadContractErrorType;

/**
 * Reads a task: its status by name, phase deadline, slot table (miner, commit/reveal flags, tokens, hash per
 * slot), and once Finalized the accepted result hash and winning node.
 *
 * @param client - Any client.
 * @param parameters - {@link GetTaskParameters}
 * @returns The task. {@link GetTaskReturnType}
 * @throws NotFoundError when the task does not exist.
 *
 * @example
 * const task = await getTask(client, { network, taskId: taskIdOf(3, 1) })
 * // { status: 'Finalized', resultHash: '0x…', winnerNodeId: 2, slots: [{ slot: 0, nodeId: 2, revealed: true, … }], … }
 */
export async function getTask<chain extends Chain | undefined>(
  client: Client<Transport, chain>,
  parameters: GetTaskParameters,
): Promise<GetTaskReturnType> {
  return toTaskInfo(parameters.taskId, await getRawTask(client, parameters));
}
