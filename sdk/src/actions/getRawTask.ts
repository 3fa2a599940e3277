import type { Chain, Client, ReadContractErrorType, Transport } from "viem";
import { readContract } from "viem/actions";
import { getAction } from "viem/utils";
import { NotFoundError, type NotFoundErrorType } from "../errors/task.ts";
import { iCorNetworkAbi } from "../generated/abis.ts";
import type { RawTask } from "../utils/decode.ts";
import type { NetworkParameter } from "../utils/write.ts";

export type GetRawTaskParameters = NetworkParameter & {
  /** `sessionId << 32 | index`, see taskIdOf(). */
  taskId: bigint;
};

/** The task view as `getTask(uint256)` returns it, typed from the ABI. */
export type GetRawTaskReturnType = RawTask;

export type GetRawTaskErrorType = NotFoundErrorType | ReadContractErrorType;

/**
 * Reads a task as the contract returns it: the status as a number, the slot table as parallel arrays with
 * committed / revealed / dropped bit masks, a zero result hash until it is Finalized. For an API that mirrors the
 * chain (the router's `GET /api/v1/tasks/:sessionId/:index`); everything else wants {@link getTask}, which decodes
 * this.
 *
 * @param client - Any client.
 * @param parameters - {@link GetRawTaskParameters}
 * @returns The task view. {@link GetRawTaskReturnType}
 * @throws NotFoundError when the task does not exist.
 *
 * @example
 * const raw = await getRawTask(client, { network, taskId: taskIdOf(3, 1) })
 * // { status: 5, miners: [2, 4, 1], committedMask: 7, revealedMask: 7, resultHash: '0x…', winnerNodeId: 2, … }
 */
export async function getRawTask<chain extends Chain | undefined>(
  client: Client<Transport, chain>,
  parameters: GetRawTaskParameters,
): Promise<GetRawTaskReturnType> {
  const raw = await getAction(
    client,
    readContract,
    "readContract",
  )({ address: parameters.network, abi: iCorNetworkAbi, functionName: "getTask", args: [parameters.taskId] });
  if (raw.status === 0) throw new NotFoundError({ kind: "task", id: parameters.taskId });
  return raw;
}
