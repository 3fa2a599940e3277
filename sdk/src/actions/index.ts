// One action per file, viem style: `action(client, parameters)` with …Parameters, …ReturnType, …ErrorType.

export {
  EmptyBatchError,
  type EmptyBatchErrorType,
  StoreRequiredError,
  type StoreRequiredErrorType,
} from "../utils/batch.ts";
export {
  type AddStakeErrorType,
  type AddStakeParameters,
  type AddStakeReturnType,
  addStake,
} from "./addStake.ts";
export {
  type AssignTaskErrorType,
  type AssignTaskParameters,
  type AssignTaskReturnType,
  assignTask,
} from "./assignTask.ts";
export {
  type AssignTasksErrorType,
  type AssignTasksParameters,
  type AssignTasksReturnType,
  assignTasks,
} from "./assignTasks.ts";
export {
  type AttestErrorType,
  type AttestParameters,
  type AttestReturnType,
  attest,
} from "./attest.ts";
export {
  type AuthorizeSubmitterErrorType,
  type AuthorizeSubmitterParameters,
  type AuthorizeSubmitterReturnType,
  authorizeSubmitter,
} from "./authorizeSubmitter.ts";
export {
  type ClaimTaskErrorType,
  type ClaimTaskParameters,
  type ClaimTaskReturnType,
  claimTask,
} from "./claimTask.ts";
export {
  type CloseSessionErrorType,
  type CloseSessionParameters,
  type CloseSessionReturnType,
  closeSession,
} from "./closeSession.ts";
export {
  type CommitResultErrorType,
  type CommitResultParameters,
  type CommitResultReturnType,
  commitResult,
  randomSalt,
} from "./commitResult.ts";
export {
  type CommitResultsErrorType,
  type CommitResultsItem,
  type CommitResultsParameters,
  type CommitResultsReturnType,
  commitResults,
} from "./commitResults.ts";
export {
  type CommitResultsRootErrorType,
  type CommitResultsRootParameters,
  type CommitResultsRootReturnType,
  commitResultsRoot,
} from "./commitResultsRoot.ts";
export {
  type CreateSessionErrorType,
  type CreateSessionParameters,
  type CreateSessionReturnType,
  createSession,
  type SessionConfigInput,
  type SessionConfigStruct,
  sessionDefaults,
  toSessionConfig,
} from "./createSession.ts";
export {
  type DeliverTaskKeysErrorType,
  type DeliverTaskKeysParameters,
  type DeliverTaskKeysReturnType,
  deliverTaskKeys,
  grantPath,
  recoverTaskKey,
} from "./deliverTaskKeys.ts";
export {
  type DepositToSessionErrorType,
  type DepositToSessionParameters,
  type DepositToSessionReturnType,
  depositToSession,
} from "./depositToSession.ts";
export {
  type ExpireSlotErrorType,
  type ExpireSlotParameters,
  type ExpireSlotReturnType,
  expireSlot,
} from "./expireSlot.ts";
export {
  type FetchResultErrorType,
  type FetchResultParameters,
  type FetchResultReturnType,
  fetchResult,
  type ResultDecryption,
  type TaskResult,
} from "./fetchResult.ts";
export {
  type FinalizeTaskErrorType,
  type FinalizeTaskParameters,
  type FinalizeTaskReturnType,
  finalizeTask,
} from "./finalizeTask.ts";
export {
  type GetNodeErrorType,
  type GetNodeParameters,
  type GetNodeReturnType,
  getNode,
  type NodeSelector,
} from "./getNode.ts";
export {
  type GetParamsErrorType,
  type GetParamsParameters,
  type GetParamsReturnType,
  getParams,
} from "./getParams.ts";
export {
  type GetRawSessionErrorType,
  type GetRawSessionParameters,
  type GetRawSessionReturnType,
  getRawSession,
} from "./getRawSession.ts";
export {
  type GetRawTaskErrorType,
  type GetRawTaskParameters,
  type GetRawTaskReturnType,
  getRawTask,
} from "./getRawTask.ts";
export {
  type GetRecipientKeysErrorType,
  type GetRecipientKeysParameters,
  type GetRecipientKeysReturnType,
  getRecipientKeys,
} from "./getRecipientKeys.ts";
export {
  type GetReputationErrorType,
  type GetReputationParameters,
  type GetReputationReturnType,
  getReputation,
  type WorkRecord,
} from "./getReputation.ts";
export {
  type GetSessionErrorType,
  type GetSessionParameters,
  type GetSessionReturnType,
  getSession,
} from "./getSession.ts";
export {
  type GetSessionCountErrorType,
  type GetSessionCountParameters,
  type GetSessionCountReturnType,
  getSessionCount,
} from "./getSessionCount.ts";
export {
  type GetTaskErrorType,
  type GetTaskParameters,
  type GetTaskReturnType,
  getTask,
} from "./getTask.ts";
export {
  type OfferInput,
  offerDefaults,
  type RegisterNodeErrorType,
  type RegisterNodeParameters,
  type RegisterNodeReturnType,
  registerNode,
  toOffer,
} from "./registerNode.ts";
export {
  type RequestExitErrorType,
  type RequestExitParameters,
  type RequestExitReturnType,
  requestExit,
} from "./requestExit.ts";
export {
  type RevealResultErrorType,
  type RevealResultParameters,
  type RevealResultReturnType,
  revealResult,
} from "./revealResult.ts";
export {
  type RevealResultsErrorType,
  type RevealResultsItem,
  type RevealResultsParameters,
  type RevealResultsReturnType,
  revealResults,
} from "./revealResults.ts";
export {
  type RevealResultsRootErrorType,
  type RevealResultsRootParameters,
  type RevealResultsRootReturnType,
  revealResultsRoot,
} from "./revealResultsRoot.ts";
export {
  type SetSessionRouterErrorType,
  type SetSessionRouterParameters,
  type SetSessionRouterReturnType,
  setSessionRouter,
} from "./setSessionRouter.ts";
export {
  type SubmitTaskErrorType,
  type SubmitTaskParameters,
  type SubmitTaskReturnType,
  submitTask,
} from "./submitTask.ts";
export {
  type SubmitTasksErrorType,
  type SubmitTasksItem,
  type SubmitTasksParameters,
  type SubmitTasksReturnType,
  submitTasks,
} from "./submitTasks.ts";
export {
  type TransferCorErrorType,
  type TransferCorParameters,
  type TransferCorReturnType,
  transferCor,
} from "./transferCor.ts";
export {
  type UnjailNodeErrorType,
  type UnjailNodeParameters,
  type UnjailNodeReturnType,
  unjailNode,
} from "./unjailNode.ts";
export {
  type UpdateModelsErrorType,
  type UpdateModelsParameters,
  type UpdateModelsReturnType,
  updateModels,
} from "./updateModels.ts";
export {
  type UpdateNodeErrorType,
  type UpdateNodeParameters,
  type UpdateNodeReturnType,
  updateNode,
} from "./updateNode.ts";
export {
  type UpdateOfferErrorType,
  type UpdateOfferParameters,
  type UpdateOfferReturnType,
  updateOffer,
} from "./updateOffer.ts";
export {
  type VerifyResultErrorType,
  type VerifyResultParameters,
  type VerifyResultReturnType,
  verifyResult,
} from "./verifyResult.ts";
export {
  type WaitForTaskResultErrorType,
  type WaitForTaskResultParameters,
  type WaitForTaskResultReturnType,
  waitForTaskResult,
} from "./waitForTaskResult.ts";
export {
  type TaskTimelineEvent,
  type WatchTaskErrorType,
  type WatchTaskParameters,
  type WatchTaskReturnType,
  watchTask,
} from "./watchTask.ts";
export {
  type WithdrawDepositErrorType,
  type WithdrawDepositParameters,
  type WithdrawDepositReturnType,
  withdrawDeposit,
} from "./withdrawDeposit.ts";
export {
  type WithdrawRewardsErrorType,
  type WithdrawRewardsParameters,
  type WithdrawRewardsReturnType,
  withdrawRewards,
} from "./withdrawRewards.ts";
export {
  type WithdrawStakeErrorType,
  type WithdrawStakeParameters,
  type WithdrawStakeReturnType,
  withdrawStake,
} from "./withdrawStake.ts";
