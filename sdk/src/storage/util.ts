/** Internal helpers shared by the backends. */
import { setMaxListeners } from "node:events";

/** A signal that aborts after `timeoutMs`, or when `signal` does, whichever comes first. */
export function deadlineSignal(
  timeoutMs: number,
  signal?: AbortSignal,
): { deadline: AbortSignal; signal: AbortSignal } {
  const deadline = AbortSignal.timeout(timeoutMs);
  const combined = signal ? AbortSignal.any([signal, deadline]) : deadline;
  // The UnixFS exporter listens on the signal once per block in flight.
  setMaxListeners(Number.POSITIVE_INFINITY, deadline, combined);
  return { deadline, signal: combined };
}

/**
 * Settles like `promise`, or rejects with `signal.reason` as soon as `signal` aborts, so a caller
 * never waits on an operation that ignores its signal.
 */
export function raceAbort<T>(promise: Promise<T>, signal: AbortSignal): Promise<T> {
  if (signal.aborted) {
    promise.catch(() => {});
    return Promise.reject(signal.reason);
  }
  return new Promise<T>((resolve, reject) => {
    const onAbort = () => reject(signal.reason);
    signal.addEventListener("abort", onAbort, { once: true });
    promise.then(
      (value) => {
        signal.removeEventListener("abort", onAbort);
        resolve(value);
      },
      (error: unknown) => {
        signal.removeEventListener("abort", onAbort);
        reject(error);
      },
    );
  });
}

/** Concatenates chunks into one buffer. */
export function concatBytes(chunks: Uint8Array[], length?: number): Uint8Array {
  if (chunks.length === 1 && chunks[0] !== undefined) return chunks[0];
  const out = new Uint8Array(length ?? chunks.reduce((n, c) => n + c.length, 0));
  let offset = 0;
  for (const chunk of chunks) {
    out.set(chunk, offset);
    offset += chunk.length;
  }
  return out;
}

export function errorName(err: unknown): string | undefined {
  return err instanceof Error ? err.name : undefined;
}

export function validateTimeout(name: string, value: number): number {
  if (!Number.isFinite(value) || value <= 0) throw new RangeError(`${name} must be a positive number of milliseconds`);
  return value;
}
