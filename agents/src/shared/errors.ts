import { contractErrorOf, BaseError as SdkBaseError, walk } from "@cor-network/sdk";
import {
  HttpRequestError,
  InternalRpcError,
  LimitExceededRpcError,
  NonceTooHighError,
  NonceTooLowError,
  ResourceUnavailableRpcError,
  SocketClosedError,
  TimeoutError,
  TransactionReceiptNotFoundError,
  TransactionRejectedRpcError,
  WaitForTransactionReceiptTimeoutError,
  WebSocketRequestError,
} from "viem";

/** Agent error hierarchy: every error says whether retrying the same action can succeed. */
export class AgentError extends Error {
  override readonly name: string = "AgentError";
  readonly shortMessage: string;
  readonly details?: string;
  readonly retryable: boolean;
  constructor(shortMessage: string, opts: { details?: string; cause?: unknown; retryable?: boolean } = {}) {
    super(opts.details ? `${shortMessage}\n\nDetails: ${opts.details}` : shortMessage, { cause: opts.cause });
    this.shortMessage = shortMessage;
    this.details = opts.details;
    this.retryable = opts.retryable ?? false;
  }
}

export class ConfigError extends AgentError {
  override readonly name = "ConfigError";
}

/**
 * The Solidity name of the network revert in `err`'s cause chain (decoded by the SDK's contractErrorOf: a custom
 * error, "Error" for a require string, "Panic"), else undefined. To branch on names use `contractErrorOf(err,
 * [names])` from the SDK; reverts are never classified by message text.
 */
export const revertName = (err: unknown): string | undefined => {
  const revert = contractErrorOf(err);
  return revert ? (revert.errorName ?? "reverted") : undefined;
};

/** viem's transport, timeout and nonce errors: the same request can succeed once the node answers again. */
const TRANSIENT = [
  HttpRequestError,
  TimeoutError,
  SocketClosedError,
  WebSocketRequestError,
  WaitForTransactionReceiptTimeoutError,
  TransactionReceiptNotFoundError,
  NonceTooLowError,
  NonceTooHighError,
  LimitExceededRpcError,
  ResourceUnavailableRpcError,
  InternalRpcError,
  TransactionRejectedRpcError,
];
/** Node's socket errors (fetch's cause when the RPC is down or restarting). */
const TRANSIENT_CODES = new Set(["ECONNREFUSED", "ECONNRESET", "ETIMEDOUT", "EPIPE", "UND_ERR_SOCKET"]);

/** Network hiccups, nonce races and timeouts are retryable; contract reverts and bad input are not. */
export const isRetryable = (err: unknown): boolean => {
  if (err instanceof AgentError) return err.retryable;
  if (revertName(err) !== undefined) return false;
  if (err instanceof SdkBaseError) return err.retryable || isRetryable(err.cause);
  return (
    walk(err, (e) => TRANSIENT.some((type) => e instanceof type)) !== null ||
    walk(err, (e) => TRANSIENT_CODES.has(String((e as { code?: unknown } | null)?.code))) !== null
  );
};
