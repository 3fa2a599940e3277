import type { Chain, Client, Hex, ReadContractErrorType, Transport } from "viem";
import { NotFoundError, type NotFoundErrorType } from "../errors/task.ts";
import { contentHashOf as contentHash } from "../utils/hash.ts";
import type { NetworkParameter } from "../utils/write.ts";
import { getTask } from "./getTask.ts";

export type VerifyResultParameters = NetworkParameter & {
  taskId: bigint;
  /** The result as received (e.g. streamed by a router): text (UTF-8) or bytes. */
  result: string | Uint8Array;
};

export type VerifyResultReturnType = {
  /** True when contentHash(result) equals the finalized resultHash. */
  valid: boolean;
  /** The finalized resultHash on-chain. */
  expectedHash: Hex;
  /** contentHash(result). */
  actualHash: Hex;
};

export type VerifyResultErrorType = NotFoundErrorType | ReadContractErrorType;

/**
 * Checks a result obtained anywhere (a router's response, a stream, a cache) against the chain: hashes it and
 * compares with the task's finalized `resultHash`. No download, no exception on mismatch: read `valid`.
 *
 * @param client - Any client.
 * @param parameters - {@link VerifyResultParameters}
 * @returns Whether it matches. {@link VerifyResultReturnType}
 * @throws NotFoundError when the task is not Finalized (nothing to compare with yet).
 *
 * @example
 * const completion = await router.chatCompletions({ model, messages })
 * const { valid } = await verifyResult(client, {
 *   network,
 *   taskId: BigInt(completion.cor.task_id),
 *   result: completion.choices[0].message.content,
 * })
 */
export async function verifyResult<chain extends Chain | undefined>(
  client: Client<Transport, chain>,
  parameters: VerifyResultParameters,
): Promise<VerifyResultReturnType> {
  const task = await getTask(client, { network: parameters.network, taskId: parameters.taskId });
  if (task.status !== "Finalized" || !task.resultHash) {
    throw new NotFoundError({
      kind: "result",
      id: parameters.taskId,
      details: `task ${parameters.taskId} is ${task.status}: no finalized result to compare with`,
    });
  }
  const actualHash = contentHash(parameters.result);
  return { valid: actualHash === task.resultHash, expectedHash: task.resultHash, actualHash };
}
