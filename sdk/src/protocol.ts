import { type Hex, keccak256, sha256, toBytes } from "viem";

// The Solidity enums live in utils/enums.ts; this module is browser-safe too (hashing through viem).
import { TaskStatus } from "./utils/enums.ts";

export type { RoleName, TaskStatusName } from "./utils/enums.ts";
export {
  AssignmentMode,
  FailReason,
  NodeStatus,
  Outcome,
  Role,
  SessionStatus,
  TaskStatus,
  ValidationMode,
} from "./utils/enums.ts";

type TaskStatusName = keyof typeof TaskStatus;

export const taskStatusName = (status: number): TaskStatusName =>
  (Object.keys(TaskStatus) as TaskStatusName[]).find((k) => TaskStatus[k] === status) ?? "None";

/** Task ids are `sessionId << 32 | index` (index is 1-based within the session): utils/ids.ts, one definition. */
export { indexOfTask as taskIndexOf, sessionOfTask as sessionIdOfTask, toTaskId as taskIdOf } from "./utils/ids.ts";

/** keccak256 of the exact bytes stored on IPFS: what `promptHash` and `resultHash` commit to on-chain. */
export const contentHash = (data: Uint8Array | string): Hex =>
  keccak256(typeof data === "string" ? toBytes(data) : data);

export { commitmentOf } from "./utils/hash.ts";

/** Model ids are the sha256 of the GGUF file (content-addressed: every miner provably serves the same weights). */
export const modelIdOfBytes = (bytes: Uint8Array): Hex => sha256(bytes);

/** Escrow of one task: R × maxTokens × pricePerToken. */
export const escrowOf = (redundancy: number, maxTokens: number, pricePerToken: bigint): bigint =>
  BigInt(redundancy) * BigInt(maxTokens) * pricePerToken;
