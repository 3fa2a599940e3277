import type { Account, Address, Hash } from "viem";
import { readContract, waitForTransactionReceipt, writeContract } from "viem/actions";
import { getAction } from "viem/utils";
import { TransactionRevertedError, withContractErrors } from "../errors/contract.ts";
import { corTokenAbi, iCorNetworkAbi } from "../generated/abis.ts";
import { type AnyClient, accountAddress, resolveAccount } from "./write.ts";

const tokenCache = new Map<string, Address>();

/** The COR token of a network (read once per client and network, then cached). */
export async function resolveToken(client: AnyClient, network: Address, token?: Address): Promise<Address> {
  if (token) return token;
  const key = `${client.uid}:${network.toLowerCase()}`;
  const cached = tokenCache.get(key);
  if (cached) return cached;
  const address = await getAction(
    client,
    readContract,
    "readContract",
  )({ address: network, abi: iCorNetworkAbi, functionName: "token" });
  tokenCache.set(key, address);
  return address;
}

/**
 * Approves `spender` for `amount` COR when the current allowance is lower, and waits for the approval to be mined
 * (so the next transaction's gas estimate sees it). Returns the approval hash, or undefined when none was needed.
 * @internal
 */
export async function ensureAllowance(
  client: AnyClient,
  p: {
    token: Address;
    spender: Address;
    amount: bigint;
    account?: Account | Address | undefined;
    receiptTimeout?: number | undefined;
  },
): Promise<Hash | undefined> {
  if (p.amount === 0n) return undefined;
  const account = resolveAccount(client, p.account);
  const owner = accountAddress(account);
  const allowance = await getAction(
    client,
    readContract,
    "readContract",
  )({ address: p.token, abi: corTokenAbi, functionName: "allowance", args: [owner, p.spender] });
  if (allowance >= p.amount) return undefined;
  const context = { functionName: "approve", args: [p.spender, p.amount], contractAddress: p.token, sender: owner };
  const hash = await withContractErrors(
    () =>
      getAction(
        client,
        writeContract,
        "writeContract",
      )({
        address: p.token,
        abi: corTokenAbi,
        functionName: "approve",
        args: [p.spender, p.amount],
        account,
        chain: client.chain ?? null,
      } as never),
    context,
  );
  const receipt = await getAction(
    client,
    waitForTransactionReceipt,
    "waitForTransactionReceipt",
  )({ hash, ...(p.receiptTimeout ? { timeout: p.receiptTimeout } : {}) });
  if (receipt.status !== "success") throw new TransactionRevertedError({ hash, functionName: "approve" });
  return hash;
}
