/**
 * Content storage for COR off-chain data (prompts, results).
 *
 * Every backend produces the CID that Kubo's `ipfs add --cid-version 1` gives for the same bytes,
 * and every read is verified against the requested CID before it is returned.
 */

/** Where content lives: an in-process blockstore on disk, or a Kubo (IPFS RPC) daemon. */
export type ContentStoreKind = "embedded" | "kubo";

export interface AddResult {
  /** CIDv1, base32 (`bafk…` for content up to one 256 KiB chunk, `bafy…` above). */
  cid: string;
  /** Length in bytes of the content that was added (not the DAG size). */
  size: number;
}

/** Default timeout of `get` in both backends, in ms. */
export const DEFAULT_GET_TIMEOUT_MS = 10_000;

export interface GetOptions {
  /** Give up after this long; the store's default applies when omitted. */
  timeoutMs?: number;
  /** Caller-side cancellation. An aborted signal rejects with its reason. */
  signal?: AbortSignal;
}

export interface ContentStore {
  readonly kind: ContentStoreKind;
  /** Stores `data` (a string is UTF-8 encoded) and returns its Kubo-compatible CID. */
  add(data: Uint8Array | string): Promise<AddResult>;
  /**
   * Returns the content behind `cid`, verified to hash to `cid`.
   * @throws {InvalidCidError} `cid` is not a CIDv1 (sha2-256, raw or dag-pb) string.
   * @throws {ContentNotFoundError} not available before the timeout.
   * @throws {ContentVerificationError} the bytes do not hash to `cid`.
   */
  get(cid: string, opts?: GetOptions): Promise<Uint8Array>;
  /** Whether the root block of `cid` is available locally, without fetching from the network. */
  has(cid: string): Promise<boolean>;
  /** Releases resources. Further calls reject with a {@link StorageError}. */
  close(): Promise<void>;
}

// ---------------------------------------------------------------------------------------------
// Errors (viem style: `shortMessage` for display, `details` for the underlying reason, `cause`)
// ---------------------------------------------------------------------------------------------

export interface BaseErrorParameters {
  cause?: unknown;
  details?: string;
  metaMessages?: string[];
}

/** Minimal local counterpart of viem's `BaseError`. */
export class BaseError extends Error {
  override name = "BaseError";
  readonly shortMessage: string;
  readonly details: string;
  readonly metaMessages: string[] | undefined;

  constructor(shortMessage: string, args: BaseErrorParameters = {}) {
    const details =
      args.details ??
      (args.cause instanceof BaseError
        ? args.cause.details || args.cause.shortMessage
        : args.cause instanceof Error
          ? args.cause.message
          : args.cause !== undefined
            ? String(args.cause)
            : "");
    const message = [
      shortMessage,
      ...(args.metaMessages?.length ? ["", ...args.metaMessages] : []),
      ...(details ? ["", `Details: ${details}`] : []),
    ].join("\n");
    super(message, args.cause === undefined ? undefined : { cause: args.cause });
    this.shortMessage = shortMessage;
    this.details = details;
    this.metaMessages = args.metaMessages;
  }

  /** Walks the `cause` chain; returns the first error matching `fn`, or the deepest one. */
  walk(fn?: (err: unknown) => boolean): unknown {
    let err: unknown = this;
    for (;;) {
      if (fn?.(err)) return err;
      const next: unknown = err instanceof Error ? err.cause : undefined;
      if (next === undefined) return fn ? null : err;
      err = next;
    }
  }
}

export interface StorageErrorParameters extends BaseErrorParameters {
  /** Whether retrying the same call later can succeed. */
  retryable: boolean;
}

/** Base class of every error thrown by a {@link ContentStore}. */
export class StorageError extends BaseError {
  override name = "StorageError";
  readonly retryable: boolean;

  constructor(shortMessage: string, args: StorageErrorParameters) {
    super(shortMessage, args);
    this.retryable = args.retryable;
  }
}

/** The content could not be found, or not before the timeout. Retryable. */
export class ContentNotFoundError extends StorageError {
  override name = "ContentNotFoundError";
  readonly cid: string;
  readonly timeoutMs: number | undefined;

  constructor({ cid, timeoutMs, ...args }: { cid: string; timeoutMs?: number } & BaseErrorParameters) {
    super(
      timeoutMs === undefined
        ? `Content ${cid} was not found.`
        : `Content ${cid} was not found within ${timeoutMs} ms.`,
      { ...args, retryable: true },
    );
    this.cid = cid;
    this.timeoutMs = timeoutMs;
  }
}

/** The bytes obtained for a CID do not hash to that CID (corrupt or foreign-layout data). Not retryable. */
export class ContentVerificationError extends StorageError {
  override name = "ContentVerificationError";
  readonly cid: string;
  /** The CID the obtained bytes actually hash to, when they could be read at all. */
  readonly actualCid: string | undefined;

  constructor({ cid, actualCid, ...args }: { cid: string; actualCid?: string } & BaseErrorParameters) {
    super(
      actualCid === undefined
        ? `Content for ${cid} is corrupt.`
        : `Content for ${cid} does not match its CID (it hashes to ${actualCid}).`,
      { ...args, retryable: false },
    );
    this.cid = cid;
    this.actualCid = actualCid;
  }
}

/** The string is not a CID, or not one these stores produce. Not retryable. */
export class InvalidCidError extends StorageError {
  override name = "InvalidCidError";
  readonly value: string;

  constructor({ value, ...args }: { value: string } & BaseErrorParameters) {
    super(`Invalid CID: ${JSON.stringify(value.length > 100 ? `${value.slice(0, 100)}…` : value)}.`, {
      ...args,
      retryable: false,
    });
    this.value = value;
  }
}
