import type { Chain, Client, ReadContractErrorType, Transport } from "viem";
import type { NotFoundErrorType } from "../errors/task.ts";
import { type SessionInfo, toSessionInfo } from "../utils/decode.ts";
import type { NetworkParameter } from "../utils/write.ts";
import { getRawSession } from "./getRawSession.ts";

export type GetSessionParameters = NetworkParameter & {
  sessionId: number;
};

export type GetSessionReturnType = SessionInfo;

export type GetSessionErrorType = NotFoundErrorType | ReadContractErrorType;

/**
 * Reads a session: owner, status, configuration with enum names, free balance (`deposit`) and escrow.
 *
 * @param client - Any client.
 * @param parameters - {@link GetSessionParameters}
 * @returns The session. {@link GetSessionReturnType}
 * @throws NotFoundError when the session does not exist.
 *
 * @example
 * const session = await getSession(client, { network, sessionId: 3 })
 * console.log(session.status, formatCor(session.deposit))
 */
export async function getSession<chain extends Chain | undefined>(
  client: Client<Transport, chain>,
  parameters: GetSessionParameters,
): Promise<GetSessionReturnType> {
  return toSessionInfo(parameters.sessionId, await getRawSession(client, parameters));
}
