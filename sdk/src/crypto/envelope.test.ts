import { x25519 } from "@noble/curves/ed25519";
import { bytesToHex } from "viem";
import { describe, expect, test } from "vitest";
import {
  EnvelopeTamperedError,
  InvalidEnvelopeError,
  MissingWrappedKeyError,
  NotARecipientError,
  StaleRecipientKeyError,
} from "../errors/crypto.ts";
import {
  grantTaskKey,
  isEnvelope,
  openAssignedPrompt,
  openFrame,
  openPrompt,
  openResult,
  parseGrant,
  promptRecipients,
  sealFrame,
  sealPrompt,
  sealResult,
  streamKeyFrom,
  streamKeyOf,
  streamKeyTo,
} from "./envelope.ts";
import { encryptionKeyPairFromSignature, encryptionKeyPairOf, generateEncryptionKeyPair } from "./keys.ts";
import { isEncryptedPrompt } from "./session.ts";
import { hasNativeX25519, publicKeyOf, sharedSecret } from "./x25519.ts";

const text = (s: string) => new TextEncoder().encode(s);
const client = generateEncryptionKeyPair();
const miner = generateEncryptionKeyPair();
const validator = generateEncryptionKeyPair();
const prompt = text("Once upon a time, a secret prompt");

const seal = () =>
  sealPrompt({
    plaintext: prompt,
    sessionId: 7,
    recipients: [
      { nodeId: 0, publicKey: client.publicKey },
      { nodeId: 4, publicKey: validator.publicKey },
    ],
  });

describe("X25519 backend", () => {
  test("WebCrypto and @noble/curves agree on the shared secret", async () => {
    expect(await hasNativeX25519()).toBe(true);
    const a = generateEncryptionKeyPair();
    const b = generateEncryptionKeyPair();
    const native = await sharedSecret(
      { raw: Buffer.from(a.secretKey.slice(2), "hex") },
      Buffer.from(b.publicKey.slice(2), "hex"),
    );
    const noble = x25519.getSharedSecret(a.secretKey.slice(2), b.publicKey.slice(2));
    expect(bytesToHex(native)).toBe(bytesToHex(noble));
  });

  test("a low-order public key is refused", async () => {
    await expect(sharedSecret({ raw: new Uint8Array(32).fill(9) }, new Uint8Array(32))).rejects.toThrow();
  });

  test("key pairs: from a secret, from a signature (deterministic)", () => {
    expect(encryptionKeyPairOf(client.secretKey).publicKey).toBe(client.publicKey);
    expect(bytesToHex(publicKeyOf(Buffer.from(client.secretKey.slice(2), "hex")))).toBe(client.publicKey);
    const sig = `0x${"ab".repeat(65)}` as const;
    expect(encryptionKeyPairFromSignature(sig)).toEqual(encryptionKeyPairFromSignature(sig));
    expect(encryptionKeyPairFromSignature(sig).publicKey).not.toBe(
      encryptionKeyPairFromSignature(`0x${"cd".repeat(65)}`).publicKey,
    );
  });
});

describe("prompt envelope", () => {
  test("every recipient opens it; the ciphertext holds no plaintext", async () => {
    const { envelope, taskKey } = await seal();
    expect(isEnvelope(envelope)).toBe(true);
    expect(isEncryptedPrompt(envelope)).toBe(true);
    expect(Buffer.from(envelope).includes(Buffer.from("secret"))).toBe(false);
    const byClient = await openPrompt({ envelope, keys: { keys: [client] }, sessionId: 7 });
    expect(new TextDecoder().decode(byClient.plaintext)).toBe("Once upon a time, a secret prompt");
    expect(byClient.taskKey.key).toEqual(taskKey.key);
    const byValidator = await openPrompt({ envelope, keys: { nodeId: 4, keys: [validator] } });
    expect(byValidator.plaintext).toEqual(prompt);
    expect(promptRecipients(envelope).map((r) => r.nodeId)).toEqual([0, 4]);
  });

  test("wrong recipient → NotARecipientError", async () => {
    const { envelope } = await seal();
    await expect(openPrompt({ envelope, keys: { nodeId: 9, keys: [miner] } })).rejects.toBeInstanceOf(
      NotARecipientError,
    );
    // The right key under another node id is not this node's entry either.
    await expect(openPrompt({ envelope, keys: { nodeId: 5, keys: [validator] } })).rejects.toBeInstanceOf(
      NotARecipientError,
    );
  });

  test("missing wrapped key: an assigned miner not in the envelope, no grant → MissingWrappedKeyError; a grant opens it", async () => {
    const { envelope, taskKey } = await seal();
    const keys = { nodeId: 2, keys: [miner] };
    const missing = await openAssignedPrompt({ envelope, keys, taskId: 5n }).catch((e) => e);
    expect(missing).toBeInstanceOf(MissingWrappedKeyError);
    expect(missing.shortMessage).toBe("Task 5 is encrypted and no wrapped key for node 2 reached it.");
    const grant = await grantTaskKey({ taskKey, taskId: 5n, recipients: [{ nodeId: 2, publicKey: miner.publicKey }] });
    expect(parseGrant(grant).recipients).toEqual([{ nodeId: 2, publicKey: miner.publicKey }]);
    const opened = await openPrompt({ envelope, keys, grants: [grant], taskId: 5n });
    expect(opened.plaintext).toEqual(prompt);
    // A grant made by a restarted client (fresh ephemeral, key recovered from its own entry) works the same.
    const recovered = await openPrompt({ envelope, keys: { keys: [client] } });
    const grant2 = await grantTaskKey({
      taskKey: recovered.taskKey,
      taskId: 5n,
      recipients: [{ nodeId: 2, publicKey: miner.publicKey }],
    });
    expect((await openPrompt({ envelope, keys, grants: [grant2], taskId: 5n })).plaintext).toEqual(prompt);
    // A grant for another task or another envelope is ignored.
    await expect(openPrompt({ envelope, keys, grants: [grant], taskId: 6n })).rejects.toBeInstanceOf(
      NotARecipientError,
    );
    const other = await seal();
    const foreign = await grantTaskKey({
      taskKey: other.taskKey,
      taskId: 5n,
      recipients: [{ nodeId: 2, publicKey: miner.publicKey }],
    });
    await expect(openPrompt({ envelope, keys, grants: [foreign], taskId: 5n })).rejects.toBeInstanceOf(
      NotARecipientError,
    );
  });

  test("rotated key: old secret kept → opens; dropped → StaleRecipientKeyError", async () => {
    const { envelope } = await seal();
    const rotated = generateEncryptionKeyPair();
    expect((await openPrompt({ envelope, keys: { nodeId: 4, keys: [rotated, validator] } })).plaintext).toEqual(prompt);
    const err = await openPrompt({ envelope, keys: { nodeId: 4, keys: [rotated] }, taskId: 3n }).catch((e) => e);
    expect(err).toBeInstanceOf(StaleRecipientKeyError);
    expect(err.wrappedTo).toBe(validator.publicKey);
    expect(err.shortMessage).toContain("no longer holds");
  });

  test("tampering → EnvelopeTamperedError (body, wrapped key, header, session)", async () => {
    const { envelope } = await seal();
    const flip = (at: number) => {
      const copy = envelope.slice();
      copy[at] ^= 1;
      return copy;
    };
    const keys = { keys: [client] };
    await expect(openPrompt({ envelope: flip(envelope.length - 1), keys })).rejects.toBeInstanceOf(
      EnvelopeTamperedError,
    );
    await expect(openPrompt({ envelope: flip(43 + 40), keys })).rejects.toBeInstanceOf(EnvelopeTamperedError); // client's wrapped key
    await expect(openPrompt({ envelope: flip(7), keys })).rejects.toBeInstanceOf(EnvelopeTamperedError); // session id in the header
    await expect(openPrompt({ envelope, keys, sessionId: 8 })).rejects.toBeInstanceOf(EnvelopeTamperedError);
    await expect(openPrompt({ envelope: envelope.subarray(0, 60), keys })).rejects.toBeInstanceOf(InvalidEnvelopeError);
    await expect(openPrompt({ envelope: prompt, keys })).rejects.toBeInstanceOf(InvalidEnvelopeError);
  });

  test("an encrypted session refuses a plaintext prompt", () => {
    expect(isEncryptedPrompt(prompt)).toBe(false);
    expect(() => isEncryptedPrompt(prompt, true)).toThrow(InvalidEnvelopeError);
  });
});

describe("result envelope and stream frames", () => {
  test("the client opens a miner's result; another task or a changed byte fails", async () => {
    const { taskKey } = await seal();
    const result = text("The dragon slept.");
    const envelope = sealResult({ taskKey, taskId: 12n, nodeId: 3, plaintext: result });
    expect(Buffer.from(envelope).includes(Buffer.from("dragon"))).toBe(false);
    expect(openResult({ taskKey, taskId: 12n, envelope })).toEqual({ plaintext: result, nodeId: 3 });
    expect(() => openResult({ taskKey, taskId: 13n, envelope })).toThrow(EnvelopeTamperedError);
    const changed = envelope.slice();
    changed[40] ^= 1; // the node id: the key derivation changes
    expect(() => openResult({ taskKey, taskId: 12n, envelope: changed })).toThrow(EnvelopeTamperedError);
    const other = await seal();
    expect(() => openResult({ taskKey: other.taskKey, taskId: 12n, envelope })).toThrow(EnvelopeTamperedError);
  });

  test("frames: task-key stream and router-key stream", async () => {
    const { taskKey } = await seal();
    const key = streamKeyOf(taskKey, 1n, 2);
    const frame = sealFrame(key, 0, "Once");
    expect(new TextDecoder().decode(openFrame(key, 0, frame))).toBe("Once");
    expect(() => openFrame(key, 1, frame)).toThrow(EnvelopeTamperedError);
    expect(() => openFrame(streamKeyOf(taskKey, 1n, 3), 0, frame)).toThrow(EnvelopeTamperedError);
    const router = generateEncryptionKeyPair();
    const ctx = text("task 1 node 2");
    const { hello, key: k1 } = await streamKeyTo(router.publicKey, ctx);
    const k2 = await streamKeyFrom({ keys: [router] }, hello, ctx);
    expect(k2).toEqual(k1);
    expect(await streamKeyFrom({ keys: [miner] }, hello, ctx)).not.toEqual(k1);
  });
});
