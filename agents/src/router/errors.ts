import { AgentError } from "../shared/errors.ts";

/**
 * The router could not give a request miners: too few live miners for the session's redundancy, every live miner at
 * its offered capacity, or the assignment transaction failed. `taskId` is set when the task was already submitted
 * on chain (a gateway must not submit the same request again elsewhere). Retryable: capacity frees up.
 */
export class NoMinersError extends AgentError {
  override readonly name = "NoMinersError";
  readonly taskId: bigint | undefined;
  constructor(message: string, opts: { taskId?: bigint; cause?: unknown } = {}) {
    super(message, { cause: opts.cause, retryable: true });
    this.taskId = opts.taskId;
  }
}
