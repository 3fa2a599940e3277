import type { Address, ContractFunctionReturnType, Hex } from "viem";
import type { iCorNetworkAbi } from "../generated/abis.ts";
import {
  type AssignmentModeName,
  assignmentModeName,
  type NodeStatusName,
  nodeStatusName,
  type RoleName,
  roleName,
  type SessionStatusName,
  sessionStatusName,
  type TaskStatusName,
  taskStatusNameOf,
  type ValidationModeName,
  validationModeName,
} from "./enums.ts";
import { sessionOfTask as sessionIdOfTask, indexOfTask as taskIndexOf } from "./ids.ts";

// Raw struct types, straight from the generated ABI.
export type RawNode = ContractFunctionReturnType<typeof iCorNetworkAbi, "view", "getNode">;
export type RawSession = ContractFunctionReturnType<typeof iCorNetworkAbi, "view", "getSession">;
export type RawTask = ContractFunctionReturnType<typeof iCorNetworkAbi, "view", "getTask">;
export type RawParams = ContractFunctionReturnType<typeof iCorNetworkAbi, "view", "params">;

const ZERO_HASH = `0x${"0".repeat(64)}` as Hex;

/** A node registration, decoded: enum names instead of numbers, amounts in COR wei. */
export type NodeInfo = {
  nodeId: number;
  account: Address;
  role: RoleName;
  status: NodeStatusName;
  /** End of the unstake cooldown (Exiting) or jail term (Jailed), unix seconds; 0 otherwise. */
  until: number;
  /** Reputation 0..10000 (starts at 5000). */
  score: number;
  /** Output tokens per second, exponentially weighted. */
  speed: number;
  accepted: number;
  rejected: number;
  timedOut: number;
  tokensServed: bigint;
  /** Unclaimed rewards (wei), pulled with withdrawRewards. */
  rewards: bigint;
  stake: bigint;
  /** Assignments (miners) or attestations (validators) not settled yet: the stake is locked while > 0. */
  open: number;
  /** Miners: the work it consents to (min COR wei per token, open tasks at once, assignment modes). */
  offer: { minPrice: bigint; capacity: number; modes: AssignmentModeName[] };
  encryptionKey: Hex;
};

export function toNodeInfo(nodeId: number, raw: RawNode): NodeInfo {
  return {
    nodeId,
    account: raw.account,
    role: roleName(raw.role),
    status: nodeStatusName(raw.status),
    until: Number(raw.until),
    score: raw.score,
    speed: raw.speed,
    accepted: raw.accepted,
    rejected: raw.rejected,
    timedOut: raw.timedOut,
    tokensServed: BigInt(raw.tokensServed),
    rewards: raw.rewards,
    stake: raw.stake,
    open: raw.open,
    offer: {
      minPrice: raw.offer.minPrice,
      capacity: raw.offer.capacity,
      modes: (["Router", "Claim", "Dedicated"] as const).filter((_, i) => (raw.offer.modes >> i) & 1),
    },
    encryptionKey: raw.encryptionKey,
  };
}

/** A session, decoded. `deposit` is the free balance; `escrowed` what open tasks hold. */
export type SessionInfo = {
  sessionId: number;
  owner: Address;
  status: SessionStatusName;
  modelId: Hex;
  redundancy: number;
  validation: ValidationModeName;
  assignment: AssignmentModeName;
  quorum: number;
  retryLimit: number;
  /** Prompts and results are end-to-end encrypted envelopes. */
  encrypted: boolean;
  /** Declared sampling: temperature as a float (0 = greedy), topK (0 = off), topP as a float (0 = off). */
  sampling: { temperature: number; topK: number; topP: number };
  /** Node id of the session's router, 0 = only the owner assigns. */
  routerId: number;
  /** Free balance (wei): what a new task can escrow from, and what closing refunds. */
  deposit: bigint;
  /** Held by open tasks (wei). */
  escrowed: bigint;
  taskCount: number;
  pricePerToken: bigint;
  maxTokens: number;
  minReputation: number;
  /** Phase windows in seconds. */
  windows: { precommit: number; reveal: number; attest: number };
  dedicatedMiners: number[];
};

export function toSessionInfo(sessionId: number, raw: RawSession): SessionInfo {
  const dedicatedMiners: number[] = [];
  for (let i = 0n; i < 8n; i++) {
    const id = Number((raw.dedicated >> (32n * i)) & 0xffffffffn);
    if (id !== 0) dedicatedMiners.push(id);
  }
  return {
    sessionId,
    owner: raw.owner,
    status: sessionStatusName(raw.status),
    modelId: raw.modelId,
    redundancy: raw.redundancy,
    validation: validationModeName(raw.validation),
    assignment: assignmentModeName(raw.assignment),
    quorum: raw.quorum,
    retryLimit: raw.retryLimit,
    encrypted: raw.encrypted,
    sampling: { temperature: raw.temperature / 1000, topK: raw.topK, topP: raw.topP / 10_000 },
    routerId: raw.routerId,
    deposit: raw.deposit,
    escrowed: raw.escrowed,
    taskCount: raw.taskCount,
    pricePerToken: raw.pricePerToken,
    maxTokens: raw.maxTokens,
    minReputation: raw.minReputation,
    windows: { precommit: raw.precommitWindow, reveal: raw.revealWindow, attest: raw.attestWindow },
    dedicatedMiners,
  };
}

/** One miner slot of a task. */
export type TaskSlot = {
  slot: number;
  /** Assigned node id; 0 = vacant. */
  nodeId: number;
  committed: boolean;
  revealed: boolean;
  /** Committed but missed the reveal deadline. */
  dropped: boolean;
  /** Output tokens revealed (0 before reveal). */
  tokens: number;
  /** The commitment before reveal, the result hash after (zero when empty). */
  hash: Hex;
};

/** A task, decoded. */
export type TaskInfo = {
  taskId: bigint;
  sessionId: number;
  /** 1-based index within the session. */
  index: number;
  status: TaskStatusName;
  /** Deadline of the current phase, unix seconds. */
  deadline: number;
  retries: number;
  attestations: number;
  maxTokens: number;
  slots: TaskSlot[];
  /** The accepted result hash once Finalized. */
  resultHash: Hex | undefined;
  winnerNodeId: number | undefined;
  winnerSlot: number | undefined;
  /** Node id of the router that assigned the task; 0 when the owner assigned it, or it was claimed or dedicated. */
  assignerId: number;
  /** COR (wei) the task holds while open; 0 once settled. */
  escrow: bigint;
};

export function toTaskInfo(taskId: bigint, raw: RawTask): TaskInfo {
  const slots: TaskSlot[] = raw.miners.map((nodeId, slot) => ({
    slot,
    nodeId,
    committed: (raw.committedMask & (1 << slot)) !== 0,
    revealed: (raw.revealedMask & (1 << slot)) !== 0,
    dropped: (raw.droppedMask & (1 << slot)) !== 0,
    tokens: raw.tokens[slot] ?? 0,
    hash: raw.hashes[slot] ?? ZERO_HASH,
  }));
  const finalized = raw.resultHash !== ZERO_HASH && raw.winnerNodeId !== 0;
  const winnerSlot = finalized ? raw.miners.indexOf(raw.winnerNodeId) : -1;
  return {
    taskId,
    sessionId: sessionIdOfTask(taskId),
    index: taskIndexOf(taskId),
    status: taskStatusNameOf(raw.status),
    deadline: Number(raw.deadline),
    retries: raw.retries,
    attestations: raw.attestations,
    maxTokens: raw.maxTokens,
    slots,
    resultHash: finalized ? raw.resultHash : undefined,
    winnerNodeId: finalized ? raw.winnerNodeId : undefined,
    winnerSlot: winnerSlot >= 0 ? winnerSlot : undefined,
    assignerId: raw.assignerId,
    escrow: raw.escrow,
  };
}

/** Protocol parameters (owner-settable within caps). Stakes in wei, fees and slashes in basis points. */
export type NetworkParams = {
  minStake: { miner: bigint; router: bigint; validator: bigint };
  /** Seconds an exiting node waits before withdrawStake. */
  unstakeCooldown: number;
  protocolFeeBps: number;
  validatorFeeBps: number;
  routerFeeBps: number;
  rejectSlashBps: number;
  /** Slash of a withheld reveal (never below rejectSlashBps). */
  withholdSlashBps: number;
  /** Slash of a validator whose scores deviate from the quorum's median. */
  validatorSlashBps: number;
  attestDeviationBps: number;
  /** Share of agreeing (fast-path) results that still go to validators (Router / Claim, Embedding / Replay). */
  auditBps: number;
  /** Acceptance bar on the median validator score, per validation mode. */
  bars: { embedding: number; replay: number };
  /** Price floor of every session (COR wei per output token). */
  minPricePerToken: bigint;
  /** Protocol fee (COR wei) that earns a full reputation step. */
  reputationFeeUnit: bigint;
  /** Smallest (odd) validator quorum of a validated session. */
  minQuorum: number;
  maxRetryLimit: number;
};

export function toNetworkParams(raw: RawParams): NetworkParams {
  return {
    minStake: { miner: raw.minStakeMiner, router: raw.minStakeRouter, validator: raw.minStakeValidator },
    unstakeCooldown: raw.unstakeCooldown,
    protocolFeeBps: raw.protocolFeeBps,
    validatorFeeBps: raw.validatorFeeBps,
    routerFeeBps: raw.routerFeeBps,
    rejectSlashBps: raw.rejectSlashBps,
    withholdSlashBps: raw.withholdSlashBps,
    validatorSlashBps: raw.validatorSlashBps,
    attestDeviationBps: raw.attestDeviationBps,
    auditBps: raw.auditBps,
    bars: { embedding: raw.embeddingBarBps, replay: raw.replayBarBps },
    minPricePerToken: raw.minPricePerToken,
    reputationFeeUnit: raw.reputationFeeUnit,
    minQuorum: raw.minQuorum,
    maxRetryLimit: raw.maxRetryLimit,
  };
}
