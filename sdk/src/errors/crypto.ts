import { BaseError } from "./base.ts";

// Errors of end-to-end encryption (sdk/src/crypto, docs/privacy.md). None of them is retryable as is: each
// means the bytes or the keys are wrong, and the fix is a new envelope, a key grant, or the right key.

/** What an envelope error is about: the prompt envelope, a result envelope, a key grant or a stream frame. */
export type EnvelopeKind = "prompt" | "result" | "grant" | "frame";

export type InvalidEnvelopeErrorType = InvalidEnvelopeError & { name: "InvalidEnvelopeError" };

/** The bytes are not an envelope this SDK can read (truncated, wrong magic, unknown version or kind). */
export class InvalidEnvelopeError extends BaseError {
  override name = "InvalidEnvelopeError" as const;
  kind: EnvelopeKind;
  constructor(p: { kind: EnvelopeKind; details: string; taskId?: bigint | undefined }) {
    super(`The ${p.kind} envelope${p.taskId !== undefined ? ` of task ${p.taskId}` : ""} is malformed.`, {
      details: p.details,
      docsBaseUrl: "docs/privacy.md",
      docsSlug: "envelope-format",
    });
    this.kind = p.kind;
  }
}

export type EnvelopeTamperedErrorType = EnvelopeTamperedError & { name: "EnvelopeTamperedError" };

/**
 * Authenticated decryption failed, or the decrypted bytes do not match what the chain committed to: the
 * ciphertext, a wrapped key or the envelope's context was changed after sealing. Never use such bytes.
 */
export class EnvelopeTamperedError extends BaseError {
  override name = "EnvelopeTamperedError" as const;
  kind: EnvelopeKind;
  taskId: bigint | undefined;
  constructor(p: { kind: EnvelopeKind; details: string; taskId?: bigint | undefined; cause?: unknown }) {
    super(
      `The ${p.kind} envelope${p.taskId !== undefined ? ` of task ${p.taskId}` : ""} failed authentication: it was modified after sealing.`,
      { details: p.details, cause: p.cause, docsBaseUrl: "docs/privacy.md", docsSlug: "errors" },
    );
    this.kind = p.kind;
    this.taskId = p.taskId;
  }
}

export type NotARecipientErrorType = NotARecipientError & { name: "NotARecipientError" };

/** The envelope (and every key grant given) wraps the task key to nobody holding one of these keys. */
export class NotARecipientError extends BaseError {
  override name = "NotARecipientError" as const;
  /** The public keys that were tried. */
  publicKeys: readonly string[];
  constructor(p: { kind: EnvelopeKind; publicKeys: readonly string[]; taskId?: bigint | undefined; details?: string }) {
    super(
      `The ${p.kind} envelope${p.taskId !== undefined ? ` of task ${p.taskId}` : ""} is not addressed to this key (${p.publicKeys.map(short).join(", ") || "no key given"}).`,
      { details: p.details, docsBaseUrl: "docs/privacy.md", docsSlug: "errors" },
    );
    this.publicKeys = p.publicKeys;
  }
}

export type StaleRecipientKeyErrorType = StaleRecipientKeyError & { name: "StaleRecipientKeyError" };

/**
 * The task key was wrapped to this node, but under a public key this node no longer holds (it rotated its
 * key with updateNode and dropped the old secret, or lost it). Keep old secrets in the keyring until the
 * tasks wrapped to them have settled; the client can also re-grant the key to the node's current key.
 */
export class StaleRecipientKeyError extends BaseError {
  override name = "StaleRecipientKeyError" as const;
  nodeId: number;
  /** The public key the task key was wrapped to. */
  wrappedTo: string;
  constructor(p: { nodeId: number; wrappedTo: string; held: readonly string[]; taskId?: bigint | undefined }) {
    super(
      `Task${p.taskId !== undefined ? ` ${p.taskId}` : ""}: the key was wrapped to node ${p.nodeId}'s key ${short(p.wrappedTo)}, which this node no longer holds.`,
      {
        details: `held: ${p.held.map(short).join(", ") || "none"}`,
        metaMessages: ["Keep retired secret keys until their tasks settle, or ask the client to re-grant the key."],
        docsBaseUrl: "docs/privacy.md",
        docsSlug: "key-rotation",
      },
    );
    this.nodeId = p.nodeId;
    this.wrappedTo = p.wrappedTo;
  }
}

export type MissingWrappedKeyErrorType = MissingWrappedKeyError & { name: "MissingWrappedKeyError" };

/**
 * A node that must read an encrypted task (an assigned miner, a validator) has no wrapped key for it: not in
 * the prompt envelope, and no key grant arrived. The miner does not commit (its slot expires and is
 * reassigned by the protocol's rules); the validator does not attest.
 */
export class MissingWrappedKeyError extends BaseError {
  override name = "MissingWrappedKeyError" as const;
  taskId: bigint;
  nodeId: number;
  constructor(p: { taskId: bigint; nodeId: number; details?: string }) {
    super(`Task ${p.taskId} is encrypted and no wrapped key for node ${p.nodeId} reached it.`, {
      details: p.details,
      docsBaseUrl: "docs/privacy.md",
      docsSlug: "late-assignment",
    });
    this.taskId = p.taskId;
    this.nodeId = p.nodeId;
  }
}

export type EncryptionKeyRequiredErrorType = EncryptionKeyRequiredError & { name: "EncryptionKeyRequiredError" };

/**
 * Encryption was needed and no key was given: submitting to an encrypted session, or reading an encrypted result,
 * without `encryption: { keys }`. Never falls back silently to plaintext.
 */
export class EncryptionKeyRequiredError extends BaseError {
  override name = "EncryptionKeyRequiredError" as const;
  /** The task, when there is one yet (undefined before submission). */
  taskId: bigint | undefined;
  constructor(p: { taskId?: bigint | undefined; details: string }) {
    super(p.taskId !== undefined ? `Task ${p.taskId}: ${p.details}` : p.details, {
      docsBaseUrl: "docs/privacy.md",
      docsSlug: "sdk",
    });
    this.taskId = p.taskId;
  }
}

const short = (hex: string) => (hex.length > 14 ? `${hex.slice(0, 10)}…` : hex);
