import { type AbiParameterToPrimitiveType, type Address, decodeErrorResult, type Hash, type Hex } from "viem";
import { type CorErrorName, type CorErrorsAbi, corErrorsAbi } from "../utils/abi.ts";
import { BaseError, walk } from "./base.ts";
import { type ContractErrorContext, describeError } from "./messages.ts";

export type { ContractErrorContext } from "./messages.ts";

type ErrorItem<name extends CorErrorName> = Extract<CorErrorsAbi[number], { name: name }>;

/** The decoded arguments of the network error `name`, by parameter name. */
export type CorErrorArgs<name extends CorErrorName> = {
  [P in ErrorItem<name>["inputs"][number] as P["name"]]: AbiParameterToPrimitiveType<P>;
};

export type ContractRevertedErrorType = ContractRevertedError & { name: "ContractRevertedError" };

/**
 * A call to the network reverted. Every custom error of the network (and the COR token errors that bubble up
 * through it) is decoded: `errorName` is its Solidity name, `args` its arguments by name, and the message says in
 * words what went wrong and what to do about it.
 *
 * @example
 * try {
 *   await submitTask(client, { network, sessionId: 3, prompt: "Once upon a time", store })
 * } catch (err) {
 *   if (isContractError(err, "InsufficientDeposit")) {
 *     console.log(err.shortMessage) // Session 3 has 0.5 COR free but the task needs 1.2 COR: top up with deposit()
 *     console.log(err.args.required) // 1200000000000000000n
 *   }
 * }
 */
export class ContractRevertedError extends BaseError {
  override name = "ContractRevertedError" as const;
  /** Solidity name of the custom error; "Error" / "Panic" for require strings and panics; undefined when unknown. */
  errorName: CorErrorName | "Error" | "Panic" | undefined;
  /** Decoded error arguments by name (empty when the error is unknown). */
  args: Record<string, unknown>;
  /** The revert data as returned by the node. */
  data: Hex | undefined;
  functionName: string | undefined;
  callArgs: readonly unknown[] | undefined;
  contractAddress: Address | undefined;
  sender: Address | undefined;

  constructor(p: {
    errorName: CorErrorName | "Error" | "Panic" | undefined;
    args: Record<string, unknown>;
    data?: Hex | undefined;
    signature?: Hex | undefined;
    reason?: string | undefined;
    context?: ContractErrorContext | undefined;
    cause?: unknown;
  }) {
    const ctx = p.context ?? {};
    const { message, hints, retryable } = describeError(p.errorName, p.args, ctx, {
      signature: p.signature,
      reason: p.reason,
    });
    const signature =
      p.errorName && p.errorName !== "Error" && p.errorName !== "Panic"
        ? `${p.errorName}(${Object.entries(p.args)
            .map(([k, v]) => `${k}: ${typeof v === "bigint" ? v.toString() : String(v)}`)
            .join(", ")})`
        : undefined;
    super(message, {
      cause: p.cause,
      docsSlug: "errors",
      retryable,
      metaMessages: [
        ...(hints ?? []),
        ...(signature ? [`Error: ${signature}`] : []),
        ...(ctx.functionName ? [`Function: ${ctx.functionName}`] : []),
        ...(ctx.contractAddress ? [`Contract: ${ctx.contractAddress}`] : []),
        ...(ctx.sender ? [`Sender: ${ctx.sender}`] : []),
      ],
    });
    this.errorName = p.errorName;
    this.args = p.args;
    this.data = p.data;
    this.functionName = ctx.functionName;
    this.callArgs = ctx.args;
    this.contractAddress = ctx.contractAddress;
    this.sender = ctx.sender;
  }
}

/** A transaction was mined but reverted (gas estimation passed, state changed in between). */
export class TransactionRevertedError extends BaseError {
  override name = "TransactionRevertedError" as const;
  hash: Hash;
  functionName: string | undefined;
  constructor({ hash, functionName, blockNumber }: { hash: Hash; functionName?: string; blockNumber?: bigint }) {
    super(
      `Transaction ${hash}${functionName ? ` (${functionName})` : ""} reverted on chain${blockNumber !== undefined ? ` in block ${blockNumber}` : ""}: the state changed after it was estimated. Retry the call to see the reason.`,
      { docsSlug: "errors", retryable: true },
    );
    this.hash = hash;
    this.functionName = functionName;
  }
}

/** The error names a check accepts: one name or a list. */
type ErrorNames<name extends CorErrorName> = name | readonly name[];

const named = (errorName: string | undefined, names: ErrorNames<CorErrorName> | undefined): boolean =>
  names === undefined ||
  (typeof names === "string" ? errorName === names : (names as readonly string[]).includes(errorName as string));

/**
 * Type guard: is `err` a decoded network revert, optionally of error `name` (or one of a list)? Narrows `args` to
 * the error's arguments. Classify reverts by name with it, never by matching message text. For an error that may
 * be wrapped (an agent's own error with `cause`), use {@link contractErrorOf}.
 *
 * @example
 * if (isContractError(err, "CommitmentMismatch")) console.log(err.args.slot)
 * if (isContractError(err, ["DeadlineNotPassed", "CooldownActive"])) retryLater()
 */
export function isContractError<name extends CorErrorName>(
  err: unknown,
  name?: ErrorNames<name>,
): err is ContractRevertedError & { errorName: name; args: CorErrorArgs<name> } {
  return err instanceof ContractRevertedError && named(err.errorName, name);
}

/**
 * The decoded network revert inside `err`: `err` itself or any error of its `cause` chain (a raw viem revert from
 * your own `writeContract` / `simulateContract` is decoded on the way), optionally only when its name is `name`
 * (or one of a list). Undefined otherwise.
 *
 * @example
 * const revert = contractErrorOf(err, ["WrongPhase", "NothingToExpire"])
 * if (revert) log.info(`Already settled task=${taskId} (${revert.errorName})`)
 * else throw err
 */
export function contractErrorOf<name extends CorErrorName>(
  err: unknown,
  name?: ErrorNames<name>,
): (ContractRevertedError & { errorName: name; args: CorErrorArgs<name> }) | undefined {
  const found = walk(err, (e) => e instanceof ContractRevertedError) ?? toCorError(err);
  return isContractError(found, name) ? found : undefined;
}

const nameIs = (name: string) => (e: unknown) => e instanceof Error && e.name === name;

const isHexData = (v: unknown): v is Hex => typeof v === "string" && /^0x[0-9a-fA-F]{8,}$/.test(v);

/** Finds revert data anywhere in an error chain (viem's decoded error, or an RPC error's `data`). */
function findRevertData(err: unknown): Hex | undefined {
  const reverted = walk(err, nameIs("ContractFunctionRevertedError")) as { raw?: Hex } | null;
  if (reverted?.raw && isHexData(reverted.raw)) return reverted.raw;
  const withData = walk(err, (e) => {
    if (!e || typeof e !== "object") return false;
    const data = (e as { data?: unknown }).data;
    return (
      isHexData(data) || (typeof data === "object" && data !== null && isHexData((data as { data?: unknown }).data))
    );
  }) as { data: unknown } | null;
  if (!withData) return undefined;
  const data = withData.data;
  return isHexData(data) ? data : ((data as { data: Hex }).data ?? undefined);
}

/** Decodes revert data with every error the network can raise. */
export function decodeCorError(
  data: Hex,
): { errorName: CorErrorName | "Error" | "Panic"; args: Record<string, unknown> } | undefined {
  try {
    const decoded = decodeErrorResult({ abi: corErrorsAbi, data });
    const inputs = (decoded.abiItem as { inputs?: readonly { name?: string }[] }).inputs ?? [];
    const values = (decoded.args ?? []) as readonly unknown[];
    const args: Record<string, unknown> = {};
    inputs.forEach((input, i) => {
      args[input.name || `arg${i}`] = values[i];
    });
    const name = decoded.errorName as string;
    if (name === "Error") args.message = values[0];
    if (name === "Panic") args.code = values[0];
    return { errorName: decoded.errorName as CorErrorName | "Error" | "Panic", args };
  } catch {
    return undefined;
  }
}

/**
 * Turns a viem error thrown by a network call into the SDK's error: a revert becomes a
 * {@link ContractRevertedError}; anything else (transport, user rejection, SDK errors) is returned unchanged.
 */
export function toCorError(err: unknown, context: ContractErrorContext = {}): unknown {
  if (err instanceof BaseError) return err;
  const execution = walk(err, nameIs("ContractFunctionExecutionError")) as {
    functionName?: string;
    args?: readonly unknown[];
    contractAddress?: Address;
    sender?: Address;
  } | null;
  const reverted = walk(err, nameIs("ContractFunctionRevertedError")) as {
    reason?: string;
    signature?: Hex;
    data?: { errorName?: string; args?: readonly unknown[] };
  } | null;
  const data = findRevertData(err);
  if (!reverted && !data) return err;

  const ctx: ContractErrorContext = {
    functionName: context.functionName ?? execution?.functionName,
    args: context.args ?? execution?.args,
    contractAddress: context.contractAddress ?? execution?.contractAddress,
    sender: context.sender ?? execution?.sender,
  };
  const decoded = data ? decodeCorError(data) : undefined;
  const errorName =
    decoded?.errorName ?? (reverted?.reason !== undefined && !reverted.signature ? ("Error" as const) : undefined);
  const args = decoded?.args ?? (errorName === "Error" ? { message: reverted?.reason } : {});
  return new ContractRevertedError({
    errorName,
    args,
    data,
    signature: decoded ? undefined : (reverted?.signature ?? (data ? (data.slice(0, 10) as Hex) : undefined)),
    reason: reverted?.reason,
    context: ctx,
    cause: err,
  });
}

/**
 * Runs `fn` and rethrows any revert it raises as a decoded {@link ContractRevertedError}. Every write action of
 * the SDK goes through it; use it around your own `writeContract` / `simulateContract` calls to the network too.
 *
 * @example
 * const hash = await withContractErrors(() =>
 *   writeContract(client, { address: network, abi: iCorNetworkAbi, functionName: "closeSession", args: [3] }),
 * )
 */
export async function withContractErrors<T>(fn: () => Promise<T>, context?: ContractErrorContext): Promise<T> {
  try {
    return await fn();
  } catch (err) {
    throw toCorError(err, context);
  }
}
