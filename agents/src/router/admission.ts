import { NoMinersError } from "./errors.ts";

/** One attempt to admit a request: the miners it got, a reason to refuse it at once, or nothing (wait). */
export type AdmitAttempt = { picked: number[] } | { refuse: string } | undefined;

type Waiter = {
  attempt: () => AdmitAttempt;
  resolve: (picked: number[]) => void;
  reject: (err: Error) => void;
  timer: NodeJS.Timeout;
};

/**
 * Admission (backpressure, docs/inference.md#backpressure). A request is admitted when `attempt` finds miners for
 * it; while every live miner is at its offered capacity it waits, at most `timeoutMs`, with at most `maxWaiting`
 * requests waiting. Beyond either bound, or when `attempt` refuses, it fails at once with a (retryable)
 * NoMinersError: nothing queues without bound.
 *
 * Waiting requests are served first come, first served: a newcomer never tries ahead of a waiting request (it
 * queues behind them), and on `wake` (a task settled, a miner came back) the waiting requests try in arrival
 * order. A waiting request that still finds no miners does not stop later ones from trying (they may need other
 * miners, e.g. another session's model); for requests of the same session the order is strict, because the pick
 * is a function of the router's state. Without this a burst starves: every freed slot went to whichever request
 * happened to arrive right then, and requests that had waited longest timed out (bench:load R=3 p99 35 s).
 */
export const createAdmission = (opts: { timeoutMs?: number; maxWaiting?: number } = {}) => {
  const timeoutMs = opts.timeoutMs ?? 30_000;
  const maxWaiting = opts.maxWaiting ?? 256;
  const queue: Waiter[] = [];
  const remove = (w: Waiter) => {
    const i = queue.indexOf(w);
    if (i >= 0) queue.splice(i, 1);
    clearTimeout(w.timer);
  };
  /** Every waiting request tries once, oldest first. */
  const pass = () => {
    for (const w of [...queue]) {
      let a: AdmitAttempt;
      try {
        a = w.attempt();
      } catch (err) {
        remove(w);
        w.reject(err as Error);
        continue;
      }
      if (!a) continue;
      remove(w);
      if ("picked" in a) w.resolve(a.picked);
      else w.reject(new NoMinersError(a.refuse));
    }
  };
  return {
    /** Resolves with the miners `attempt` picked; `busy(waiting)` words the refusal when the bounds are hit. */
    admit: (attempt: () => AdmitAttempt, busy: (waiting: number) => string): Promise<number[]> => {
      if (queue.length === 0) {
        const a = attempt();
        if (a && "picked" in a) return Promise.resolve(a.picked);
        if (a) return Promise.reject(new NoMinersError(a.refuse));
      }
      if (queue.length >= maxWaiting) return Promise.reject(new NoMinersError(busy(queue.length)));
      return new Promise<number[]>((resolve, reject) => {
        const w: Waiter = {
          attempt,
          resolve,
          reject,
          timer: setTimeout(() => {
            remove(w);
            reject(new NoMinersError(busy(queue.length)));
          }, timeoutMs),
        };
        queue.push(w);
        // Requests were already waiting: this one queued behind them; capacity may be free for some of them.
        if (queue.length > 1) queueMicrotask(pass);
      });
    },
    /** Capacity may have freed up: the waiting requests try again, oldest first. */
    wake: pass,
    waiting: () => queue.length,
  };
};
export type Admission = ReturnType<typeof createAdmission>;
