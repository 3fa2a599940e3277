import { type ImporterOptions, importFile, type WritableStorage } from "ipfs-unixfs-importer";
import { fixedSize } from "ipfs-unixfs-importer/chunker";
import { balanced } from "ipfs-unixfs-importer/layout";
import { bases } from "multiformats/basics";
import { CID } from "multiformats/cid";
import { ContentVerificationError, InvalidCidError } from "./types.ts";

/** Kubo's default fixed-size chunker (`--chunker size-262144`). */
export const KUBO_CHUNK_SIZE = 262_144;
/** Kubo's default maximum number of links per node of a balanced file DAG. */
export const KUBO_MAX_CHILDREN_PER_NODE = 174;

const CODEC_RAW = 0x55;
const CODEC_DAG_PB = 0x70;
const MULTIHASH_SHA2_256 = 0x12;

/**
 * UnixFS importer options that reproduce `ipfs add --cid-version 1` on Kubo: CIDv1, raw leaves,
 * fixed 256 KiB chunks, balanced layout with at most 174 links per node, and a file of a single
 * chunk reduced to that raw leaf. Each is set explicitly so a change of the importer's defaults
 * cannot change our CIDs.
 */
export function kuboImporterOptions(): ImporterOptions {
  return {
    cidVersion: 1,
    rawLeaves: true,
    reduceSingleLeafToSelf: true,
    chunker: fixedSize({ chunkSize: KUBO_CHUNK_SIZE }),
    layout: balanced({ maxChildrenPerNode: KUBO_MAX_CHILDREN_PER_NODE }),
    wrapWithDirectory: false,
  };
}

const encoder = new TextEncoder();

/** UTF-8 for strings; bytes are returned as they are. */
export function toBytes(data: Uint8Array | string): Uint8Array {
  return typeof data === "string" ? encoder.encode(data) : data;
}

/** Imports `bytes` as one UnixFS file with Kubo's defaults into `blockstore`; returns the root CID string. */
export async function importBytes(bytes: Uint8Array, blockstore: WritableStorage): Promise<string> {
  const entry = await importFile({ content: bytes }, blockstore, kuboImporterOptions());
  return entry.cid.toString();
}

/** A blockstore that keeps nothing: hashing only. */
const discard: WritableStorage = { put: async (key) => key };

/**
 * The CID Kubo gives `data` with `ipfs add --cid-version 1` (base32 CIDv1), computed locally
 * without storing anything. Strings are UTF-8 encoded.
 */
export async function computeCid(data: Uint8Array | string): Promise<string> {
  return importBytes(toBytes(data), discard);
}

// Any multibase multiformats knows (base32 `b…`, base58btc `z…`, base36 `k…`, …).
const decoders = Object.values(bases).map((base) => base.decoder);
const anyBase: NonNullable<Parameters<typeof CID.parse>[1]> = {
  decode(text) {
    const decoder = decoders.find((candidate) => text.startsWith(candidate.prefix));
    if (decoder === undefined) throw new Error("unknown multibase prefix");
    return decoder.decode(text);
  },
};

function tryParse(value: string): CID | undefined {
  try {
    return CID.parse(value.trim(), anyBase);
  } catch {
    return undefined;
  }
}

/** Whether `value` is a syntactically valid CID (v0 or v1, any multibase). */
export function isCid(value: string): boolean {
  return typeof value === "string" && tryParse(value) !== undefined;
}

/**
 * Checks that `value` is a CID our stores can serve and verify — CIDv1, sha2-256, raw or dag-pb,
 * as `ipfs add --cid-version 1` produces — and returns its canonical base32 form.
 * @throws {InvalidCidError}
 */
export function normalizeCid(value: string): string {
  if (typeof value !== "string") throw new InvalidCidError({ value: String(value), details: "not a string" });
  const cid = tryParse(value);
  if (cid === undefined) throw new InvalidCidError({ value, details: "not a CID" });
  if (cid.version !== 1) {
    throw new InvalidCidError({
      value,
      details: "CIDv0 is not supported: content is addressed by CIDv1 (ipfs add --cid-version 1)",
    });
  }
  if (cid.multihash.code !== MULTIHASH_SHA2_256 || cid.multihash.size !== 32) {
    throw new InvalidCidError({ value, details: `unsupported multihash 0x${cid.multihash.code.toString(16)}` });
  }
  if (cid.code !== CODEC_RAW && cid.code !== CODEC_DAG_PB) {
    throw new InvalidCidError({ value, details: `unsupported codec 0x${cid.code.toString(16)}` });
  }
  return cid.toString();
}

/**
 * Verifies that `bytes` is the content of `cid` by recomputing the CID with Kubo's defaults.
 * @throws {InvalidCidError} `cid` is not a supported CID.
 * @throws {ContentVerificationError} the bytes hash to another CID.
 */
export async function verifyContent(cid: string, bytes: Uint8Array): Promise<void> {
  const expected = normalizeCid(cid);
  const actual = await computeCid(bytes);
  if (actual !== expected) throw new ContentVerificationError({ cid: expected, actualCid: actual });
}
