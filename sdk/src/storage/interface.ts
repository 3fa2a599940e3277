// The storage interface, its errors and constants: browser-safe, re-exported by the SDK's main entry and by
// @cor-network/sdk/storage. The local BaseError is exported as StorageBaseError so that it cannot clash with the
// SDK's own BaseError; catch StorageError (or its subclasses) in practice.
export {
  type AddResult,
  BaseError as StorageBaseError,
  type BaseErrorParameters as StorageBaseErrorParameters,
  ContentNotFoundError,
  type ContentStore,
  type ContentStoreKind,
  ContentVerificationError,
  DEFAULT_GET_TIMEOUT_MS,
  type GetOptions,
  InvalidCidError,
  StorageError,
  type StorageErrorParameters,
} from "./types.ts";
