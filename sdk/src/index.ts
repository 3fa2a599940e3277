/**
 * @cor-network/sdk: viem-style actions, errors, a router client and IPFS storage for COR network.
 * Browser dapps use the `@cor-network/sdk/wagmi` entry (no node: imports); this entry is for Node.
 */

// Actions: `action(client, parameters)`, one per file.
export * from "./actions/index.ts";
// End-to-end encryption of prompts, results and streams (docs/privacy.md). Browser-safe.
export * from "./crypto/index.ts";
export * from "./deployments.ts";
// Errors. BaseError is named explicitly: the storage module has its own root error of the same name.
export {
  AccountRequiredError,
  type AccountRequiredErrorType,
  BaseError,
  type BaseErrorParameters,
  type BaseErrorType,
  type ContractErrorContext,
  ContractRevertedError,
  type ContractRevertedErrorType,
  type CorErrorArgs,
  decodeCorError,
  describeError,
  EncryptionKeyRequiredError,
  type EncryptionKeyRequiredErrorType,
  type EnvelopeKind,
  EnvelopeTamperedError,
  type EnvelopeTamperedErrorType,
  type ErrorDescription,
  errorDescriptions,
  InvalidEnvelopeError,
  type InvalidEnvelopeErrorType,
  isContractError,
  MissingWrappedKeyError,
  type MissingWrappedKeyErrorType,
  NotARecipientError,
  type NotARecipientErrorType,
  NotFoundError,
  type NotFoundErrorType,
  ResultVerificationError,
  type ResultVerificationErrorType,
  StaleRecipientKeyError,
  type StaleRecipientKeyErrorType,
  setErrorConfig,
  TaskFailedError,
  type TaskFailedErrorType,
  TimeoutError,
  type TimeoutErrorType,
  TransactionRevertedError,
  toCorError,
  walk,
  withContractErrors,
} from "./errors/index.ts";
// Generated ABIs (npx forge build && npx wagmi generate).
export { corRegistryAbi, corTokenAbi, iCorNetworkAbi } from "./generated/abis.ts";
// Protocol helpers, deployments, utilities.
export * from "./protocol.ts";
// Router HTTP client (OpenAI-compatible + Cortensor-style routes).
export * from "./router/index.ts";
// Content storage (embedded IPFS block store or Kubo). Its root error is exported as StorageBaseError.
export * from "./storage/index.ts";
export { BaseError as StorageBaseError } from "./storage/types.ts";
export * from "./utils/index.ts";
export { version } from "./version.ts";
