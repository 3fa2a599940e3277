import { hkdf } from "@noble/hashes/hkdf";
import { sha256 } from "@noble/hashes/sha2";
import { bytesToHex, type Hex, hexToBytes, isHex } from "viem";
import { InvalidEnvelopeError } from "../errors/crypto.ts";
import { publicKeyOf, randomSecretKey } from "./x25519.ts";

/** An X25519 key pair as 0x-hex: `publicKey` is the bytes32 a node registers (register / updateNode). */
export type EncryptionKeyPair = { publicKey: Hex; secretKey: Hex };

/**
 * The keys a party decrypts with. `keys[0]` is the current key (the one registered on-chain, or the one a client
 * wraps task keys to); later entries are retired keys still held so tasks wrapped to them before a rotation can
 * be opened. `nodeId` is the party's node id (0 or absent for a client): an envelope that wraps to this node id
 * under a key not held here fails with StaleRecipientKeyError instead of NotARecipientError.
 */
export type EncryptionKeys = { nodeId?: number | undefined; keys: readonly EncryptionKeyPair[] };

/** The message a wallet signs to derive a client's encryption key with {@link encryptionKeyPairFromSignature}. */
export const ENCRYPTION_KEY_MESSAGE =
  "COR network: derive my end-to-end encryption key.\n\nSigning this is free and sends no transaction. Sign it only on an app you trust: it can read your encrypted prompts and results.";

const checkSecret = (secretKey: Hex): Uint8Array => {
  if (!isHex(secretKey) || secretKey.length !== 66) {
    throw new InvalidEnvelopeError({ kind: "prompt", details: "an X25519 secret key is 32 bytes of 0x-hex" });
  }
  return hexToBytes(secretKey);
};

/** A fresh random X25519 key pair (crypto.getRandomValues). */
export const generateEncryptionKeyPair = (): EncryptionKeyPair => {
  const secret = randomSecretKey();
  return { publicKey: bytesToHex(publicKeyOf(secret)), secretKey: bytesToHex(secret) };
};

/** The key pair of a stored 32-byte secret key. */
export const encryptionKeyPairOf = (secretKey: Hex): EncryptionKeyPair => ({
  publicKey: bytesToHex(publicKeyOf(checkSecret(secretKey))),
  secretKey,
});

/**
 * A client key pair derived from a wallet signature of {@link ENCRYPTION_KEY_MESSAGE} (HKDF-SHA256), so a dapp
 * needs no key storage: the same account signs the same message to the same key again (RFC 6979 signatures).
 *
 * @example
 * const signature = await walletClient.signMessage({ message: ENCRYPTION_KEY_MESSAGE })
 * const keys = { keys: [encryptionKeyPairFromSignature(signature)] }
 */
export const encryptionKeyPairFromSignature = (signature: Hex): EncryptionKeyPair => {
  const secret = hkdf(
    sha256,
    hexToBytes(signature),
    new TextEncoder().encode("cor-network/v1/client-key"),
    undefined,
    32,
  );
  return encryptionKeyPairOf(bytesToHex(secret));
};

/** `keys` for a single key pair. */
export const encryptionKeysOf = (pair: EncryptionKeyPair, nodeId?: number): EncryptionKeys => ({
  nodeId,
  keys: [pair],
});
