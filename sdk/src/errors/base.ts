import { version } from "../version.ts";

type ErrorConfig = {
  /** Builds the "Docs:" line of a message; return undefined to leave it out. */
  getDocsUrl?: ((args: BaseErrorParameters) => string | undefined) | undefined;
  /** Printed as the "Version:" line; undefined leaves it out. */
  version?: string | undefined;
};

let errorConfig: ErrorConfig = {
  getDocsUrl: ({ docsBaseUrl = "docs/sdk.md", docsSlug }) => `${docsBaseUrl}${docsSlug ? `#${docsSlug}` : ""}`,
  version: `@cor-network/sdk@${version}`,
};

/** Changes how error messages print their "Docs:" and "Version:" lines (e.g. to link a hosted copy of docs/sdk.md). */
export function setErrorConfig(config: ErrorConfig): void {
  errorConfig = { ...errorConfig, ...config };
}

export type BaseErrorParameters = {
  cause?: unknown;
  details?: string | undefined;
  /** Where the docs live; default `docs/sdk.md` of this repository. */
  docsBaseUrl?: string | undefined;
  /** Anchor in the docs, e.g. `errors`. */
  docsSlug?: string | undefined;
  metaMessages?: string[] | undefined;
  name?: string | undefined;
  /** Whether the same call can succeed if retried later, unchanged. Default false. */
  retryable?: boolean | undefined;
};

export type BaseErrorType = BaseError & { name: "BaseError" };

/**
 * Root of every error the SDK throws (storage errors have their own root in `storage/`).
 *
 * Same shape as viem's: `shortMessage` for a UI, `details` for the underlying reason, `metaMessages` for context
 * lines, `cause` for the chain, and `walk()` to find an error in that chain. Agents read `retryable`.
 *
 * @example
 * try { await submitTask(client, params) } catch (err) {
 *   if (err instanceof BaseError) console.error(err.shortMessage)
 * }
 */
export class BaseError extends Error {
  details: string;
  docsSlug?: string | undefined;
  metaMessages?: string[] | undefined;
  shortMessage: string;
  version: string;
  retryable: boolean;

  override name = "BaseError";

  constructor(shortMessage: string, args: BaseErrorParameters = {}) {
    const cause = args.cause;
    const details = (() => {
      if (args.details !== undefined) return args.details;
      if (cause instanceof BaseError) return cause.details;
      if (isViemLike(cause)) return cause.details || cause.shortMessage;
      if (cause instanceof Error) return cause.message;
      if (cause !== undefined) return String(cause);
      return "";
    })();
    const docsSlug = args.docsSlug ?? (cause instanceof BaseError ? cause.docsSlug : undefined);
    const docsUrl = errorConfig.getDocsUrl?.({ ...args, docsSlug });

    const message = [
      shortMessage || "An error occurred.",
      "",
      ...(args.metaMessages?.length ? [...args.metaMessages, ""] : []),
      ...(docsUrl ? [`Docs: ${docsUrl}`] : []),
      ...(details ? [`Details: ${details}`] : []),
      ...(errorConfig.version ? [`Version: ${errorConfig.version}`] : []),
    ].join("\n");

    super(message, cause !== undefined ? { cause } : undefined);

    this.details = details;
    this.docsSlug = docsSlug;
    this.metaMessages = args.metaMessages;
    this.name = args.name ?? this.name;
    this.shortMessage = shortMessage;
    this.version = version;
    this.retryable = args.retryable ?? false;
  }

  /** The deepest error of the `cause` chain. */
  walk(): Error;
  /** The first error of the `cause` chain (this one included) for which `fn` is true, else null. */
  walk(fn: (err: unknown) => boolean): Error | null;
  walk(fn?: (err: unknown) => boolean): unknown {
    return walk(this, fn);
  }
}

/** Walks any error's `cause` chain (viem's, the storage module's, or ours). */
export function walk(err: unknown, fn?: ((err: unknown) => boolean) | undefined): unknown {
  if (fn?.(err)) return err;
  if (err && typeof err === "object" && "cause" in err && err.cause !== undefined && err.cause !== err) {
    return walk(err.cause, fn);
  }
  return fn ? null : err;
}

const isViemLike = (err: unknown): err is Error & { shortMessage: string; details: string } =>
  err instanceof Error && typeof (err as { shortMessage?: unknown }).shortMessage === "string";
