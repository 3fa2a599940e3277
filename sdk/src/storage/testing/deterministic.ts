import { createCipheriv, createHash } from "node:crypto";

/**
 * `size` pseudo-random bytes from `seed`: the ChaCha20 keystream under key sha256(seed), zero
 * nonce, counter 0. This is the generator of Kubo's own CLI tests
 * (`testutils.DeterministicRandomReader`), so CIDs published there can be checked byte for byte.
 */
export function deterministicBytes(size: number, seed: string): Uint8Array {
  const out = keystream(seed).update(Buffer.alloc(size));
  return new Uint8Array(out.buffer, out.byteOffset, out.byteLength);
}

/** The same bytes as {@link deterministicBytes}, produced `chunkSize` at a time (for very large sizes). */
export function* deterministicChunks(size: number, seed: string, chunkSize = 1_048_576): Generator<Uint8Array> {
  const cipher = keystream(seed);
  const zeros = Buffer.alloc(chunkSize);
  for (let done = 0; done < size; done += chunkSize) {
    const out = cipher.update(zeros.subarray(0, Math.min(chunkSize, size - done)));
    yield new Uint8Array(out.buffer, out.byteOffset, out.byteLength);
  }
}

function keystream(seed: string) {
  const key = createHash("sha256").update(seed).digest();
  // Node's chacha20 IV: 4-byte little-endian block counter followed by the 12-byte nonce.
  return createCipheriv("chacha20", key, Buffer.alloc(16));
}

/**
 * `length:sha256-hex` of `bytes`: compare these rather than large byte arrays in tests (deep equality
 * of megabytes is very slow) while still getting a readable failure.
 */
export function fingerprint(bytes: Uint8Array): string {
  return `${bytes.length}:${createHash("sha256").update(bytes).digest("hex")}`;
}
