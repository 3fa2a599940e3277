import { createHash } from "node:crypto";
import { importFile } from "ipfs-unixfs-importer";
import { fixedSize } from "ipfs-unixfs-importer/chunker";
import { balanced } from "ipfs-unixfs-importer/layout";
import { base36 } from "multiformats/bases/base36";
import { base58btc } from "multiformats/bases/base58";
import { CID } from "multiformats/cid";
import * as Digest from "multiformats/hashes/digest";
import { describe, expect, it } from "vitest";
import { computeCid, isCid, kuboImporterOptions, normalizeCid, verifyContent } from "./cid.ts";
import { deterministicBytes, deterministicChunks } from "./testing/deterministic.ts";
import { ContentVerificationError, InvalidCidError, StorageError } from "./types.ts";

// Single-chunk content: `ipfs add --cid-version 1` gives the raw-leaf CID. Sources:
// - empty file: the brief (and the CIDv1 raw sha2-256 of zero bytes);
// - "hello world": Kubo test/cli/add_test.go (shortStringCidV1) and cid_profiles_test.go;
// - "hello\n": Kubo test/sharness/t0114-gateway-subdomains/README.md (`echo hello | ipfs add --cid-version 1`);
// - "hello world\n": boxo gateway tests serve this CID as "hello world\n".
const KNOWN: Array<[string, string]> = [
  ["", "bafkreihdwdcefgh4dqkjv67uzcmw7ojee6xedzdetojuzjevtenxquvyku"],
  ["hello world", "bafkreifzjut3te2nhyekklss27nh3k72ysco7y32koao5eei66wof36n5e"],
  ["hello\n", "bafkreicysg23kiwv34eg2d7qweipxwosdo2py4ldv42nbauguluen5v6am"],
  ["hello world\n", "bafkreifjjcie6lypi6ny7amxnfftagclbuxndqonfipmb64f2km2devei4"],
];

async function cidWith(
  bytes: Uint8Array | Iterable<Uint8Array>,
  overrides: Parameters<typeof importFile>[2],
): Promise<string> {
  const entry = await importFile(
    { content: bytes },
    { put: async (key) => key },
    { ...kuboImporterOptions(), ...overrides },
  );
  return entry.cid.toString();
}

describe("computeCid", () => {
  it.each(KNOWN)("gives Kubo's CIDv1 for %j", async (text, cid) => {
    expect(await computeCid(text)).toBe(cid);
    expect(await computeCid(new TextEncoder().encode(text))).toBe(cid);
  });

  it("gives the raw sha2-256 CID for content up to one chunk, and a dag-pb root above", async () => {
    for (const size of [1, 1000, 262_144]) {
      const bytes = deterministicBytes(size, `raw-${size}`);
      const digest = Digest.create(0x12, createHash("sha256").update(bytes).digest());
      expect(await computeCid(bytes)).toBe(CID.createV1(0x55, digest).toString());
    }
    const cid = CID.parse(await computeCid(deterministicBytes(262_145, "two-chunks")));
    expect(cid.version).toBe(1);
    expect(cid.code).toBe(0x70);
  });

  // Kubo's own CLI tests (test/cli/add_test.go, cid_profiles_test.go) publish the CIDs of files made by
  // testutils.DeterministicRandomReader, which deterministicBytes reproduces. They pin the layout:
  // the fixed-size chunker, 174 links per node, and the rebalancing one chunk above 174.
  it("reproduces Kubo's balanced layout at and over 174 links (256 KiB chunks, unixfs-v0-2015 profile)", async () => {
    const legacy = {
      cidVersion: 0,
      rawLeaves: false,
      leafType: "file",
      chunker: fixedSize({ chunkSize: 262_144 }),
      layout: balanced({ maxChildrenPerNode: 174 }),
    } as const;
    expect(await cidWith(deterministicChunks(44_544 * 1024, "v0-seed"), legacy)).toBe(
      "QmUbBALi174SnogsUzLpYbD4xPiBSFANF4iztWCsHbMKh2",
    );
    expect(await cidWith(deterministicChunks(44_800 * 1024, "v0-seed"), legacy)).toBe(
      "QmepeWtdmS1hHXx1oZXsPUv6bMrfRRKfZcoPPU4eEfjnbf",
    );
  });

  it("reproduces Kubo's CIDv1 raw-leaf DAGs at and over 174 links (1 MiB chunks, test-cid-v1 profile)", async () => {
    const mib = { chunker: fixedSize({ chunkSize: 1_048_576 }) };
    expect(await cidWith(deterministicChunks(174 * 1_048_576, "v1-seed"), mib)).toBe(
      "bafybeigwduxcf2aawppv3isnfeshnimkyplvw3hthxjhr2bdeje4tdaicu",
    );
    expect(await cidWith(deterministicChunks(175 * 1_048_576, "v1-seed"), mib)).toBe(
      "bafybeidhd7lo2n2v7lta5yamob3xwhbxcczmmtmhquwhjesi35jntf7mpu",
    );
  });

  it("streams the same bytes as it generates at once", async () => {
    const whole = deterministicBytes(3 * 1000 + 17, "stream");
    const parts = [...deterministicChunks(3 * 1000 + 17, "stream", 1000)];
    expect(parts.map((p) => p.length)).toEqual([1000, 1000, 1000, 17]);
    expect(Buffer.concat(parts).equals(whole)).toBe(true);
  });

  it("is deterministic", async () => {
    const bytes = deterministicBytes(3 * 262_144 + 7, "again");
    expect(await computeCid(bytes)).toBe(await computeCid(bytes.slice()));
  });
});

describe("isCid / normalizeCid", () => {
  const v1 = "bafkreifzjut3te2nhyekklss27nh3k72ysco7y32koao5eei66wof36n5e";

  it("accepts CIDs in any multibase and normalizes CIDv1 to base32", () => {
    const cid = CID.parse(v1);
    const base58 = cid.toString(base58btc);
    const base36text = cid.toString(base36);
    expect(base58.startsWith("z")).toBe(true);
    expect(isCid(v1)).toBe(true);
    expect(isCid(base58)).toBe(true);
    expect(normalizeCid(base58)).toBe(v1);
    expect(normalizeCid(base36text)).toBe(v1);
    // js-ipfs answers in base58btc unless asked for base32.
    expect(normalizeCid("zb2rhi36Gc9GJWijLEL6zW45MBux5FcFv5gJmjXA7VAMozEXY")).toBe(
      "bafkreifjjcie6lypi6ny7amxnfftagclbuxndqonfipmb64f2km2devei4",
    );
    expect(normalizeCid(` ${v1}\n`)).toBe(v1);
    expect(isCid("QmUbBALi174SnogsUzLpYbD4xPiBSFANF4iztWCsHbMKh2")).toBe(true);
  });

  it("rejects non-CIDs and CIDs our stores do not produce", () => {
    for (const bad of ["", "hello", "bafy", `${v1}x`, "Qm123"]) {
      expect(isCid(bad)).toBe(false);
      expect(() => normalizeCid(bad)).toThrow(InvalidCidError);
    }
    // CIDv0, dag-cbor, and a non-sha2-256 multihash are valid CIDs but not ours.
    const unsupported = [
      "QmUbBALi174SnogsUzLpYbD4xPiBSFANF4iztWCsHbMKh2",
      CID.createV1(0x71, CID.parse(v1).multihash).toString(),
      "bafkrgqbqt3gerhas23vuzrapkdeqf4vu2dwxp3srdj6hvg6nhsug2tgyn6mj3u23yx7utftq3i2ckw2fwdh5qmhid5qf3t35yvkc5e5ottlw6",
    ];
    for (const cid of unsupported) {
      expect(isCid(cid)).toBe(true);
      const err = (() => {
        try {
          normalizeCid(cid);
        } catch (e) {
          return e;
        }
      })();
      expect(err).toBeInstanceOf(InvalidCidError);
      expect(err).toBeInstanceOf(StorageError);
      expect((err as InvalidCidError).retryable).toBe(false);
    }
  });
});

describe("verifyContent", () => {
  it("passes matching bytes and rejects others", async () => {
    const cid = "bafkreifzjut3te2nhyekklss27nh3k72ysco7y32koao5eei66wof36n5e"; // "hello world"
    await expect(verifyContent(cid, new TextEncoder().encode("hello world"))).resolves.toBeUndefined();
    const err = await verifyContent(cid, new TextEncoder().encode("hello world!")).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(ContentVerificationError);
    expect((err as ContentVerificationError).retryable).toBe(false);
    expect((err as ContentVerificationError).actualCid).toBe(await computeCid("hello world!"));
    expect((err as ContentVerificationError).shortMessage).toMatch(/does not match its CID/);
  });
});
