import { existsSync, mkdirSync, readFileSync, renameSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import {
  type EncryptionKeyPair,
  type EncryptionKeys,
  encryptionKeyPairOf,
  generateEncryptionKeyPair,
} from "@cor-network/sdk";
import type { Hex } from "viem";
import { ConfigError } from "./errors.ts";

/**
 * A node's X25519 keyring, next to its account key: `<dataDir>/encryption-keys.json` (mode 0600), holding the
 * current secret key (the one registered on-chain) and the retired ones, kept so tasks wrapped to them before a
 * rotation can still be opened (docs/privacy.md#key-rotation). `COR_ENCRYPTION_KEY` (0x + 32 bytes) overrides the
 * current key, e.g. for a key kept in a secret manager. The public key is what register / updateNode publish.
 */
type KeyringFile = { current: Hex; retired: { secretKey: Hex; retiredAt: string }[] };

const fileOf = (dataDir: string) => join(dataDir, "encryption-keys.json");
/** The key file of the first releases: { publicKey, privateKey: base64 PKCS#8 DER } (the last 32 bytes are the key). */
const legacyFileOf = (dataDir: string) => join(dataDir, "x25519.json");

const write = (dataDir: string, ring: KeyringFile) => {
  mkdirSync(dataDir, { recursive: true });
  const tmp = `${fileOf(dataDir)}.tmp`;
  writeFileSync(tmp, JSON.stringify(ring, null, 2), { mode: 0o600 });
  renameSync(tmp, fileOf(dataDir));
};

const read = (dataDir: string): KeyringFile => {
  if (existsSync(fileOf(dataDir))) return JSON.parse(readFileSync(fileOf(dataDir), "utf8")) as KeyringFile;
  let current: Hex;
  if (existsSync(legacyFileOf(dataDir))) {
    const der = Buffer.from(JSON.parse(readFileSync(legacyFileOf(dataDir), "utf8")).privateKey as string, "base64");
    current = `0x${der.subarray(-32).toString("hex")}`;
  } else {
    current = generateEncryptionKeyPair().secretKey;
  }
  const ring = { current, retired: [] };
  write(dataDir, ring);
  return ring;
};

/** The node's keys (current first), creating the keyring on first boot. */
export const loadNodeKeys = (dataDir: string, override?: string): EncryptionKeys => {
  const ring = read(dataDir);
  if (override !== undefined && override !== "") {
    if (!/^0x[0-9a-fA-F]{64}$/.test(override)) throw new ConfigError("COR_ENCRYPTION_KEY must be 0x + 32 bytes of hex");
    if (override.toLowerCase() !== ring.current.toLowerCase()) {
      ring.retired.unshift({ secretKey: ring.current, retiredAt: new Date().toISOString() });
      ring.current = override as Hex;
      write(dataDir, ring);
    }
  }
  return { keys: [ring.current, ...ring.retired.map((r) => r.secretKey)].map((sk) => encryptionKeyPairOf(sk)) };
};

/**
 * Makes a fresh current key and retires the old one (kept for in-flight tasks). The caller publishes the new
 * public key with updateNode; clients wrap new tasks to it, grants re-wrap to it, old tasks still open.
 */
export const rotateNodeKey = (dataDir: string): EncryptionKeyPair => {
  const ring = read(dataDir);
  const next = generateEncryptionKeyPair();
  ring.retired.unshift({ secretKey: ring.current, retiredAt: new Date().toISOString() });
  ring.current = next.secretKey;
  write(dataDir, ring);
  return next;
};

/** Drops retired keys beyond the newest `keep` (call once their tasks have settled). */
export const pruneRetiredKeys = (dataDir: string, keep: number): void => {
  const ring = read(dataDir);
  ring.retired = ring.retired.slice(0, keep);
  write(dataDir, ring);
};
