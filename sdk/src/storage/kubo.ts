import type { AddOptions, KuboRPCClient } from "kubo-rpc-client";
import {
  computeCid,
  KUBO_CHUNK_SIZE,
  KUBO_MAX_CHILDREN_PER_NODE,
  normalizeCid,
  toBytes,
  verifyContent,
} from "./cid.ts";
import {
  type AddResult,
  ContentNotFoundError,
  type ContentStore,
  ContentVerificationError,
  DEFAULT_GET_TIMEOUT_MS,
  type GetOptions,
  StorageError,
} from "./types.ts";
import { concatBytes, deadlineSignal, raceAbort, validateTimeout } from "./util.ts";

export interface KuboStoreOptions {
  /** Base URL of the Kubo RPC API, e.g. `http://127.0.0.1:5001` (a trailing `/api/v0` is accepted). */
  url: string;
  /** Default timeout of `get`, in ms. Default 10 000. */
  timeoutMs?: number;
  /** Timeout of `add`, in ms. Default 120 000. */
  addTimeoutMs?: number;
  /** Timeout of `has`, in ms (it asks the daemon offline, so it is normally immediate). Default 2 000. */
  hasTimeoutMs?: number;
}

/**
 * The query parameters `add` sends, so the daemon's CIDs are those of `ipfs add --cid-version 1` with
 * Kubo's defaults whatever its `Import.*` configuration (e.g. the `unixfs-v1-2025` profile's 1 MiB chunks
 * and 1024 links). Kubo ignores options it does not know (`max-file-links` predates 0.35), and so does
 * the js-ipfs daemon; `add` still checks the answer against a local computation.
 *
 * kubo-rpc-client has options for `cid-version`, `raw-leaves`, `chunker`, `hash` (`hashAlg`), `trickle`
 * and `pin`, and sends `progress=false` itself; `max-file-links`, `inline` and `cid-base` go through its
 * `searchParams`.
 */
export const KUBO_ADD_PARAMS: Readonly<Record<string, string>> = {
  "cid-version": "1",
  "raw-leaves": "true",
  chunker: `size-${KUBO_CHUNK_SIZE}`,
  "max-file-links": String(KUBO_MAX_CHILDREN_PER_NODE),
  hash: "sha2-256",
  trickle: "false",
  inline: "false",
  pin: "true",
  "cid-base": "base32",
  progress: "false",
};

/**
 * Extra query parameters for a kubo-rpc-client call. Its `searchParams` option is typed
 * `URLSearchParams`, but 7.1.0 spreads it into the query (`toUrlSearchParams`), so only a plain
 * object's entries arrive; a real `URLSearchParams` is silently dropped. The scripted-server tests
 * check that these parameters reach the daemon.
 */
function extraParams(params: Readonly<Record<string, string>>): URLSearchParams {
  return { ...params } as unknown as URLSearchParams;
}

/** kubo-rpc-client's options for `add`, built from {@link KUBO_ADD_PARAMS}. */
function addOptions(signal: AbortSignal): AddOptions {
  const {
    "cid-version": cidVersion,
    "raw-leaves": rawLeaves,
    chunker,
    hash,
    trickle,
    pin,
    progress: _progress, // the client sends progress=false when no progress callback is given
    ...rest // max-file-links, inline, cid-base: no client option
  } = KUBO_ADD_PARAMS;
  return {
    cidVersion: cidVersion === "0" ? 0 : 1,
    rawLeaves: rawLeaves === "true",
    chunker,
    hashAlg: hash,
    trickle: trickle === "true",
    pin: pin === "true",
    searchParams: extraParams(rest),
    signal,
  };
}

const SERVER_TIMEOUT_GRACE_MS = 1_000;

// Error messages of Kubo and js-ipfs meaning "no such block (yet)".
const NOT_FOUND = /not found|could not find|timed out|deadline exceeded|no link named|context canceled/i;

/**
 * The daemon's error answer, as kubo-rpc-client surfaces it: an `HTTPError` (`response.status` ≥ 400,
 * `message` from Kubo's JSON `Message` or the body text), or its own `TimeoutError` (no status) when
 * that message is a daemon timeout ("context deadline exceeded", "request timed out").
 */
function rpcFailure(err: unknown): { status: number | undefined; message: string } | undefined {
  if (!(err instanceof Error) || err instanceof DOMException) return undefined;
  if (err.name === "HTTPError") {
    const response: unknown = (err as { response?: unknown }).response;
    if (response instanceof Response) {
      return { status: response.status, message: err.message.trim() || response.statusText };
    }
  }
  if (err.name === "TimeoutError") return { status: undefined, message: err.message };
  return undefined;
}

// fetch rejects with a TypeError when the request fails at the network level (Node: "fetch failed").
const NETWORK_ERROR = /fetch failed|failed to fetch|networkerror|network error|network request failed|load failed/i;

function isNetworkError(err: unknown): boolean {
  return err instanceof TypeError && NETWORK_ERROR.test(err.message);
}

function apiBase(url: string): string {
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch (cause) {
    throw new StorageError(`Invalid Kubo RPC API URL: ${url}`, { cause, retryable: false });
  }
  if (parsed.protocol !== "http:" && parsed.protocol !== "https:") {
    throw new StorageError(`Invalid Kubo RPC API URL: ${url}`, {
      details: "expected http(s)://host:port",
      retryable: false,
    });
  }
  const path = parsed.pathname.replace(/\/+$/, "");
  parsed.pathname = path.endsWith("/api/v0") ? path : `${path}/api/v0`;
  parsed.search = "";
  parsed.hash = "";
  return parsed.toString();
}

type KuboRpcModule = typeof import("kubo-rpc-client");
let kuboRpcModule: Promise<KuboRpcModule> | undefined;

/** kubo-rpc-client, loaded on first use so that the embedded store never loads it. */
async function loadKuboRpcClient(): Promise<KuboRpcModule> {
  kuboRpcModule ??= import("kubo-rpc-client");
  try {
    return await kuboRpcModule;
  } catch (cause) {
    kuboRpcModule = undefined;
    throw new StorageError("kubo-rpc-client could not be loaded.", { cause, retryable: false });
  }
}

/**
 * A content store backed by a Kubo daemon (or anything speaking the Kubo RPC API), through
 * kubo-rpc-client. `add` pins with Kubo's CIDv1 defaults and checks the daemon's CID against a local
 * computation; `get` reads through `cat` with a timeout and verifies the bytes against the CID.
 */
export async function createKuboStore(options: KuboStoreOptions): Promise<ContentStore> {
  const base = apiBase(options.url);
  const defaultTimeoutMs = validateTimeout("timeoutMs", options.timeoutMs ?? DEFAULT_GET_TIMEOUT_MS);
  const addTimeoutMs = validateTimeout("addTimeoutMs", options.addTimeoutMs ?? 120_000);
  const hasTimeoutMs = validateTimeout("hasTimeoutMs", options.hasTimeoutMs ?? 2_000);
  const { create, CID } = await loadKuboRpcClient();
  // Every call is bounded by its own AbortSignal (and raceAbort). The client-wide `timeout` is only a
  // backstop at least as long as those; kubo-rpc-client 7.1.0 does not apply it (its http.js tests
  // `isNaN(timeout)`).
  const client: KuboRPCClient = create({
    url: base,
    timeout: Math.max(addTimeoutMs, defaultTimeoutMs + SERVER_TIMEOUT_GRACE_MS, hasTimeoutMs + 1_000),
  });
  let closed = false;

  const assertOpen = () => {
    if (closed) throw new StorageError("The Kubo content store is closed.", { retryable: false });
  };

  const unreachable = (cause: unknown) =>
    new StorageError(`The Kubo RPC API at ${base} is unreachable.`, { cause, retryable: true });

  return {
    kind: "kubo",

    async add(data: Uint8Array | string): Promise<AddResult> {
      assertOpen();
      const bytes = toBytes(data);
      const signal = AbortSignal.timeout(addTimeoutMs);
      const [expected, answer] = await Promise.all([
        computeCid(bytes),
        (async () => {
          try {
            // One file: the client reads Kubo's NDJSON answer and returns its last entry, the root.
            const added = await raceAbort(client.add(bytes, addOptions(signal)), signal);
            return added.cid.toString();
          } catch (cause) {
            if (!signal.aborted && isNetworkError(cause)) throw unreachable(cause);
            // The client's errors for an answer without a root entry, or with a line that is not JSON.
            if (!signal.aborted && (cause instanceof SyntaxError || (cause as Error)?.message === "Invalid body")) {
              throw new StorageError("Kubo's answer to add has no CID.", { cause, retryable: true });
            }
            const failure = signal.aborted ? undefined : rpcFailure(cause);
            throw new StorageError(`Kubo could not add the content (${bytes.length} bytes).`, {
              cause,
              details: failure?.message,
              retryable: !(failure?.status !== undefined && failure.status < 500),
            });
          }
        })(),
      ]);
      const cid = normalizeCid(answer);
      if (cid !== expected) {
        throw new ContentVerificationError({
          cid: expected,
          actualCid: cid,
          details:
            "the daemon imported the content with other settings than `ipfs add --cid-version 1` " +
            "(check its Import.* configuration)",
        });
      }
      return { cid, size: bytes.length };
    },

    async get(cid: string, opts: GetOptions = {}): Promise<Uint8Array> {
      assertOpen();
      const canonical = normalizeCid(cid);
      opts.signal?.throwIfAborted();
      const timeoutMs = validateTimeout("timeoutMs", opts.timeoutMs ?? defaultTimeoutMs);
      const { deadline, signal } = deadlineSignal(timeoutMs, opts.signal);
      let bytes: Uint8Array;
      try {
        // `timeout` makes the daemon stop looking for the blocks soon after we give up. It is a little
        // longer than ours so that our deadline fires first: a daemon timing out mid-stream would
        // end the body early (the error goes in an HTTP trailer fetch cannot read).
        const chunks = client.cat(canonical, { signal, timeout: timeoutMs + SERVER_TIMEOUT_GRACE_MS });
        bytes = await raceAbort(
          (async () => {
            const parts: Uint8Array[] = [];
            for await (const chunk of chunks) parts.push(chunk);
            return concatBytes(parts);
          })(),
          signal,
        );
      } catch (cause) {
        if (opts.signal?.aborted) throw opts.signal.reason;
        if (deadline.aborted) throw new ContentNotFoundError({ cid: canonical, timeoutMs, cause });
        const failure = rpcFailure(cause);
        if (failure && (failure.status === undefined || NOT_FOUND.test(failure.message))) {
          throw new ContentNotFoundError({ cid: canonical, timeoutMs, cause, details: failure.message });
        }
        if (isNetworkError(cause)) throw unreachable(cause);
        throw new StorageError(`Kubo could not read ${canonical}.`, {
          cause,
          details: failure?.message,
          retryable: !(failure?.status !== undefined && failure.status < 500),
        });
      }
      await verifyContent(canonical, bytes);
      return bytes;
    },

    async has(cid: string): Promise<boolean> {
      assertOpen();
      const canonical = normalizeCid(cid);
      const signal = AbortSignal.timeout(hasTimeoutMs + 1_000);
      try {
        // offline: look in the local repo only, never ask the network.
        await raceAbort(
          client.block.stat(CID.parse(canonical), {
            signal,
            timeout: hasTimeoutMs,
            searchParams: extraParams({ offline: "true" }),
          }),
          signal,
        );
        return true;
      } catch (cause) {
        if (signal.aborted) return false;
        const failure = rpcFailure(cause);
        if (failure && (failure.status === undefined || NOT_FOUND.test(failure.message))) return false;
        if (isNetworkError(cause)) throw unreachable(cause);
        throw new StorageError(`Kubo could not tell whether it has ${canonical}.`, {
          cause,
          details: failure?.message,
          retryable: true,
        });
      }
    },

    async close(): Promise<void> {
      closed = true;
    },
  };
}
