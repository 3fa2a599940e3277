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
import {
  type CorChainIdParameter,
  type CorDeploymentErrorType,
  type CorWagmiConfig,
  getCorDeployment,
} from "./config.ts";

/** What the wagmi reads throw: an RPC/decoding error, a missing node/session/task, an unresolved chain. */
export type ReadErrorType = ReadContractErrorType | NotFoundError | CorDeploymentErrorType;

export type ReadTaskWagmiParameters = { taskId: bigint } & CorChainIdParameter;
export type ReadTaskWagmiReturnType = TaskInfo;
export type ReadTaskWagmiErrorType = ReadErrorType;
export type ReadSessionWagmiParameters = { sessionId: number } & CorChainIdParameter;
export type ReadSessionWagmiReturnType = SessionInfo;
export type ReadSessionWagmiErrorType = ReadErrorType;
export type ReadNodeWagmiParameters = { nodeId: number } & CorChainIdParameter;
export type ReadNodeWagmiReturnType = NodeInfo;
export type ReadNodeWagmiErrorType = ReadErrorType;
export type ReadParamsWagmiParameters = CorChainIdParameter;
export type ReadParamsWagmiReturnType = NetworkParams;
export type ReadParamsWagmiErrorType = ReadErrorType;

/**
 * Reads a task through wagmi (decoded like getTask).
 *
 * @example
 * const task = await readTaskWagmi(config, { taskId })
 */
export async function readTaskWagmi(
  config: CorWagmiConfig,
  { taskId, chainId }: ReadTaskWagmiParameters,
): Promise<ReadTaskWagmiReturnType> {
  const cor = getCorDeployment(config, { chainId });
  const raw = await readContract(cor.config, { ...cor.contracts.network, functionName: "getTask", args: [taskId] });
  if (raw.status === 0) throw new NotFoundError({ kind: "task", id: taskId });
  return toTaskInfo(taskId, raw);
}

/**
 * Reads a session through wagmi (decoded like getSession).
 *
 * @example
 * const { deposit, status } = await readSessionWagmi(config, { sessionId: 3 })
 */
export async function readSessionWagmi(
  config: CorWagmiConfig,
  { sessionId, chainId }: ReadSessionWagmiParameters,
): Promise<ReadSessionWagmiReturnType> {
  const cor = getCorDeployment(config, { chainId });
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
 * const node = await readNodeWagmi(config, { nodeId: 2 })
 */
export async function readNodeWagmi(
  config: CorWagmiConfig,
  { nodeId, chainId }: ReadNodeWagmiParameters,
): Promise<ReadNodeWagmiReturnType> {
  const cor = getCorDeployment(config, { chainId });
  const raw = await readContract(cor.config, { ...cor.contracts.network, functionName: "getNode", args: [nodeId] });
  if (raw.account === "0x0000000000000000000000000000000000000000")
    throw new NotFoundError({ kind: "node", id: nodeId });
  return toNodeInfo(nodeId, raw);
}

/**
 * Reads the protocol parameters through wagmi.
 *
 * @example
 * const { minStake } = await readParamsWagmi(config)
 */
export async function readParamsWagmi(
  config: CorWagmiConfig,
  { chainId }: ReadParamsWagmiParameters = {},
): Promise<ReadParamsWagmiReturnType> {
  const cor = getCorDeployment(config, { chainId });
  return toNetworkParams(await readContract(cor.config, { ...cor.contracts.network, functionName: "params" }));
}
