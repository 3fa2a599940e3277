import type { Chain, Client, ReadContractErrorType, Transport } from "viem";
import { readContract } from "viem/actions";
import { getAction } from "viem/utils";
import { iCorNetworkAbi } from "../generated/abis.ts";
import { type NetworkParams, toNetworkParams } from "../utils/decode.ts";
import type { NetworkParameter } from "../utils/write.ts";

export type GetParamsParameters = NetworkParameter;

export type GetParamsReturnType = NetworkParams;

export type GetParamsErrorType = ReadContractErrorType;

/**
 * Reads the protocol parameters: minimum stake per role, unstake cooldown, fees and slash fractions.
 *
 * @param client - Any client.
 * @param parameters - {@link GetParamsParameters}
 * @returns The parameters. {@link GetParamsReturnType}
 *
 * @example
 * const { minStake } = await getParams(client, { network })
 * await registerNode(client, { network, role: 'Miner', stake: minStake.miner, models: [modelId] })
 */
export async function getParams<chain extends Chain | undefined>(
  client: Client<Transport, chain>,
  parameters: GetParamsParameters,
): Promise<GetParamsReturnType> {
  const raw = await getAction(
    client,
    readContract,
    "readContract",
  )({ address: parameters.network, abi: iCorNetworkAbi, functionName: "params" });
  return toNetworkParams(raw);
}
