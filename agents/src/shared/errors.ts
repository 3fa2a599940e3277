import { ContractFunctionRevertedError, BaseError as ViemBaseError } from "viem";

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

/** A custom error of the network, decoded: never retryable (the same call reverts the same way). */
export const revertName = (err: unknown): string | undefined => {
  if (err instanceof ViemBaseError) {
    const reverted = err.walk((e) => e instanceof ContractFunctionRevertedError);
    if (reverted instanceof ContractFunctionRevertedError)
      return reverted.data?.errorName ?? reverted.reason ?? "reverted";
  }
  return undefined;
};

const RETRYABLE =
  /ECONNREFUSED|ECONNRESET|ETIMEDOUT|fetch failed|socket hang up|timeout|timed out|nonce too low|replacement transaction|already known|HTTP request failed/i;

/** Network hiccups, nonce races and timeouts are retryable; contract reverts and bad input are not. */
export const isRetryable = (err: unknown): boolean => {
  if (err instanceof AgentError) return err.retryable;
  if (revertName(err)) return false;
  const message =
    err instanceof Error ? `${err.message} ${String((err as { cause?: unknown }).cause ?? "")}` : String(err);
  return RETRYABLE.test(message);
};

/** Retries `fn` while the error is retryable, with exponential backoff. */
export const withRetry = async <T>(
  fn: () => Promise<T>,
  opts: { attempts?: number; delayMs?: number } = {},
): Promise<T> => {
  const attempts = opts.attempts ?? 5;
  let delay = opts.delayMs ?? 200;
  for (let i = 1; ; i++) {
    try {
      return await fn();
    } catch (err) {
      if (i >= attempts || !isRetryable(err)) throw err;
      await new Promise((r) => setTimeout(r, delay));
      delay *= 2;
    }
  }
};
