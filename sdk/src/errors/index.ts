export { BaseError, type BaseErrorParameters, type BaseErrorType, setErrorConfig, walk } from "./base.ts";
export {
  type ContractErrorContext,
  ContractRevertedError,
  type ContractRevertedErrorType,
  type CorErrorArgs,
  contractErrorOf,
  decodeCorError,
  isContractError,
  TransactionRevertedError,
  toCorError,
  withContractErrors,
} from "./contract.ts";
export {
  EncryptionKeyRequiredError,
  type EncryptionKeyRequiredErrorType,
  type EnvelopeKind,
  EnvelopeTamperedError,
  type EnvelopeTamperedErrorType,
  InvalidEnvelopeError,
  type InvalidEnvelopeErrorType,
  MissingWrappedKeyError,
  type MissingWrappedKeyErrorType,
  NotARecipientError,
  type NotARecipientErrorType,
  StaleRecipientKeyError,
  type StaleRecipientKeyErrorType,
} from "./crypto.ts";
export { describeError, type ErrorDescription, errorDescriptions } from "./messages.ts";
export {
  AccountRequiredError,
  type AccountRequiredErrorType,
  NotFoundError,
  type NotFoundErrorType,
  ResultVerificationError,
  type ResultVerificationErrorType,
  TaskFailedError,
  type TaskFailedErrorType,
  TimeoutError,
  type TimeoutErrorType,
} from "./task.ts";
