import { NoMinersError } from "./errors.ts";

/** One attempt to admit a request: the miners it got, a reason to refuse it at once, or nothing (wait). */
export type AdmitAttempt = { picked: number[] } | { refuse: string } | undefined;

/**
 * Admission (backpressure, docs/inference.md#backpressure). A request is admitted when `attempt` finds miners for
 * it; while every live miner is at its offered capacity it waits for `wake` (a task settled, a miner came back),
 * FIFO-fair enough for a burst, at most `timeoutMs`, with at most `maxWaiting` requests waiting. Beyond either
 * bound, or when `attempt` refuses, it fails at once with a (retryable) NoMinersError: nothing queues without bound.
 */
export const createAdmission = (opts: { timeoutMs?: number; maxWaiting?: number } = {}) => {
  const timeoutMs = opts.timeoutMs ?? 30_000;
  const maxWaiting = opts.maxWaiting ?? 256;
  const waiters = new Set<() => void>();
  return {
    /** Resolves with the miners `attempt` picked; `busy(waiting)` words the refusal when the bounds are hit. */
    admit: async (attempt: () => AdmitAttempt, busy: (waiting: number) => string): Promise<number[]> => {
      const deadline = Date.now() + timeoutMs;
      for (;;) {
        const a = attempt();
        if (a && "picked" in a) return a.picked;
        if (a) throw new NoMinersError(a.refuse);
        if (waiters.size >= maxWaiting || Date.now() >= deadline) throw new NoMinersError(busy(waiters.size));
        await new Promise<void>((resolve) => {
          const wake = () => {
            clearTimeout(timer);
            waiters.delete(wake);
            resolve();
          };
          const timer = setTimeout(wake, Math.max(1, deadline - Date.now()));
          waiters.add(wake);
        });
      }
    },
    /** Capacity may have freed up: every waiting request tries again. */
    wake: () => {
      for (const w of [...waiters]) w();
    },
    waiting: () => waiters.size,
  };
};
export type Admission = ReturnType<typeof createAdmission>;
