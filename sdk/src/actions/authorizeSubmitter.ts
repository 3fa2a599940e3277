import type { Account, Address, Chain, Client, Hash, Transport } from "viem";
import { type NetworkWriteErrorType, type WriteParameters, writeNetwork } from "../utils/write.ts";

export type AuthorizeSubmitterParameters = WriteParameters & {
  sessionId: number;
  /** Address allowed (or no longer allowed) to submit tasks to the session, e.g. a router's account. */
  submitter: Address;
  /** true to allow (default), false to revoke. */
  allowed?: boolean | undefined;
};

export type AuthorizeSubmitterReturnType = { hash: Hash };

export type AuthorizeSubmitterErrorType = NetworkWriteErrorType;

/**
 * The session owner lets another address submit tasks that the session pays for (a router acting for web2
 * clients, a backend), or revokes it.
 *
 * @param client - Client with the owner's account (or pass `account`).
 * @param parameters - {@link AuthorizeSubmitterParameters}
 * @returns The transaction hash. {@link AuthorizeSubmitterReturnType}
 *
 * @example
 * await authorizeSubmitter(client, { network, sessionId: 3, submitter: routerAccount })
 */
export async function authorizeSubmitter<chain extends Chain | undefined, account extends Account | undefined>(
  client: Client<Transport, chain, account>,
  parameters: AuthorizeSubmitterParameters,
): Promise<AuthorizeSubmitterReturnType> {
  const { hash } = await writeNetwork(client, {
    network: parameters.network,
    functionName: "authorizeSubmitter",
    args: [parameters.sessionId, parameters.submitter, parameters.allowed ?? true],
    account: parameters.account,
    receiptTimeout: parameters.receiptTimeout,
  });
  return { hash };
}
