import { randomBytes } from "node:crypto";
import { mkdir, rename, rm, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { FsBlockstore } from "blockstore-fs";
import { NextToLast } from "blockstore-fs/sharding";
import { exporter } from "ipfs-unixfs-exporter";
import { CID } from "multiformats/cid";
import { importBytes, normalizeCid, toBytes, verifyContent } from "./cid.ts";
import {
  type AddResult,
  ContentNotFoundError,
  type ContentStore,
  ContentVerificationError,
  DEFAULT_GET_TIMEOUT_MS,
  type GetOptions,
  InvalidCidError,
  StorageError,
} from "./types.ts";
import { concatBytes, deadlineSignal, errorName, raceAbort, validateTimeout } from "./util.ts";

export interface EmbeddedStoreOptions {
  /** Directory of the block store (one file per block); created if missing. */
  directory: string;
  /** Default timeout of `get`, in ms. Default 10 000. */
  timeoutMs?: number;
}

/**
 * blockstore-fs with writes that are atomic across processes. The local network's agents share one store
 * directory, and the miners of one task add identical results at the same moment. blockstore-fs writes through a
 * temp file named after the block alone (`.<block>.tmp`), so two processes writing the same block share that temp
 * file: one could rename the other's half-written file into place and leave a corrupt block ("does not match its
 * CID" under bench:load at R=3). Here each write has its own temp file, renamed over the block (atomic on POSIX;
 * a block's bytes are a function of its CID, so the last rename wins harmlessly).
 */
class SharedFsBlockstore extends FsBlockstore {
  /** blockstore-fs's default layout (next-to-last/2), kept here because the base class's copy is private. */
  private readonly layout: NextToLast;

  constructor(directory: string) {
    const layout = new NextToLast();
    super(directory, { createIfMissing: true, shardingStrategy: layout });
    this.layout = layout;
  }

  override async put(...[key, val, options]: Parameters<FsBlockstore["put"]>): ReturnType<FsBlockstore["put"]> {
    const { dir, file } = this.layout.encode(key);
    const target = join(this.path, dir, file);
    const temp = join(this.path, dir, `.${file}.${process.pid}.${randomBytes(6).toString("hex")}.tmp`);
    options?.signal?.throwIfAborted();
    await mkdir(join(this.path, dir), { recursive: true });
    try {
      await writeFile(temp, val, options?.signal ? { signal: options.signal } : {});
      await rename(temp, target);
    } catch (err) {
      await rm(temp, { force: true });
      throw err;
    }
    return key;
  }
}

/**
 * A content store without any daemon: UnixFS import/export over a file-system block store.
 * CIDs equal Kubo's `ipfs add --cid-version 1`; it does not talk to the IPFS network, so a CID
 * that was not added here is reported missing at once.
 */
export async function createEmbeddedStore(options: EmbeddedStoreOptions): Promise<ContentStore> {
  const { directory } = options;
  const defaultTimeoutMs = validateTimeout("timeoutMs", options.timeoutMs ?? DEFAULT_GET_TIMEOUT_MS);
  const blockstore = new SharedFsBlockstore(directory);
  try {
    await mkdir(directory, { recursive: true });
    await blockstore.open();
  } catch (cause) {
    throw new StorageError(`Cannot open the content store directory ${directory}.`, { cause, retryable: false });
  }
  let closed = false;

  const assertOpen = () => {
    if (closed) throw new StorageError("The embedded content store is closed.", { retryable: false });
  };

  async function read(cid: string, signal: AbortSignal): Promise<Uint8Array> {
    const entry = await exporter(cid, blockstore, { signal });
    if (entry.type !== "file" && entry.type !== "raw") {
      throw new InvalidCidError({ value: cid, details: `the CID refers to a ${entry.type}, not a file` });
    }
    const chunks: Uint8Array[] = [];
    let length = 0;
    for await (const chunk of entry.content({ signal })) {
      chunks.push(chunk);
      length += chunk.length;
    }
    return concatBytes(chunks, length);
  }

  return {
    kind: "embedded",

    async add(data: Uint8Array | string): Promise<AddResult> {
      assertOpen();
      const bytes = toBytes(data);
      try {
        const cid = await importBytes(bytes, blockstore);
        return { cid, size: bytes.length };
      } catch (cause) {
        throw new StorageError("Could not write content to the embedded store.", { cause, retryable: true });
      }
    },

    async get(cid: string, opts: GetOptions = {}): Promise<Uint8Array> {
      assertOpen();
      const canonical = normalizeCid(cid);
      opts.signal?.throwIfAborted();
      const timeoutMs = validateTimeout("timeoutMs", opts.timeoutMs ?? defaultTimeoutMs);
      const { deadline, signal } = deadlineSignal(timeoutMs, opts.signal);
      let bytes: Uint8Array;
      try {
        bytes = await raceAbort(read(canonical, signal), signal);
      } catch (cause) {
        if (opts.signal?.aborted) throw opts.signal.reason;
        if (cause instanceof StorageError) throw cause;
        if (deadline.aborted) throw new ContentNotFoundError({ cid: canonical, timeoutMs, cause });
        // A block that is absent (blockstore or exporter NotFoundError).
        if (errorName(cause) === "NotFoundError") throw new ContentNotFoundError({ cid: canonical, cause });
        // Anything else comes from decoding the blocks: they are not the UnixFS file they claim to be.
        throw new ContentVerificationError({ cid: canonical, cause });
      }
      await verifyContent(canonical, bytes);
      return bytes;
    },

    async has(cid: string): Promise<boolean> {
      assertOpen();
      // blockstore-fs declares the CID class of another multiformats release; it only reads
      // `multihash.bytes`, which both have.
      const key = CID.parse(normalizeCid(cid)) as unknown as Parameters<FsBlockstore["has"]>[0];
      return blockstore.has(key);
    },

    async close(): Promise<void> {
      if (closed) return;
      closed = true;
      await blockstore.close();
    },
  };
}
