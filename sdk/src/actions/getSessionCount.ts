import type { Chain, Client, ReadContractErrorType, Transport } from "viem";
import { readContract } from "viem/actions";
import { getAction } from "viem/utils";
import { iCorNetworkAbi } from "../generated/abis.ts";
import type { NetworkParameter } from "../utils/write.ts";

export type GetSessionCountParameters = NetworkParameter;

/** Sessions ever opened; ids run from 1 to this number (closed sessions keep their ids). */
export type GetSessionCountReturnType = number;

export type GetSessionCountErrorType = ReadContractErrorType;

/**
 * Reads how many sessions the network has opened (`sessionCount()`): the id of the newest session, 0 before the
 * first one.
 *
 * @param client - Any client.
 * @param parameters - {@link GetSessionCountParameters}
 * @returns The count. {@link GetSessionCountReturnType}
 *
 * @example
 * const count = await getSessionCount(client, { network })
 * for (let sessionId = 1; sessionId <= count; sessionId++) console.log(await getSession(client, { network, sessionId }))
 */
export async function getSessionCount<chain extends Chain | undefined>(
  client: Client<Transport, chain>,
  parameters: GetSessionCountParameters,
): Promise<GetSessionCountReturnType> {
  return getAction(
    client,
    readContract,
    "readContract",
  )({ address: parameters.network, abi: iCorNetworkAbi, functionName: "sessionCount" });
}
