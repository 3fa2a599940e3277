import type {
  Abi,
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
import {
  type ContractErrorContext,
  type ContractRevertedErrorType,
  TransactionRevertedError,
  withContractErrors,
} from "../errors/contract.ts";
import { AccountRequiredError, type AccountRequiredErrorType } from "../errors/task.ts";
import { corTokenAbi, type iCorNetworkAbi } from "../generated/abis.ts";
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

type WriteMutability = "nonpayable" | "payable";
export type NetworkWriteFunctionName = ContractFunctionName<typeof iCorNetworkAbi, WriteMutability>;
export type NetworkWriteArgs<name extends NetworkWriteFunctionName> = ContractFunctionArgs<
  typeof iCorNetworkAbi,
  WriteMutability,
  name
>;
export type TokenWriteFunctionName = ContractFunctionName<typeof corTokenAbi, WriteMutability>;
export type TokenWriteArgs<name extends TokenWriteFunctionName> = ContractFunctionArgs<
  typeof corTokenAbi,
  WriteMutability,
  name
>;

/**
 * A contract call whose name and arguments were checked against its ABI by the function that built it
 * ({@link networkCall}, {@link tokenCall}), in the untyped shape viem's and wagmi's actions take from generic code.
 * @internal
 */
export type ContractCall = { address: Address; abi: Abi; functionName: string; args: readonly unknown[] };

/**
 * The SDK's one cast from typed to untyped call arguments. viem resolves `ContractFunctionArgs<abi, …, name>` only
 * for a literal `name`; inside a helper generic over `name` the type stays opaque, so it can neither be passed to
 * `writeContract` nor read as an array. The helpers' signatures have already checked the name and the argument
 * list against the ABI (a wrong one is a type error at the call site); here they are handed on as what they are at
 * runtime, an argument array.
 */
const checkedArgs = <const abi extends Abi, name extends ContractFunctionName<abi, WriteMutability>>(
  args: ContractFunctionArgs<abi, WriteMutability, name>,
): readonly unknown[] => args as readonly unknown[];

/**
 * The network call `functionName(...args)`, typed on ICorNetwork, with every error it can revert with in its ABI.
 * @internal
 */
export const networkCall = <name extends NetworkWriteFunctionName>(
  network: Address,
  functionName: name,
  args: NetworkWriteArgs<name>,
): ContractCall => ({
  address: network,
  abi: networkAbiWithErrors,
  functionName,
  args: checkedArgs<typeof iCorNetworkAbi, name>(args),
});

/** The COR token call `functionName(...args)` (approve, transfer), typed on the token's ABI. @internal */
export const tokenCall = <name extends TokenWriteFunctionName>(
  token: Address,
  functionName: name,
  args: TokenWriteArgs<name>,
): ContractCall => ({
  address: token,
  abi: corTokenAbi,
  functionName,
  args: checkedArgs<typeof corTokenAbi, name>(args),
});

/** What withContractErrors needs to explain a revert of `call` sent by `sender`. @internal */
export const callContext = (call: ContractCall, sender: Address): ContractErrorContext => ({
  functionName: call.functionName,
  args: call.args,
  contractAddress: call.address,
  sender,
});

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
  return sendCall(client, networkCall(p.network, p.functionName, p.args), account, p.receiptTimeout);
}

/**
 * Sends a call built by {@link networkCall} or {@link tokenCall} and waits for its receipt; reverts decoded.
 * @internal
 */
export async function sendCall(
  client: AnyClient,
  call: ContractCall,
  account: Account | Address,
  receiptTimeout?: number | undefined,
): Promise<{ hash: Hash; receipt: TransactionReceipt }> {
  const hash = await withContractErrors(
    () => getAction(client, writeContract, "writeContract")({ ...call, account, chain: client.chain ?? null }),
    callContext(call, accountAddress(account)),
  );
  const receipt = await getAction(
    client,
    waitForTransactionReceipt,
    "waitForTransactionReceipt",
  )({ hash, ...(receiptTimeout ? { timeout: receiptTimeout } : {}) });
  if (receipt.status !== "success") {
    throw new TransactionRevertedError({ hash, functionName: call.functionName, blockNumber: receipt.blockNumber });
  }
  return { hash, receipt };
}
