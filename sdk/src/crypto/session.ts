import { InvalidEnvelopeError } from "../errors/crypto.ts";
import { isEnvelope } from "./envelope.ts";

/**
 * The one place that decides whether a task's prompt is encrypted, for miners and validators.
 *
 * Until SessionConfig carries `bool encrypted` on-chain, encryption is marked off-chain: the client's SDK option
 * (`submitTask(…, { encryption })`) makes the prompt an envelope, recognised by its magic bytes (0xC0 never starts
 * UTF-8 text). Once the flag lands, callers pass `session.config.encrypted`: an encrypted session whose prompt is
 * not an envelope is rejected (a plaintext prompt in an encrypted session would be a leak), never read as text.
 */
export const isEncryptedPrompt = (promptBytes: Uint8Array, sessionEncrypted?: boolean | undefined): boolean => {
  const envelope = isEnvelope(promptBytes);
  if (sessionEncrypted === true && !envelope) {
    throw new InvalidEnvelopeError({ kind: "prompt", details: "the session is encrypted but the prompt is plaintext" });
  }
  return envelope;
};
