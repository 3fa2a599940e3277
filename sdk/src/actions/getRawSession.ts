import type { Chain, Client, ReadContractErrorType, Transport } from "viem";
import { readContract } from "viem/actions";
import { getAction } from "viem/utils";
import { NotFoundError, type NotFoundErrorType } from "../errors/task.ts";
import { iCorNetworkAbi } from "../generated/abis.ts";
import type { RawSession } from "../utils/decode.ts";
import type { NetworkParameter } from "../utils/write.ts";

export type GetRawSessionParameters = NetworkParameter & {
  sessionId: number;
};

/** The `Session` struct as `getSession(uint32)` returns it, typed from the ABI. */
export type GetRawSessionReturnType = RawSession;

export type GetRawSessionErrorType = NotFoundErrorType | ReadContractErrorType;

/**
 * Reads a session as the contract stores it: enum values as numbers, sampling in thousandths and basis points,
 * dedicated miners packed into one word. For an API that mirrors the chain (the router's `GET /api/v1/sessions/:id`);
 * everything else wants {@link getSession}, which decodes this.
 *
 * @param client - Any client.
 * @param parameters - {@link GetRawSessionParameters}
 * @returns The struct. {@link GetRawSessionReturnType}
 * @throws NotFoundError when the session does not exist.
 *
 * @example
 * const raw = await getRawSession(client, { network, sessionId: 3 })
 * // { owner: '0x…', status: 1, validation: 1, temperature: 0, topP: 0, deposit: 10000000000000000000n, … }
 */
export async function getRawSession<chain extends Chain | undefined>(
  client: Client<Transport, chain>,
  parameters: GetRawSessionParameters,
): Promise<GetRawSessionReturnType> {
  const raw = await getAction(
    client,
    readContract,
    "readContract",
  )({ address: parameters.network, abi: iCorNetworkAbi, functionName: "getSession", args: [parameters.sessionId] });
  if (raw.status === 0) throw new NotFoundError({ kind: "session", id: parameters.sessionId });
  return raw;
}
