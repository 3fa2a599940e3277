import {
  type Config,
  getConnection,
  readContract,
  simulateContract,
  waitForTransactionReceipt,
  writeContract,
} from "@wagmi/core";
import type { Account, Address, Hash, TransactionReceipt } from "viem";
import { TransactionRevertedError, withContractErrors } from "../errors/contract.ts";
import { AccountRequiredError } from "../errors/task.ts";
import { allowanceOverride, throwIfReverted } from "../utils/allowance.ts";
import {
  callContext,
  type NetworkWriteArgs,
  type NetworkWriteFunctionName,
  networkCall,
  tokenCall,
} from "../utils/write.ts";
import type { CorChainIdParameter, ResolvedCorConfig } from "./config.ts";

/** Parameters shared by the wagmi write actions. */
export type WagmiWriteParameters = CorChainIdParameter & {
  /** Signer: a local account, or an address of the connected wallet; default the connected account. */
  account?: Account | Address | undefined;
};

/** @internal The signer's address: the account parameter, else the connected wallet's. */
export function signerAddress(config: Config, account: Account | Address | undefined): Address {
  if (account) return typeof account === "string" ? account : account.address;
  const { address } = getConnection(config);
  if (!address) throw new AccountRequiredError();
  return address;
}

type NetworkCall<name extends NetworkWriteFunctionName> = {
  functionName: name;
  args: NetworkWriteArgs<name>;
  account?: Account | Address | undefined;
};

/** @internal writeContract on the network + receipt, reverts decoded. */
export async function writeNetworkWagmi<name extends NetworkWriteFunctionName>(
  cor: ResolvedCorConfig,
  p: NetworkCall<name>,
): Promise<{ hash: Hash; receipt: TransactionReceipt }> {
  const sender = signerAddress(cor.config, p.account);
  const call = networkCall(cor.deployment.network, p.functionName, p.args);
  const hash = await withContractErrors(
    () => writeContract(cor.config, { ...call, chainId: cor.chainId, ...(p.account ? { account: p.account } : {}) }),
    callContext(call, sender),
  );
  const receipt = await waitForTransactionReceipt(cor.config, { hash, chainId: cor.chainId });
  if (receipt.status !== "success") throw new TransactionRevertedError({ hash, functionName: p.functionName });
  return { hash, receipt: receipt as TransactionReceipt };
}

/**
 * @internal A network call that pulls `amount` COR, like the viem actions' writeNetworkPulling: when the allowance
 * is too low, the call is simulated with the allowance overridden (a revert throws before any approval), then the
 * exact amount is approved, then the call is sent.
 */
export async function writeNetworkPullingWagmi<name extends NetworkWriteFunctionName>(
  cor: ResolvedCorConfig,
  p: NetworkCall<name> & { amount: bigint; approve?: boolean | undefined },
): Promise<{ hash: Hash; receipt: TransactionReceipt; approvalHash: Hash | undefined }> {
  let approvalHash: Hash | undefined;
  if (p.approve !== false && p.amount > 0n) {
    const owner = signerAddress(cor.config, p.account);
    const { network, token } = cor.deployment;
    const allowance = await readContract(cor.config, {
      ...cor.contracts.token,
      functionName: "allowance",
      args: [owner, network],
    });
    if (allowance < p.amount) {
      const call = networkCall(network, p.functionName, p.args);
      await withContractErrors(
        () =>
          simulateContract(cor.config, {
            ...call,
            chainId: cor.chainId,
            account: p.account ?? owner,
            stateOverride: allowanceOverride(token, owner, network, p.amount),
          }),
        callContext(call, owner),
      ).catch(throwIfReverted);
      approvalHash = await approveWagmi(cor, { owner, amount: p.amount, account: p.account });
    }
  }
  return { ...(await writeNetworkWagmi(cor, p)), approvalHash };
}

/** Approves the network for `amount` COR and waits for the approval's receipt. */
async function approveWagmi(
  cor: ResolvedCorConfig,
  p: { owner: Address; amount: bigint; account: Account | Address | undefined },
): Promise<Hash> {
  const call = tokenCall(cor.deployment.token, "approve", [cor.deployment.network, p.amount]);
  const hash = await withContractErrors(
    () => writeContract(cor.config, { ...call, chainId: cor.chainId, ...(p.account ? { account: p.account } : {}) }),
    callContext(call, p.owner),
  );
  const receipt = await waitForTransactionReceipt(cor.config, { hash, chainId: cor.chainId });
  if (receipt.status !== "success") throw new TransactionRevertedError({ hash, functionName: "approve" });
  return hash;
}
