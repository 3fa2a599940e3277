import {
  type Account,
  type Address,
  encodeAbiParameters,
  type Hash,
  keccak256,
  numberToHex,
  type StateOverride,
  type TransactionReceipt,
} from "viem";
import { readContract, simulateContract } from "viem/actions";
import { getAction } from "viem/utils";
import { isContractError, withContractErrors } from "../errors/contract.ts";
import { corTokenAbi, iCorNetworkAbi } from "../generated/abis.ts";
import {
  type AnyClient,
  accountAddress,
  callContext,
  type NetworkWriteArgs,
  type NetworkWriteFunctionName,
  networkCall,
  resolveAccount,
  sendCall,
  type TokenWriteArgs,
  tokenCall,
  writeNetwork,
} from "./write.ts";

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

/** Storage slot of the COR token's `_allowances` mapping (OpenZeppelin ERC20: slot 1; a test pins it). */
const ALLOWANCES_SLOT = 1n;

/**
 * Storage slot holding `allowance(owner, spender)` in the COR token: `keccak256(spender . keccak256(owner . 1))`.
 * Used to simulate a call as if an approval were already mined (a state override).
 */
export function allowanceSlot(owner: Address, spender: Address): Hash {
  const inner = keccak256(encodeAbiParameters([{ type: "address" }, { type: "uint256" }], [owner, ALLOWANCES_SLOT]));
  return keccak256(encodeAbiParameters([{ type: "address" }, { type: "bytes32" }], [spender, inner]));
}

/** A state override that sets `allowance(owner, spender)` of `token` to `amount` for one eth_call. */
export const allowanceOverride = (token: Address, owner: Address, spender: Address, amount: bigint): StateOverride => [
  { address: token, stateDiff: [{ slot: allowanceSlot(owner, spender), value: numberToHex(amount, { size: 32 }) }] },
];

/**
 * What to do with an error of the pre-approval simulation: a revert of the main call is thrown as is (no approval
 * is sent); `ERC20InsufficientAllowance` (the override did not take: a token with another layout) and non-revert
 * errors (a node without state overrides) fall back to approve-then-send, whose own estimate reports a revert.
 * @internal
 */
export function throwIfReverted(err: unknown): void {
  if (isContractError(err) && !isContractError(err, "ERC20InsufficientAllowance")) throw err;
}

/**
 * Sends a network call that pulls `amount` COR from the signer (register, addStake, createSession, deposit).
 *
 * When the allowance is too low (and `approve` is not false), the call is first simulated with the allowance set by
 * a state override, as if the approval were mined: a call that would revert throws its decoded
 * ContractRevertedError and leaves no approval behind. Then the network is approved for exactly `amount`, the
 * approval's receipt awaited, and the call sent.
 * @internal
 */
export async function writeNetworkPulling<name extends NetworkWriteFunctionName>(
  client: AnyClient,
  p: {
    network: Address;
    functionName: name;
    args: NetworkWriteArgs<name>;
    /** COR (wei) the call pulls with transferFrom. */
    amount: bigint;
    token?: Address | undefined;
    approve?: boolean | undefined;
    account?: Account | Address | undefined;
    receiptTimeout?: number | undefined;
  },
) {
  let approvalHash: Hash | undefined;
  if (p.approve !== false && p.amount > 0n) {
    const account = resolveAccount(client, p.account);
    const owner = accountAddress(account);
    const token = await resolveToken(client, p.network, p.token);
    const allowance = await getAction(
      client,
      readContract,
      "readContract",
    )({ address: token, abi: corTokenAbi, functionName: "allowance", args: [owner, p.network] });
    if (allowance < p.amount) {
      const call = networkCall(p.network, p.functionName, p.args);
      await withContractErrors(
        () =>
          getAction(
            client,
            simulateContract,
            "simulateContract",
          )({ ...call, account, stateOverride: allowanceOverride(token, owner, p.network, p.amount) }),
        callContext(call, owner),
      ).catch(throwIfReverted);
      ({ hash: approvalHash } = await writeToken(client, {
        token,
        functionName: "approve",
        args: [p.network, p.amount],
        account,
        receiptTimeout: p.receiptTimeout,
      }));
    }
  }
  const { hash, receipt } = await writeNetwork(client, p);
  return { hash, receipt, approvalHash };
}

/**
 * Sends one COR token transaction (approve, transfer) and waits for its receipt; reverts decoded like the
 * network's (ERC20InsufficientBalance, …).
 * @internal
 */
export async function writeToken<name extends "approve" | "transfer">(
  client: AnyClient,
  p: {
    token: Address;
    functionName: name;
    args: TokenWriteArgs<name>;
    account: Account | Address;
    receiptTimeout?: number | undefined;
  },
): Promise<{ hash: Hash; receipt: TransactionReceipt }> {
  return sendCall(client, tokenCall(p.token, p.functionName, p.args), p.account, p.receiptTimeout);
}
