import type { Account, Chain, Client, Hash, Transport } from "viem";
import { type NetworkWriteErrorType, type WriteParameters, writeNetwork } from "../utils/write.ts";

export type SetSessionRouterParameters = WriteParameters & {
  sessionId: number;
  /** The router node allowed to assign the session's tasks; 0: only the owner. */
  routerId: number;
};

export type SetSessionRouterReturnType = { hash: Hash };

export type SetSessionRouterErrorType = NetworkWriteErrorType;

/**
 * Session owner: changes which router may assign the session's tasks. Reverts `NotSessionOwner`,
 * `InvalidRouter` (the node is not a router).
 *
 * @param client - Client with the session owner's account (or pass `account`).
 * @param parameters - {@link SetSessionRouterParameters}
 * @returns The transaction hash. {@link SetSessionRouterReturnType}
 *
 * @example
 * await setSessionRouter(client, { network: deployment.network, sessionId, routerId: 4 })
 */
export async function setSessionRouter<chain extends Chain | undefined, account extends Account | undefined>(
  client: Client<Transport, chain, account>,
  parameters: SetSessionRouterParameters,
): Promise<SetSessionRouterReturnType> {
  const { hash } = await writeNetwork(client, {
    network: parameters.network,
    functionName: "setSessionRouter",
    args: [parameters.sessionId, parameters.routerId],
    account: parameters.account,
    receiptTimeout: parameters.receiptTimeout,
  });
  return { hash };
}
