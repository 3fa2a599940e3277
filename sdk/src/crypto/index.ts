export {
  ENVELOPE_MAGIC,
  type GrantTaskKeyParameters,
  grantTaskKey,
  isEnvelope,
  type OpenPromptParameters,
  openAssignedPrompt,
  openFrame,
  openPrompt,
  openResult,
  parseGrant,
  promptRecipients,
  type Recipient,
  type SealPromptParameters,
  sealFrame,
  sealPrompt,
  sealResult,
  streamKeyFrom,
  streamKeyOf,
  streamKeyTo,
  type TaskKey,
} from "./envelope.ts";
export {
  ENCRYPTION_KEY_MESSAGE,
  type EncryptionKeyPair,
  type EncryptionKeys,
  encryptionKeyPairFromSignature,
  encryptionKeyPairOf,
  encryptionKeysOf,
  generateEncryptionKeyPair,
} from "./keys.ts";
export { isEncryptedPrompt } from "./session.ts";
export { hasNativeX25519 } from "./x25519.ts";
