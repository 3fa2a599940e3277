import type { ContractFunctionArgs, Hex } from "viem";
import type { iCorNetworkAbi } from "../generated/abis.ts";
import { type AssignmentModeName, assignmentModeValue, type ValidationModeName, validationModeValue } from "./enums.ts";

/** The SessionConfig struct as the contract takes it. */
export type SessionConfigStruct = ContractFunctionArgs<typeof iCorNetworkAbi, "nonpayable", "createSession">[0];

/**
 * Defaults of {@link SessionConfigInput}: sized for a local network (seconds-scale windows). On a public chain use
 * minutes-scale windows.
 */
export const sessionDefaults = {
  redundancy: 1,
  validation: "ExactMatch",
  assignment: "Router",
  /** 0.0001 COR per output token. */
  pricePerToken: 100_000_000_000_000n,
  maxTokens: 256,
  minReputation: 0,
  /** Validated modes (Embedding, Replay): odd, at least the network's params.minQuorum (1 locally, ≥ 3 public). */
  quorum: 1,
  retryLimit: 2,
  windows: { precommit: 60, reveal: 60, attest: 60 },
  routerId: 0,
  /** Greedy decoding (temperature 0). */
  sampling: { temperature: 0, topK: 0, topP: 0 },
  encrypted: false,
} as const;

/** A session configuration where everything but the model has a default ({@link sessionDefaults}). */
export type SessionConfigInput = {
  /** Model every task of the session runs (e.g. deployment.modelId). */
  modelId: Hex;
  /** Miners per task, 1..7. Default 1. */
  redundancy?: number | undefined;
  /** How differing results settle. Default "ExactMatch". */
  validation?: ValidationModeName | number | undefined;
  /** Who fills miner slots. Default "Router". */
  assignment?: AssignmentModeName | number | undefined;
  /** COR wei per output token. Default 0.0001 COR. */
  pricePerToken?: bigint | undefined;
  /** Cap on a task's output tokens. Default 256. */
  maxTokens?: number | undefined;
  /** Minimum miner reputation, 0..10000. Default 0. */
  minReputation?: number | undefined;
  /** Validator attestations that settle an Embedding / Replay task: odd, params.minQuorum..7. Default 1. */
  quorum?: number | undefined;
  /** Expired slots that may be reassigned before the task fails. Default 2. */
  retryLimit?: number | undefined;
  /** Phase windows in seconds. Default 60 each. */
  windows?: { precommit?: number | undefined; reveal?: number | undefined; attest?: number | undefined } | undefined;
  /** Node id of the session's router (Router mode); 0 = only the owner assigns. Default 0. */
  routerId?: number | undefined;
  /** Dedicated mode: R..7 miner node ids. */
  dedicatedMiners?: readonly number[] | undefined;
  /**
   * Declared sampling miners must follow and validators check. Default greedy. `temperature` as a float (1.0), or
   * `temperatureMilli` as the on-chain thousandths; `topP` as a float 0..1; `topK` 0 = off.
   */
  sampling?: { temperature?: number | undefined; topK?: number | undefined; topP?: number | undefined } | undefined;
  /** Prompts and results are end-to-end encrypted envelopes. Default false. */
  encrypted?: boolean | undefined;
};

/** Fills in the defaults and converts names to enum values: the struct `createSession` takes. */
export function toSessionConfig(input: SessionConfigInput): SessionConfigStruct {
  const d = sessionDefaults;
  return {
    modelId: input.modelId,
    redundancy: input.redundancy ?? d.redundancy,
    validation: validationModeValue(input.validation ?? d.validation),
    assignment: assignmentModeValue(input.assignment ?? d.assignment),
    pricePerToken: input.pricePerToken ?? d.pricePerToken,
    maxTokens: input.maxTokens ?? d.maxTokens,
    minReputation: input.minReputation ?? d.minReputation,
    quorum: input.quorum ?? d.quorum,
    retryLimit: input.retryLimit ?? d.retryLimit,
    precommitWindow: input.windows?.precommit ?? d.windows.precommit,
    revealWindow: input.windows?.reveal ?? d.windows.reveal,
    attestWindow: input.windows?.attest ?? d.windows.attest,
    routerId: input.routerId ?? d.routerId,
    dedicatedMiners: input.dedicatedMiners ?? [],
    temperature: Math.round((input.sampling?.temperature ?? d.sampling.temperature) * 1000),
    topK: input.sampling?.topK ?? d.sampling.topK,
    topP: Math.round((input.sampling?.topP ?? d.sampling.topP) * 10_000),
    encrypted: input.encrypted ?? d.encrypted,
  };
}
