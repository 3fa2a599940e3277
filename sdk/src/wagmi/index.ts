// @cor-network/sdk/wagmi: COR network on @wagmi/core. Browser-safe: no node: imports.

export type { TaskResult } from "../actions/fetchResult.ts";
// End-to-end encryption (docs/privacy.md), browser-safe: a key from a wallet signature
// (encryptionKeyPairFromSignature + ENCRYPTION_KEY_MESSAGE), envelopes, and their named errors.
export * from "../crypto/index.ts";
export {
  EncryptionKeyRequiredError,
  EnvelopeTamperedError,
  InvalidEnvelopeError,
  MissingWrappedKeyError,
  NotARecipientError,
  StaleRecipientKeyError,
} from "../errors/crypto.ts";
// Shared with the main entry, browser-safe.
export {
  AccountRequiredError,
  BaseError,
  ContractRevertedError,
  isContractError,
  NotFoundError,
  TransactionRevertedError,
  withContractErrors,
} from "../errors/index.ts";
export { corTokenAbi, iCorNetworkAbi } from "../generated/abis.ts";
export type { NetworkParams, NodeInfo, SessionInfo, TaskInfo } from "../utils/decode.ts";
export { commitmentOf, contentHashOf } from "../utils/hash.ts";
export { indexOfTask, sessionOfTask, toTaskId } from "../utils/ids.ts";
export { type SessionConfigInput, sessionDefaults, toSessionConfig } from "../utils/sessionConfig.ts";
export { displayCor, formatCor, parseCor } from "../utils/units.ts";
export {
  type CorChainIdParameter,
  type CorConfig,
  type CorContracts,
  type CorDeployment,
  type CorWagmiConfig,
  type CreateCorConfigParameters,
  corContracts,
  createCorConfig,
  getCorDeployment,
  type ResolvedCorConfig,
} from "./config.ts";
export {
  type CreateSessionWagmiParameters,
  type CreateSessionWagmiReturnType,
  createSessionWagmi,
} from "./createSessionWagmi.ts";
export {
  type DepositToSessionWagmiParameters,
  type DepositToSessionWagmiReturnType,
  depositToSessionWagmi,
} from "./depositToSessionWagmi.ts";
export { type ReadErrorType, readNodeWagmi, readParamsWagmi, readSessionWagmi, readTaskWagmi } from "./read.ts";
export { fetchResultWagmi, verifyResultWagmi } from "./results.ts";
export {
  type SubmitTaskWagmiParameters,
  type SubmitTaskWagmiReturnType,
  submitTaskWagmi,
} from "./submitTaskWagmi.ts";
export { type WatchTaskWagmiParameters, watchTaskWagmi } from "./watchTaskWagmi.ts";
export type { WagmiWriteParameters } from "./write.ts";
