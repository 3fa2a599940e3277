// @cor-network/sdk/wagmi: COR network on @wagmi/core. Browser-safe: no node: imports.

export type { TaskResult } from "../actions/fetchResult.ts";
// End-to-end encryption (docs/privacy.md), browser-safe: a key from a wallet signature
// (encryptionKeyPairFromSignature + ENCRYPTION_KEY_MESSAGE), envelopes, and their named errors.
export * from "../crypto/index.ts";
// Shared with the main entry, browser-safe.
export {
  type Deployment,
  deployments,
  getDeployment,
  type KnownChainId,
  type KnownDeployment,
  UnknownDeploymentError,
} from "../deployments.ts";
export {
  EncryptionKeyRequiredError,
  EnvelopeTamperedError,
  InvalidEnvelopeError,
  MissingWrappedKeyError,
  NotARecipientError,
  StaleRecipientKeyError,
} from "../errors/crypto.ts";
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
  type CorDeploymentErrorType,
  type CorWagmiConfig,
  type CreateCorConfigParameters,
  corContracts,
  createCorConfig,
  getCorDeployment,
  type ResolvedCorConfig,
} from "./config.ts";
export {
  type CreateSessionWagmiErrorType,
  type CreateSessionWagmiParameters,
  type CreateSessionWagmiReturnType,
  createSessionWagmi,
} from "./createSessionWagmi.ts";
export {
  type DepositToSessionWagmiErrorType,
  type DepositToSessionWagmiParameters,
  type DepositToSessionWagmiReturnType,
  depositToSessionWagmi,
} from "./depositToSessionWagmi.ts";
export {
  type ReadErrorType,
  type ReadNodeWagmiErrorType,
  type ReadNodeWagmiParameters,
  type ReadNodeWagmiReturnType,
  type ReadParamsWagmiErrorType,
  type ReadParamsWagmiParameters,
  type ReadParamsWagmiReturnType,
  type ReadSessionWagmiErrorType,
  type ReadSessionWagmiParameters,
  type ReadSessionWagmiReturnType,
  type ReadTaskWagmiErrorType,
  type ReadTaskWagmiParameters,
  type ReadTaskWagmiReturnType,
  readNodeWagmi,
  readParamsWagmi,
  readSessionWagmi,
  readTaskWagmi,
} from "./read.ts";
export {
  type FetchResultWagmiErrorType,
  type FetchResultWagmiParameters,
  type FetchResultWagmiReturnType,
  fetchResultWagmi,
  type VerifyResultWagmiErrorType,
  type VerifyResultWagmiParameters,
  type VerifyResultWagmiReturnType,
  verifyResultWagmi,
} from "./results.ts";
export {
  type SubmitTaskWagmiErrorType,
  type SubmitTaskWagmiParameters,
  type SubmitTaskWagmiReturnType,
  submitTaskWagmi,
} from "./submitTaskWagmi.ts";
export {
  type WatchTaskWagmiErrorType,
  type WatchTaskWagmiParameters,
  type WatchTaskWagmiReturnType,
  watchTaskWagmi,
} from "./watchTaskWagmi.ts";
export type { WagmiWriteParameters } from "./write.ts";
