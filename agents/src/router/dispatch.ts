import type { Hex } from "viem";
import type { Logger } from "../shared/logger.ts";
import type { RouterMessage } from "../shared/stream.ts";

type Dispatch = Extract<RouterMessage, { type: "dispatch" }>;

/**
 * Predicts the id the chain gives the next task of a session that only this router submits to (its house
 * sessions): `sessionId << 32 | taskCount + 1`, counting its own submissions still in flight. Submissions go
 * through the agent's one transaction queue in call order, so the prediction holds unless an earlier submission
 * failed; `settled` reports the real id, and after a miss the next prediction re-reads the count from the chain
 * once nothing is in flight. Callers must call `next` synchronously before queuing the transaction.
 */
export const createTaskIdPredictor = (readTaskCount: (sessionId: number) => Promise<number>) => {
  type Lane = { next: number; pending: number; stale: boolean; reading?: Promise<void> };
  const lanes = new Map<number, Lane>();
  const laneOf = (sessionId: number): Lane => {
    let lane = lanes.get(sessionId);
    if (!lane) lanes.set(sessionId, (lane = { next: 0, pending: 0, stale: true }));
    return lane;
  };
  return {
    /** Makes sure the session's count is known (read from the chain when stale and nothing is in flight). */
    prepare: async (sessionId: number): Promise<boolean> => {
      const lane = laneOf(sessionId);
      if (lane.stale && lane.pending === 0 && !lane.reading) {
        lane.reading = readTaskCount(sessionId)
          .then((count) => {
            lane.next = count + 1;
            lane.stale = false;
          })
          .finally(() => {
            lane.reading = undefined;
          });
      }
      await lane.reading;
      return !lane.stale;
    },
    /** The id of the submission about to be queued; undefined when the count is not known. */
    next: (sessionId: number): bigint | undefined => {
      const lane = laneOf(sessionId);
      if (lane.stale) return undefined;
      lane.pending++;
      return (BigInt(sessionId) << 32n) | BigInt(lane.next++);
    },
    /** The submission predicted as `predicted` landed as `actual` (undefined: it failed). */
    settled: (sessionId: number, predicted: bigint, actual: bigint | undefined) => {
      const lane = laneOf(sessionId);
      lane.pending = Math.max(0, lane.pending - 1);
      if (actual !== predicted) lane.stale = true;
    },
  };
};
export type TaskIdPredictor = ReturnType<typeof createTaskIdPredictor>;

/**
 * The router's side of speculative start (docs/inference.md#dispatch): it sends a task it is about to assign to
 * the chosen miners over their authenticated links, remembers who got it, and withdraws it from miners it does
 * not assign after all. Miners that declined are not counted as holding it.
 */
export const createDispatcher = (opts: {
  send: (minerId: number, msg: RouterMessage) => boolean;
  logger: Logger;
  /** Dispatches remembered at most (oldest forgotten first). */
  max?: number;
}) => {
  const max = opts.max ?? 10_000;
  const sent = new Map<string, Set<number>>();
  return {
    /** Sends the dispatch to each miner whose link is live; returns those it went to. */
    dispatch: (msg: Omit<Dispatch, "type">, miners: readonly number[]): number[] => {
      const to = miners.filter((id) => opts.send(id, { type: "dispatch", ...msg }));
      if (!to.length) return to;
      if (sent.size >= max) sent.delete(sent.keys().next().value as string);
      const holders = sent.get(msg.taskId) ?? new Set();
      for (const id of to) holders.add(id);
      sent.set(msg.taskId, holders);
      opts.logger.debug(`Dispatched task=${msg.taskId} miners=${to.join(",")}`);
      return to;
    },
    /** Miners holding a dispatch of the task. */
    holders: (taskId: string): number[] => [...(sent.get(taskId) ?? [])],
    declined: (minerId: number, taskId: string, message: string) => {
      sent.get(taskId)?.delete(minerId);
      opts.logger.debug(`Miner node=${minerId} declined task=${taskId}: ${message}`);
    },
    /** Withdraws the dispatch from `miners` (default: every holder). */
    cancel: (taskId: string, miners?: readonly number[]) => {
      const holders = sent.get(taskId);
      if (!holders) return;
      for (const id of miners ?? [...holders]) {
        if (!holders.delete(id)) continue;
        opts.send(id, { type: "cancel", taskId });
      }
      if (!holders.size) sent.delete(taskId);
    },
    forget: (taskId: string) => sent.delete(taskId),
    size: () => sent.size,
  };
};
export type Dispatcher = ReturnType<typeof createDispatcher>;

/** A prompt this router submitted, kept until its task settles so that it can be dispatched. */
export type KnownPrompt = { sessionId: number; prompt: string; promptHash: Hex; maxTokens: number };
