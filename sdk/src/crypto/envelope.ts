import { xchacha20poly1305 } from "@noble/ciphers/chacha";
import { hkdf } from "@noble/hashes/hkdf";
import { sha256 } from "@noble/hashes/sha2";
import { bytesToHex, type Hex, hexToBytes, numberToBytes } from "viem";
import {
  type EnvelopeKind,
  EnvelopeTamperedError,
  InvalidEnvelopeError,
  MissingWrappedKeyError,
  NotARecipientError,
  StaleRecipientKeyError,
} from "../errors/crypto.ts";
import type { EncryptionKeys } from "./keys.ts";
import { generateEphemeral, type SecretHandle, sharedSecret } from "./x25519.ts";

// Envelope format v1 (docs/privacy.md#envelope-format). Every integer is big-endian.
//
//   prompt  = MAGIC 01 01 | sessionId u32 | epk 32 | n u8 | n × entry | nonce 24 | XChaCha20-Poly1305(K, prompt)
//   result  = MAGIC 01 02 | taskId 32 | nodeId u32 | nonce 24 | XChaCha20-Poly1305(HKDF(K, "result"…), result)
//   grant   = MAGIC 01 03 | taskId 32 | envelopeId 32 | epk 32 | n u8 | n × entry
//   entry   = nodeId u32 (0 = the client) | recipient public key 32 | XChaCha20-Poly1305(wrapKey, 0, K) 48
//   wrapKey = HKDF-SHA256(ikm = X25519(e, recipient), salt = epk ‖ recipient, info = "cor-network/v1/wrap" ‖ nodeId)
//
// K is a fresh 32-byte key per task. The envelope id is the prompt envelope's ephemeral public key: wraps are
// bound to it (AEAD associated data), result and stream keys are derived from K and it. A prompt body's
// associated data is its header (magic … epk), a result's its header (magic … nodeId).

/** First bytes of every envelope. 0xC0 never starts UTF-8 text, so a plaintext prompt is never mistaken for one. */
export const ENVELOPE_MAGIC = Uint8Array.from([0xc0, 0x43, 0x4f, 0x52]);
const VERSION = 1;
const KIND = { prompt: 1, result: 2, grant: 3 } as const;
const ENTRY = 4 + 32 + 48;
const NONCE = 24;
const TAG = 16;
const PROMPT_HEADER = 6 + 4 + 32;
const RESULT_HEADER = 6 + 32 + 4;
const GRANT_HEADER = 6 + 32 + 32 + 32;
const MAX_RECIPIENTS = 255;
const ZERO_NONCE = new Uint8Array(NONCE);
const label = (s: string) => new TextEncoder().encode(`cor-network/v1/${s}`);
const LABEL = { wrap: label("wrap"), result: label("result"), stream: label("stream"), streamTo: label("stream-to") };

/** Someone an envelope wraps the task key to: a node (miner, validator, router) by id, or the client (0). */
export type Recipient = { nodeId: number; publicKey: Hex };

/**
 * A task's symmetric key, as its holders keep it in memory. `envelopeId` identifies the prompt envelope it
 * sealed; `ephemeral` (sealer only) lets later grants reuse the envelope's ephemeral key (one fewer key pair).
 */
export type TaskKey = {
  key: Uint8Array;
  envelopeId: Uint8Array;
  ephemeral?: { publicKey: Uint8Array; secret: SecretHandle } | undefined;
};

type Entry = { nodeId: number; publicKey: Uint8Array; wrapped: Uint8Array };
type Stanzas = { epk: Uint8Array; entries: Entry[] };

// ------------------------------------------------------------------ bytes

const concat = (...parts: Uint8Array[]): Uint8Array => {
  const out = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
  let at = 0;
  for (const p of parts) {
    out.set(p, at);
    at += p.length;
  }
  return out;
};
const u32 = (n: number) => numberToBytes(n, { size: 4 });
const readU32 = (b: Uint8Array, at: number) => ((b[at] << 24) | (b[at + 1] << 16) | (b[at + 2] << 8) | b[at + 3]) >>> 0;
const u256 = (n: bigint) => numberToBytes(n, { size: 32 });
const equal = (a: Uint8Array, b: Uint8Array) => a.length === b.length && a.every((x, i) => x === b[i]);
const random = (n: number) => globalThis.crypto.getRandomValues(new Uint8Array(n));

/** Whether `bytes` is a COR envelope (any kind): the check agents and the SDK make before treating bytes as text. */
export const isEnvelope = (bytes: Uint8Array): boolean =>
  bytes.length >= 6 && ENVELOPE_MAGIC.every((b, i) => bytes[i] === b);

const header = (bytes: Uint8Array, kind: EnvelopeKind, min: number, taskId?: bigint) => {
  if (!isEnvelope(bytes)) throw new InvalidEnvelopeError({ kind, taskId, details: "no envelope magic (plaintext?)" });
  if (bytes[4] !== VERSION)
    throw new InvalidEnvelopeError({ kind, taskId, details: `unsupported version ${bytes[4]}` });
  const want = KIND[kind as keyof typeof KIND];
  if (bytes[5] !== want) {
    throw new InvalidEnvelopeError({ kind, taskId, details: `kind byte ${bytes[5]}, expected ${want} (${kind})` });
  }
  if (bytes.length < min) throw new InvalidEnvelopeError({ kind, taskId, details: `truncated: ${bytes.length} bytes` });
};

const readEntries = (bytes: Uint8Array, at: number, kind: EnvelopeKind, taskId?: bigint) => {
  const n = bytes[at];
  const entries: Entry[] = [];
  let p = at + 1;
  if (bytes.length < p + n * ENTRY)
    throw new InvalidEnvelopeError({ kind, taskId, details: "truncated recipient list" });
  for (let i = 0; i < n; i++, p += ENTRY) {
    entries.push({
      nodeId: readU32(bytes, p),
      publicKey: bytes.subarray(p + 4, p + 36),
      wrapped: bytes.subarray(p + 36, p + ENTRY),
    });
  }
  return { entries, end: p };
};

// ------------------------------------------------------------------ key wrapping

const checkKey = (publicKey: Hex): Uint8Array => {
  const bytes = hexToBytes(publicKey);
  if (bytes.length !== 32 || bytes.every((b) => b === 0)) {
    throw new InvalidEnvelopeError({
      kind: "grant",
      details: `recipient key ${publicKey} is not an X25519 public key`,
    });
  }
  return bytes;
};

const wrapKey = (shared: Uint8Array, epk: Uint8Array, recipient: Uint8Array, nodeId: number) =>
  hkdf(sha256, shared, concat(epk, recipient), concat(LABEL.wrap, u32(nodeId)), 32);

const wrapAll = async (
  key: Uint8Array,
  envelopeId: Uint8Array,
  ephemeral: { publicKey: Uint8Array; secret: SecretHandle },
  recipients: readonly Recipient[],
): Promise<Uint8Array> => {
  if (recipients.length > MAX_RECIPIENTS) {
    throw new InvalidEnvelopeError({
      kind: "grant",
      details: `${recipients.length} recipients (max ${MAX_RECIPIENTS})`,
    });
  }
  const entries = await Promise.all(
    recipients.map(async (r) => {
      const pk = checkKey(r.publicKey);
      const wk = wrapKey(await sharedSecret(ephemeral.secret, pk), ephemeral.publicKey, pk, r.nodeId);
      return concat(u32(r.nodeId), pk, xchacha20poly1305(wk, ZERO_NONCE, envelopeId).encrypt(key));
    }),
  );
  return concat(Uint8Array.of(recipients.length), ...entries);
};

/**
 * Finds the entry meant for `keys` across stanza sets and unwraps the task key. Throws StaleRecipientKeyError
 * when an entry names this node but under a key it no longer holds, NotARecipientError when none is for it.
 */
const unwrap = async (
  sets: readonly Stanzas[],
  envelopeId: Uint8Array,
  keys: EncryptionKeys,
  kind: EnvelopeKind,
  taskId?: bigint,
): Promise<Uint8Array> => {
  const held = keys.keys.map((k) => ({ pk: hexToBytes(k.publicKey), sk: hexToBytes(k.secretKey) }));
  const nodeId = keys.nodeId ?? 0;
  let tampered: unknown;
  for (const set of sets) {
    for (const entry of set.entries) {
      const mine = held.find((h) => equal(h.pk, entry.publicKey));
      if (!mine || entry.nodeId !== nodeId) continue;
      try {
        const wk = wrapKey(await sharedSecret({ raw: mine.sk }, set.epk), set.epk, mine.pk, entry.nodeId);
        return xchacha20poly1305(wk, ZERO_NONCE, envelopeId).decrypt(entry.wrapped);
      } catch (err) {
        tampered = err; // another set (a later grant) may still hold a good copy
      }
    }
  }
  if (tampered) {
    throw new EnvelopeTamperedError({
      kind,
      taskId,
      details: "the wrapped key does not authenticate",
      cause: tampered,
    });
  }
  const stale = nodeId !== 0 && sets.flatMap((s) => s.entries).find((e) => e.nodeId === nodeId);
  if (stale) {
    throw new StaleRecipientKeyError({
      nodeId,
      taskId,
      wrappedTo: bytesToHex(stale.publicKey),
      held: keys.keys.map((k) => k.publicKey),
    });
  }
  throw new NotARecipientError({
    kind,
    taskId,
    publicKeys: keys.keys.map((k) => k.publicKey),
    details: `wrapped to: ${
      sets
        .flatMap((s) => s.entries)
        .map((e) => `node ${e.nodeId}`)
        .join(", ") || "nobody"
    }`,
  });
};

// ------------------------------------------------------------------ prompts

export type SealPromptParameters = {
  plaintext: Uint8Array;
  /** The session the task is submitted to: bound into the envelope, checked by miners. */
  sessionId: number;
  /** Who gets the task key now: the client itself (nodeId 0), validators, miners already known. */
  recipients: readonly Recipient[];
};

/**
 * Encrypts a prompt under a fresh task key and wraps the key to each recipient.
 *
 * @example
 * const { envelope, taskKey } = await sealPrompt({ plaintext, sessionId, recipients: [{ nodeId: 0, publicKey }] })
 */
export async function sealPrompt(p: SealPromptParameters): Promise<{ envelope: Uint8Array; taskKey: TaskKey }> {
  const key = random(32);
  const ephemeral = await generateEphemeral();
  const head = concat(ENVELOPE_MAGIC, Uint8Array.of(VERSION, KIND.prompt), u32(p.sessionId), ephemeral.publicKey);
  const entries = await wrapAll(key, ephemeral.publicKey, ephemeral, p.recipients);
  const nonce = random(NONCE);
  const body = xchacha20poly1305(key, nonce, head).encrypt(p.plaintext);
  return {
    envelope: concat(head, entries, nonce, body),
    taskKey: { key, envelopeId: ephemeral.publicKey, ephemeral },
  };
}

export type OpenPromptParameters = {
  envelope: Uint8Array;
  keys: EncryptionKeys;
  /** Key grants received for the task (late assignment, reassignment, rotation). */
  grants?: readonly Uint8Array[] | undefined;
  /** The session the task was submitted to; a mismatch is tampering. */
  sessionId?: number | undefined;
  /** For error messages. */
  taskId?: bigint | undefined;
};

/** Decrypts a prompt envelope with the caller's keys (and any grants); returns the prompt and the task key. */
export async function openPrompt(
  p: OpenPromptParameters,
): Promise<{ plaintext: Uint8Array; taskKey: TaskKey; sessionId: number }> {
  const bytes = p.envelope;
  header(bytes, "prompt", PROMPT_HEADER + 1 + NONCE + TAG, p.taskId);
  const sessionId = readU32(bytes, 6);
  const envelopeId = bytes.slice(10, PROMPT_HEADER);
  const { entries, end } = readEntries(bytes, PROMPT_HEADER, "prompt", p.taskId);
  if (bytes.length < end + NONCE + TAG)
    throw new InvalidEnvelopeError({ kind: "prompt", taskId: p.taskId, details: "truncated body" });
  const sets: Stanzas[] = [{ epk: envelopeId, entries }];
  for (const g of p.grants ?? []) {
    const grant = parseGrant(g);
    if (equal(grant.envelopeId, envelopeId) && (p.taskId === undefined || grant.taskId === p.taskId)) sets.push(grant);
  }
  const key = await unwrap(sets, envelopeId, p.keys, "prompt", p.taskId);
  if (p.sessionId !== undefined && p.sessionId !== sessionId) {
    throw new EnvelopeTamperedError({
      kind: "prompt",
      taskId: p.taskId,
      details: `sealed for session ${sessionId}, submitted to session ${p.sessionId}`,
    });
  }
  let plaintext: Uint8Array;
  try {
    plaintext = xchacha20poly1305(key, bytes.subarray(end, end + NONCE), bytes.subarray(0, PROMPT_HEADER)).decrypt(
      bytes.subarray(end + NONCE),
    );
  } catch (cause) {
    throw new EnvelopeTamperedError({
      kind: "prompt",
      taskId: p.taskId,
      details: "the prompt ciphertext does not authenticate",
      cause,
    });
  }
  return { plaintext, taskKey: { key, envelopeId }, sessionId };
}

/** The recipients (node id, public key) a prompt envelope wraps its key to, without decrypting anything. */
export function promptRecipients(envelope: Uint8Array): Recipient[] {
  header(envelope, "prompt", PROMPT_HEADER + 1);
  return readEntries(envelope, PROMPT_HEADER, "prompt").entries.map((e) => ({
    nodeId: e.nodeId,
    publicKey: bytesToHex(e.publicKey),
  }));
}

// ------------------------------------------------------------------ grants

export type GrantTaskKeyParameters = { taskKey: TaskKey; taskId: bigint; recipients: readonly Recipient[] };

/**
 * Wraps a task key to more recipients (miners assigned after submission, a reassigned slot, a node that rotated
 * its key). The grant is public-safe: only the named keys can unwrap it, and it only opens the envelope it names.
 */
export async function grantTaskKey(p: GrantTaskKeyParameters): Promise<Uint8Array> {
  const ephemeral = p.taskKey.ephemeral ?? (await generateEphemeral());
  const entries = await wrapAll(p.taskKey.key, p.taskKey.envelopeId, ephemeral, p.recipients);
  return concat(
    ENVELOPE_MAGIC,
    Uint8Array.of(VERSION, KIND.grant),
    u256(p.taskId),
    p.taskKey.envelopeId,
    ephemeral.publicKey,
    entries,
  );
}

/** Parses a grant (no key needed): the task it is for and who it wraps to. */
export function parseGrant(
  bytes: Uint8Array,
): Stanzas & { taskId: bigint; envelopeId: Uint8Array; recipients: Recipient[] } {
  header(bytes, "grant", GRANT_HEADER + 1);
  const { entries, end } = readEntries(bytes, GRANT_HEADER, "grant");
  if (end !== bytes.length)
    throw new InvalidEnvelopeError({ kind: "grant", details: `${bytes.length - end} trailing bytes` });
  return {
    taskId: BigInt(bytesToHex(bytes.subarray(6, 38))),
    envelopeId: bytes.slice(38, 70),
    epk: bytes.slice(70, 102),
    entries,
    recipients: entries.map((e) => ({ nodeId: e.nodeId, publicKey: bytesToHex(e.publicKey) })),
  };
}

// ------------------------------------------------------------------ results and streams

const derive = (t: TaskKey, info: Uint8Array, taskId: bigint, nodeId: number) =>
  hkdf(sha256, t.key, t.envelopeId, concat(info, u256(taskId), u32(nodeId)), 32);

/**
 * Encrypts a miner's result under a key derived from the task key, so exactly the task key's holders (the client,
 * the validators it was wrapped to, the task's miners, who can recompute it anyway) can read it.
 */
export function sealResult(p: { taskKey: TaskKey; taskId: bigint; nodeId: number; plaintext: Uint8Array }): Uint8Array {
  const head = concat(ENVELOPE_MAGIC, Uint8Array.of(VERSION, KIND.result), u256(p.taskId), u32(p.nodeId));
  const nonce = random(NONCE);
  const body = xchacha20poly1305(derive(p.taskKey, LABEL.result, p.taskId, p.nodeId), nonce, head).encrypt(p.plaintext);
  return concat(head, nonce, body);
}

/** Decrypts a result envelope of `taskId`; returns the plaintext and the node that sealed it. */
export function openResult(p: { taskKey: TaskKey; taskId: bigint; envelope: Uint8Array }): {
  plaintext: Uint8Array;
  nodeId: number;
} {
  const bytes = p.envelope;
  header(bytes, "result", RESULT_HEADER + NONCE + TAG, p.taskId);
  const taskId = BigInt(bytesToHex(bytes.subarray(6, 38)));
  const nodeId = readU32(bytes, 38);
  if (taskId !== p.taskId) {
    throw new EnvelopeTamperedError({ kind: "result", taskId: p.taskId, details: `sealed for task ${taskId}` });
  }
  try {
    const key = derive(p.taskKey, LABEL.result, taskId, nodeId);
    const nonce = bytes.subarray(RESULT_HEADER, RESULT_HEADER + NONCE);
    return {
      plaintext: xchacha20poly1305(key, nonce, bytes.subarray(0, RESULT_HEADER)).decrypt(
        bytes.subarray(RESULT_HEADER + NONCE),
      ),
      nodeId,
    };
  } catch (cause) {
    throw new EnvelopeTamperedError({
      kind: "result",
      taskId: p.taskId,
      details: "the result ciphertext does not authenticate (or another task key)",
      cause,
    });
  }
}

/** The key of a miner's token stream for a task: every task-key holder (client, router that submitted) can read it. */
export const streamKeyOf = (taskKey: TaskKey, taskId: bigint, nodeId: number): Uint8Array =>
  derive(taskKey, LABEL.stream, taskId, nodeId);

/**
 * A stream key agreed with one recipient's X25519 key (e.g. the router's registered key) without a task key.
 * Send `hello` first; the recipient derives the same key with {@link streamKeyFrom}.
 */
export async function streamKeyTo(
  recipientPublicKey: Hex,
  context: Uint8Array,
): Promise<{ hello: Uint8Array; key: Uint8Array }> {
  const pk = checkKey(recipientPublicKey);
  const e = await generateEphemeral();
  const key = hkdf(
    sha256,
    await sharedSecret(e.secret, pk),
    concat(e.publicKey, pk),
    concat(LABEL.streamTo, context),
    32,
  );
  return { hello: e.publicKey, key };
}

/** The recipient's side of {@link streamKeyTo}: tries each held key (the sender used the registered one). */
export async function streamKeyFrom(
  keys: EncryptionKeys,
  hello: Uint8Array,
  context: Uint8Array,
  publicKey?: Hex,
): Promise<Uint8Array> {
  if (hello.length !== 32)
    throw new InvalidEnvelopeError({ kind: "frame", details: "a stream hello is a 32-byte public key" });
  const pair = publicKey ? keys.keys.find((k) => k.publicKey.toLowerCase() === publicKey.toLowerCase()) : keys.keys[0];
  if (!pair) throw new NotARecipientError({ kind: "frame", publicKeys: keys.keys.map((k) => k.publicKey) });
  const pk = hexToBytes(pair.publicKey);
  const shared = await sharedSecret({ raw: hexToBytes(pair.secretKey) }, hello);
  return hkdf(sha256, shared, concat(hello, pk), concat(LABEL.streamTo, context), 32);
}

/** Seals one stream frame (a token, a status message); `seq` is its index in the stream, bound as associated data. */
export function sealFrame(streamKey: Uint8Array, seq: number, data: Uint8Array | string): Uint8Array {
  const nonce = random(NONCE);
  const bytes = typeof data === "string" ? new TextEncoder().encode(data) : data;
  return concat(nonce, xchacha20poly1305(streamKey, nonce, u32(seq)).encrypt(bytes));
}

/** Opens a frame sealed by {@link sealFrame} at index `seq`; a changed, replayed-elsewhere or foreign frame throws. */
export function openFrame(streamKey: Uint8Array, seq: number, frame: Uint8Array): Uint8Array {
  if (frame.length < NONCE + TAG)
    throw new InvalidEnvelopeError({ kind: "frame", details: `${frame.length}-byte frame` });
  try {
    return xchacha20poly1305(streamKey, frame.subarray(0, NONCE), u32(seq)).decrypt(frame.subarray(NONCE));
  } catch (cause) {
    throw new EnvelopeTamperedError({ kind: "frame", details: `frame ${seq} does not authenticate`, cause });
  }
}

/**
 * A node's read of a task it must work on (assigned miner, validator): {@link openPrompt}, except that having no
 * wrapped key at all is a MissingWrappedKeyError naming the task and node (the client has not granted it yet, or
 * never will), which agents treat as "do not commit / do not attest", never as a plaintext prompt.
 */
export async function openAssignedPrompt(
  p: OpenPromptParameters & { taskId: bigint },
): Promise<{ plaintext: Uint8Array; taskKey: TaskKey; sessionId: number }> {
  try {
    return await openPrompt(p);
  } catch (err) {
    if (err instanceof NotARecipientError) {
      throw new MissingWrappedKeyError({
        taskId: p.taskId,
        nodeId: p.keys.nodeId ?? 0,
        details: `${p.grants?.length ?? 0} grant(s) received; ${err.details}`,
      });
    }
    throw err;
  }
}
