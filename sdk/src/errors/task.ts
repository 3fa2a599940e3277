import type { Hex } from "viem";
import { type FailReasonName, failReasonText } from "../utils/enums.ts";
import { sessionOfTask as sessionIdOfTask } from "../utils/ids.ts";
import { displayCor } from "../utils/units.ts";
import { BaseError } from "./base.ts";

export type ResultVerificationErrorType = ResultVerificationError & { name: "ResultVerificationError" };

/**
 * The bytes fetched for a task's result do not hash to the result hash the network finalized: whoever served
 * them (IPFS node, router, miner) served something else. Never use such a result.
 */
export class ResultVerificationError extends BaseError {
  override name = "ResultVerificationError" as const;
  taskId: bigint;
  cid: string | undefined;
  /** The finalized `resultHash` on-chain. */
  expectedHash: Hex;
  /** keccak256 of the bytes that were received. */
  actualHash: Hex;

  constructor(p: { taskId: bigint; cid?: string | undefined; expectedHash: Hex; actualHash: Hex }) {
    super(
      `The result of task ${p.taskId}${p.cid ? ` fetched from ${p.cid}` : ""} hashes to ${p.actualHash} but the network finalized ${p.expectedHash}: do not trust it.`,
      { docsSlug: "verifying-results" },
    );
    this.taskId = p.taskId;
    this.cid = p.cid;
    this.expectedHash = p.expectedHash;
    this.actualHash = p.actualHash;
  }
}

export type TaskFailedErrorType = TaskFailedError & { name: "TaskFailedError" };

/** The task ended `Failed` on-chain; its whole escrow went back to the session's free balance. */
export class TaskFailedError extends BaseError {
  override name = "TaskFailedError" as const;
  taskId: bigint;
  /** FailReason of contracts/types/Types.sol, by name. */
  reason: FailReasonName;
  /** Escrow returned to the session (wei). */
  refund: bigint;

  constructor(p: { taskId: bigint; reason: FailReasonName; refund: bigint }) {
    super(
      `Task ${p.taskId} failed (${p.reason}): ${failReasonText[p.reason]}. Its escrow of ${displayCor(p.refund)} went back to session ${sessionIdOfTask(p.taskId)}.`,
      { docsSlug: "task-lifecycle" },
    );
    this.taskId = p.taskId;
    this.reason = p.reason;
    this.refund = p.refund;
  }
}

export type TimeoutErrorType = TimeoutError & { name: "TimeoutError" };

/** Waiting for something (a task result, a router response) took longer than allowed. Retryable. */
export class TimeoutError extends BaseError {
  override name = "TimeoutError" as const;
  timeoutMs: number;

  constructor(p: { what: string; timeoutMs: number; details?: string; cause?: unknown }) {
    super(`Timed out after ${p.timeoutMs} ms waiting for ${p.what}.`, {
      details: p.details,
      cause: p.cause,
      retryable: true,
    });
    this.timeoutMs = p.timeoutMs;
  }
}

export type NotFoundErrorType = NotFoundError & { name: "NotFoundError" };

/** A read asked for a node, session or task that does not exist. */
export class NotFoundError extends BaseError {
  override name = "NotFoundError" as const;
  kind: "node" | "session" | "task" | "result";
  id: string;

  constructor(p: { kind: "node" | "session" | "task" | "result"; id: string | number | bigint; details?: string }) {
    super(`${p.kind.charAt(0).toUpperCase()}${p.kind.slice(1)} ${String(p.id)} was not found.`, {
      details: p.details,
    });
    this.kind = p.kind;
    this.id = String(p.id);
  }
}

export type AccountRequiredErrorType = AccountRequiredError & { name: "AccountRequiredError" };

/** A write action has nobody to sign: neither `account` nor a client account was given. */
export class AccountRequiredError extends BaseError {
  override name = "AccountRequiredError" as const;
  constructor() {
    super(
      "No account to send the transaction from: pass `account`, or use a client created with one (createWalletClient({ account, ... })).",
    );
  }
}
