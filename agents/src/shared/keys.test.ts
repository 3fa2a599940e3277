import { generateKeyPairSync } from "node:crypto";
import { mkdtempSync, readFileSync, statSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { generateEncryptionKeyPair, openPrompt, StaleRecipientKeyError, sealPrompt } from "@cor-network/sdk";
import { describe, expect, it } from "vitest";
import { ConfigError } from "./errors.ts";
import { loadNodeKeys, pruneRetiredKeys, rotateNodeKey } from "./keys.ts";

const dir = () => mkdtempSync(join(tmpdir(), "cor-keys-"));

describe("node keyring", () => {
  it("is created once (mode 0600) and reloads the same key", () => {
    const d = dir();
    const a = loadNodeKeys(d);
    expect(loadNodeKeys(d)).toEqual(a);
    expect(statSync(join(d, "encryption-keys.json")).mode & 0o777).toBe(0o600);
  });

  it("reads the first releases' PKCS#8 key file: the registered key stays the same", () => {
    const d = dir();
    const { publicKey, privateKey } = generateKeyPairSync("x25519");
    const pub = `0x${publicKey.export({ format: "der", type: "spki" }).subarray(-32).toString("hex")}`;
    writeFileSync(
      join(d, "x25519.json"),
      JSON.stringify({
        publicKey: pub,
        privateKey: privateKey.export({ format: "der", type: "pkcs8" }).toString("base64"),
      }),
    );
    expect(loadNodeKeys(d).keys[0].publicKey).toBe(pub);
  });

  it("rotation keeps the retired key for in-flight tasks until pruned; then the envelope is stale", async () => {
    const d = dir();
    const old = loadNodeKeys(d).keys[0];
    const { envelope } = await sealPrompt({
      plaintext: new TextEncoder().encode("hi"),
      sessionId: 1,
      recipients: [{ nodeId: 4, publicKey: old.publicKey }],
    });
    const next = rotateNodeKey(d);
    const keys = loadNodeKeys(d);
    expect(keys.keys.map((k) => k.publicKey)).toEqual([next.publicKey, old.publicKey]);
    expect((await openPrompt({ envelope, keys: { nodeId: 4, keys: keys.keys } })).plaintext).toEqual(
      new TextEncoder().encode("hi"),
    );
    pruneRetiredKeys(d, 0);
    await expect(openPrompt({ envelope, keys: { nodeId: 4, keys: loadNodeKeys(d).keys } })).rejects.toBeInstanceOf(
      StaleRecipientKeyError,
    );
  });

  it("COR_ENCRYPTION_KEY becomes the current key (the old one retired); a malformed one is a ConfigError", () => {
    const d = dir();
    const old = loadNodeKeys(d).keys[0];
    const chosen = generateEncryptionKeyPair();
    const keys = loadNodeKeys(d, chosen.secretKey);
    expect(keys.keys[0]).toEqual(chosen);
    expect(keys.keys[1]).toEqual(old);
    expect(JSON.parse(readFileSync(join(d, "encryption-keys.json"), "utf8")).current).toBe(chosen.secretKey);
    expect(() => loadNodeKeys(d, "0x1234")).toThrow(ConfigError);
  });
});
