import { getConnection, readContract, waitForTransactionReceipt, writeContract } from "@wagmi/core";
import type { Account, Address, Hash, TransactionReceipt } from "viem";
import { TransactionRevertedError, withContractErrors } from "../errors/contract.ts";
import { AccountRequiredError } from "../errors/task.ts";
import type { NetworkWriteArgs, NetworkWriteFunctionName } from "../utils/write.ts";
import type { CorConfig } from "./config.ts";

/** Parameters shared by the wagmi write actions. */
export type WagmiWriteParameters = {
  /** Signer: a local account, or an address of the connected wallet; default the connected account. */
  account?: Account | Address | undefined;
};

/** @internal The signer's address: the account parameter, else the connected wallet's. */
export function signerAddress(cor: CorConfig, account: Account | Address | undefined): Address {
  if (account) return typeof account === "string" ? account : account.address;
  const { address } = getConnection(cor.config);
  if (!address) throw new AccountRequiredError();
  return address;
}

/** @internal writeContract on the network + receipt, reverts decoded. */
export async function writeNetworkWagmi<name extends NetworkWriteFunctionName>(
  cor: CorConfig,
  p: { functionName: name; args: NetworkWriteArgs<name>; account?: Account | Address | undefined },
): Promise<{ hash: Hash; receipt: TransactionReceipt }> {
  const sender = signerAddress(cor, p.account);
  const hash = await withContractErrors(
    () =>
      writeContract(cor.config, {
        ...cor.contracts.network,
        functionName: p.functionName,
        args: p.args,
        ...(p.account ? { account: p.account } : {}),
      } as never),
    {
      functionName: p.functionName,
      args: p.args as readonly unknown[],
      contractAddress: cor.deployment.network,
      sender,
    },
  );
  const receipt = await waitForTransactionReceipt(cor.config, { hash, chainId: cor.chain.id });
  if (receipt.status !== "success") throw new TransactionRevertedError({ hash, functionName: p.functionName });
  return { hash, receipt: receipt as TransactionReceipt };
}

/** @internal Approves the network for `amount` COR when the allowance is lower. */
export async function ensureAllowanceWagmi(
  cor: CorConfig,
  p: { amount: bigint; account?: Account | Address | undefined },
): Promise<Hash | undefined> {
  if (p.amount === 0n) return undefined;
  const owner = signerAddress(cor, p.account);
  const allowance = await readContract(cor.config, {
    ...cor.contracts.token,
    functionName: "allowance",
    args: [owner, cor.deployment.network],
  });
  if (allowance >= p.amount) return undefined;
  const hash = await withContractErrors(
    () =>
      writeContract(cor.config, {
        ...cor.contracts.token,
        functionName: "approve",
        args: [cor.deployment.network, p.amount],
        ...(p.account ? { account: p.account } : {}),
      } as never),
    { functionName: "approve", contractAddress: cor.deployment.token, sender: owner },
  );
  const receipt = await waitForTransactionReceipt(cor.config, { hash, chainId: cor.chain.id });
  if (receipt.status !== "success") throw new TransactionRevertedError({ hash, functionName: "approve" });
  return hash;
}
