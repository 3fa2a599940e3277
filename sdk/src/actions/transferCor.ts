import type { Account, Address, Chain, Client, Hash, Transport } from "viem";
import { resolveToken, writeToken } from "../utils/allowance.ts";
import { type NetworkWriteErrorType, resolveAccount, type WriteParameters } from "../utils/write.ts";

export type TransferCorParameters = WriteParameters & {
  /** Recipient. */
  to: Address;
  /** COR (wei). */
  amount: bigint;
  /** COR token address; read from the network when omitted. */
  token?: Address | undefined;
};

export type TransferCorReturnType = { hash: Hash };

export type TransferCorErrorType = NetworkWriteErrorType;

/**
 * Sends COR to an address (the network's token, read from the network unless given): e.g. funding a node's or a
 * gateway's account. Reverts decoded (`ERC20InsufficientBalance`, `ERC20InvalidReceiver`).
 *
 * @param client - Client with an account (or pass `account`).
 * @param parameters - {@link TransferCorParameters}
 * @returns The transaction hash, once mined. {@link TransferCorReturnType}
 *
 * @example
 * await transferCor(client, { network: deployment.network, to: minerAddress, amount: parseCor('100') })
 */
export async function transferCor<chain extends Chain | undefined, account extends Account | undefined>(
  client: Client<Transport, chain, account>,
  parameters: TransferCorParameters,
): Promise<TransferCorReturnType> {
  const account = resolveAccount(client, parameters.account);
  const token = await resolveToken(client, parameters.network, parameters.token);
  const { hash } = await writeToken(client, {
    token,
    functionName: "transfer",
    args: [parameters.to, parameters.amount],
    account,
    receiptTimeout: parameters.receiptTimeout,
  });
  return { hash };
}
