import {
  type FetchResultErrorType,
  type FetchResultParameters,
  fetchResult,
  type TaskResult,
} from "../actions/fetchResult.ts";
import { type VerifyResultErrorType, type VerifyResultReturnType, verifyResult } from "../actions/verifyResult.ts";
import {
  type CorChainIdParameter,
  type CorDeploymentErrorType,
  type CorWagmiConfig,
  getCorDeployment,
} from "./config.ts";

export type FetchResultWagmiParameters = Omit<FetchResultParameters, "network"> & CorChainIdParameter;
export type FetchResultWagmiReturnType = TaskResult;
export type FetchResultWagmiErrorType = FetchResultErrorType | CorDeploymentErrorType;
export type VerifyResultWagmiParameters = { taskId: bigint; result: string | Uint8Array } & CorChainIdParameter;
export type VerifyResultWagmiReturnType = VerifyResultReturnType;
export type VerifyResultWagmiErrorType = VerifyResultErrorType | CorDeploymentErrorType;

/**
 * fetchResult through wagmi's public client: the winner's result CID from the chain, the bytes from the store,
 * checked against the finalized resultHash.
 *
 * @example
 * const { text } = await fetchResultWagmi(config, { taskId, store, fromBlock })
 */
export async function fetchResultWagmi(
  config: CorWagmiConfig,
  parameters: FetchResultWagmiParameters,
): Promise<FetchResultWagmiReturnType> {
  const cor = getCorDeployment(config, parameters);
  const client = cor.config.getClient({ chainId: cor.chainId });
  return fetchResult(client, { ...parameters, network: cor.deployment.network });
}

/**
 * verifyResult through wagmi: compares text obtained elsewhere (a router stream) with the finalized hash.
 *
 * @example
 * const { valid } = await verifyResultWagmi(config, { taskId, result: streamedText })
 */
export async function verifyResultWagmi(
  config: CorWagmiConfig,
  parameters: VerifyResultWagmiParameters,
): Promise<VerifyResultWagmiReturnType> {
  const cor = getCorDeployment(config, parameters);
  const client = cor.config.getClient({ chainId: cor.chainId });
  return verifyResult(client, { ...parameters, network: cor.deployment.network });
}
