export {
  type CorErrorName,
  type CorErrorsAbi,
  corErrorsAbi,
  networkAbiWithErrors,
  type TaskEventName,
  taskEventNames,
  taskEventsAbi,
} from "./abi.ts";
export type { NetworkParams, NodeInfo, SessionInfo, TaskInfo, TaskSlot } from "./decode.ts";
export {
  type AssignmentModeName,
  assignmentModeName,
  assignmentModeValue,
  type FailReasonName,
  failReasonName,
  failReasonText,
  isTerminalStatus,
  type NodeStatusName,
  nodeStatusName,
  type OutcomeName,
  outcomeName,
  roleName,
  roleValue,
  type SessionStatusName,
  SlashReason,
  type SlashReasonName,
  sessionStatusName,
  slashReasonName,
  taskStatusNameOf,
  type ValidationModeName,
  validationModeName,
  validationModeValue,
} from "./enums.ts";
export { getTaskLogs, type TaskLog } from "./logs.ts";
export {
  merkleRootOf,
  type RootBatch,
  type RootEntry,
  type RootRevealArg,
  revealRootArgs,
  rootBatchOf,
} from "./merkle.ts";
export { NotAssignedError } from "./slot.ts";
export { COR_DECIMALS, displayCor, formatCor, parseCor } from "./units.ts";
export type { ApproveParameters, NetworkParameter, NetworkWriteErrorType, WriteParameters } from "./write.ts";
