import { type FetchResultParameters, fetchResult, type TaskResult } from "../actions/fetchResult.ts";
import { type VerifyResultReturnType, verifyResult } from "../actions/verifyResult.ts";
import type { CorConfig } from "./config.ts";

/**
 * fetchResult through wagmi's public client: the winner's result CID from the chain, the bytes from the store,
 * checked against the finalized resultHash.
 *
 * @example
 * const { text } = await fetchResultWagmi(cor, { taskId, store, fromBlock })
 */
export async function fetchResultWagmi(
  cor: CorConfig,
  parameters: Omit<FetchResultParameters, "network">,
): Promise<TaskResult> {
  const client = cor.config.getClient({ chainId: cor.chain.id });
  return fetchResult(client, { ...parameters, network: cor.deployment.network });
}

/**
 * verifyResult through wagmi: compares text obtained elsewhere (a router stream) with the finalized hash.
 *
 * @example
 * const { valid } = await verifyResultWagmi(cor, { taskId, result: streamedText })
 */
export async function verifyResultWagmi(
  cor: CorConfig,
  parameters: { taskId: bigint; result: string | Uint8Array },
): Promise<VerifyResultReturnType> {
  const client = cor.config.getClient({ chainId: cor.chain.id });
  return verifyResult(client, { ...parameters, network: cor.deployment.network });
}
