// Task id packing, the one definition: protocol.ts re-exports these as taskIdOf, sessionIdOfTask, taskIndexOf.

/** `sessionId << 32 | index`. */
export const toTaskId = (sessionId: number | bigint, index: number | bigint): bigint =>
  (BigInt(sessionId) << 32n) | BigInt(index);
/** Session of a task id. */
export const sessionOfTask = (taskId: bigint): number => Number(taskId >> 32n);
/** 1-based index of a task within its session. */
export const indexOfTask = (taskId: bigint): number => Number(taskId & 0xffffffffn);
