import { type ReadContractErrorType, readContract } from "@wagmi/core";
import { NotFoundError } from "../errors/task.ts";
import {
  type NetworkParams,
  type NodeInfo,
  type SessionInfo,
  type TaskInfo,
  toNetworkParams,
  toNodeInfo,
  toSessionInfo,
  toTaskInfo,
} from "../utils/decode.ts";
import type { CorConfig } from "./config.ts";

export type ReadErrorType = ReadContractErrorType | NotFoundError;

/**
 * Reads a task through wagmi (decoded like getTask).
 *
 * @example
 * const task = await readTaskWagmi(cor, { taskId })
 */
export async function readTaskWagmi(cor: CorConfig, { taskId }: { taskId: bigint }): Promise<TaskInfo> {
  const raw = await readContract(cor.config, { ...cor.contracts.network, functionName: "getTask", args: [taskId] });
  if (raw.status === 0) throw new NotFoundError({ kind: "task", id: taskId });
  return toTaskInfo(taskId, raw);
}

/**
 * Reads a session through wagmi (decoded like getSession).
 *
 * @example
 * const { deposit, status } = await readSessionWagmi(cor, { sessionId: 3 })
 */
export async function readSessionWagmi(cor: CorConfig, { sessionId }: { sessionId: number }): Promise<SessionInfo> {
  const raw = await readContract(cor.config, {
    ...cor.contracts.network,
    functionName: "getSession",
    args: [sessionId],
  });
  if (raw.status === 0) throw new NotFoundError({ kind: "session", id: sessionId });
  return toSessionInfo(sessionId, raw);
}

/**
 * Reads a node through wagmi (decoded like getNode).
 *
 * @example
 * const node = await readNodeWagmi(cor, { nodeId: 2 })
 */
export async function readNodeWagmi(cor: CorConfig, { nodeId }: { nodeId: number }): Promise<NodeInfo> {
  const raw = await readContract(cor.config, { ...cor.contracts.network, functionName: "getNode", args: [nodeId] });
  if (raw.account === "0x0000000000000000000000000000000000000000")
    throw new NotFoundError({ kind: "node", id: nodeId });
  return toNodeInfo(nodeId, raw);
}

/**
 * Reads the protocol parameters through wagmi.
 *
 * @example
 * const { minStake } = await readParamsWagmi(cor)
 */
export async function readParamsWagmi(cor: CorConfig): Promise<NetworkParams> {
  return toNetworkParams(await readContract(cor.config, { ...cor.contracts.network, functionName: "params" }));
}
