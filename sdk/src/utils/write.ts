import type {
  Account,
  Address,
  Chain,
  Client,
  ContractFunctionArgs,
  ContractFunctionName,
  Hash,
  TransactionReceipt,
  Transport,
  WaitForTransactionReceiptErrorType,
  WriteContractErrorType,
} from "viem";
import { waitForTransactionReceipt, writeContract } from "viem/actions";
import { getAction } from "viem/utils";
import { type ContractRevertedErrorType, TransactionRevertedError, withContractErrors } from "../errors/contract.ts";
import { AccountRequiredError, type AccountRequiredErrorType } from "../errors/task.ts";
import type { iCorNetworkAbi } from "../generated/abis.ts";
import { networkAbiWithErrors } from "./abi.ts";

/** Every action takes the network address (deployment.network): the one address of COR network. */
export type NetworkParameter = {
  /** Address of CorNetwork (`deployment.network`). */
  network: Address;
};

/** Parameters shared by every write action. */
export type WriteParameters = NetworkParameter & {
  /** Account that signs; defaults to the client's account. */
  account?: Account | Address | undefined;
  /** How long to wait for each receipt, in ms. Default: viem's (180 s). */
  receiptTimeout?: number | undefined;
};

/** Parameters of the actions that pull COR from the caller (stake, deposit). */
export type ApproveParameters = {
  /** COR token address; read from the network when omitted. */
  token?: Address | undefined;
  /** Approve the network for the missing allowance first (default true); false leaves approvals to you. */
  approve?: boolean | undefined;
};

export type NetworkWriteFunctionName = ContractFunctionName<typeof iCorNetworkAbi, "nonpayable" | "payable">;
export type NetworkWriteArgs<name extends NetworkWriteFunctionName> = ContractFunctionArgs<
  typeof iCorNetworkAbi,
  "nonpayable" | "payable",
  name
>;

export type AnyClient = Client<Transport, Chain | undefined, Account | undefined>;

/** What any network write can throw: a decoded revert, no signer, viem's write and receipt errors. */
export type NetworkWriteErrorType =
  | ContractRevertedErrorType
  | AccountRequiredErrorType
  | WriteContractErrorType
  | WaitForTransactionReceiptErrorType;

/** The account that signs: the parameter, else the client's. Throws AccountRequiredError. */
export function resolveAccount(client: AnyClient, account: Account | Address | undefined): Account | Address {
  const resolved = account ?? client.account;
  if (!resolved) throw new AccountRequiredError();
  return resolved;
}

export const accountAddress = (account: Account | Address): Address =>
  typeof account === "string" ? account : account.address;

/**
 * Sends one network transaction and waits for its receipt. Reverts (caught at gas estimation) become
 * ContractRevertedError; a receipt with status "reverted" becomes TransactionRevertedError.
 * @internal
 */
export async function writeNetwork<name extends NetworkWriteFunctionName>(
  client: AnyClient,
  p: {
    network: Address;
    functionName: name;
    args: NetworkWriteArgs<name>;
    account?: Account | Address | undefined;
    receiptTimeout?: number | undefined;
  },
): Promise<{ hash: Hash; receipt: TransactionReceipt }> {
  const account = resolveAccount(client, p.account);
  const context = {
    functionName: p.functionName,
    args: p.args as readonly unknown[],
    contractAddress: p.network,
    sender: accountAddress(account),
  };
  const hash = await withContractErrors(
    () =>
      getAction(
        client,
        writeContract,
        "writeContract",
      )({
        address: p.network,
        abi: networkAbiWithErrors,
        functionName: p.functionName,
        args: p.args,
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
  if (receipt.status !== "success") {
    throw new TransactionRevertedError({ hash, functionName: p.functionName, blockNumber: receipt.blockNumber });
  }
  return { hash, receipt };
}
