import { createHash } from "node:crypto";
import { type Address, type Hex, encodeAbiParameters, keccak256, toBytes } from "viem";

/** Mirrors of the Solidity enums in contracts/types/Types.sol (numeric values are the ABI values). */
export const Role = { None: 0, Miner: 1, Router: 2, Validator: 3 } as const;
export const NodeStatus = { Unregistered: 0, Active: 1, Jailed: 2, Exiting: 3 } as const;
export const ValidationMode = { None: 0, ExactMatch: 1, Embedding: 2 } as const;
export const AssignmentMode = { Router: 0, Claim: 1, Dedicated: 2 } as const;
export const SessionStatus = { None: 0, Open: 1, Closed: 2 } as const;
export const TaskStatus = {
  None: 0,
  Queued: 1,
  Committing: 2,
  Revealing: 3,
  Validating: 4,
  Finalized: 5,
  Failed: 6,
} as const;
export const Outcome = { Accepted: 0, Rejected: 1, TimedOut: 2 } as const;
export const FailReason = {
  NoMiners: 0,
  RetriesExhausted: 1,
  NoResults: 2,
  NoMajority: 3,
  NoAttestations: 4,
  AllRejected: 5,
} as const;

export type RoleName = keyof typeof Role;
export type TaskStatusName = keyof typeof TaskStatus;

export const taskStatusName = (status: number): TaskStatusName =>
  (Object.keys(TaskStatus) as TaskStatusName[]).find((k) => TaskStatus[k] === status) ?? "None";

/** Task ids are `sessionId << 32 | index` (index is 1-based within the session). */
export const taskIdOf = (sessionId: number | bigint, index: number | bigint): bigint =>
  (BigInt(sessionId) << 32n) | BigInt(index);
export const sessionIdOfTask = (taskId: bigint): number => Number(taskId >> 32n);
export const taskIndexOf = (taskId: bigint): number => Number(taskId & 0xffffffffn);

/** keccak256 of the exact bytes stored on IPFS: what `promptHash` and `resultHash` commit to on-chain. */
export const contentHash = (data: Uint8Array | string): Hex =>
  keccak256(typeof data === "string" ? toBytes(data) : data);

/** The precommit: keccak256(abi.encode(taskId, miner, resultHash, salt)). Binding the miner stops copying. */
export const commitmentOf = (taskId: bigint, miner: Address, resultHash: Hex, salt: Hex): Hex =>
  keccak256(
    encodeAbiParameters(
      [{ type: "uint256" }, { type: "address" }, { type: "bytes32" }, { type: "bytes32" }],
      [taskId, miner, resultHash, salt],
    ),
  );

/** Model ids are the sha256 of the GGUF file (content-addressed: every miner provably serves the same weights). */
export const modelIdOfBytes = (bytes: Uint8Array): Hex =>
  `0x${createHash("sha256").update(bytes).digest("hex")}` as Hex;

/** Escrow of one task: R × maxTokens × pricePerToken. */
export const escrowOf = (redundancy: number, maxTokens: number, pricePerToken: bigint): bigint =>
  BigInt(redundancy) * BigInt(maxTokens) * pricePerToken;
