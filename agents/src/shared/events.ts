import { EventEmitter } from "node:events";
import type { Logger } from "./logger.ts";

/**
 * An event bus whose listeners cannot hurt the emitter: each listener runs in its own try/catch (and its
 * promise, if it returns one, is caught too), so a subscriber that throws — a closed socket, a payload that
 * does not serialize — is logged and skipped while the emitter (the chain event reader) and every other
 * listener carry on.
 */
/** Any listener (its arguments are whatever the emitter passes). */
type Listener = (...args: never) => unknown;

export const createSafeEmitter = (logger: Logger) => {
  const inner = new EventEmitter();
  inner.setMaxListeners(0);
  const wrapped = new WeakMap<Listener, Map<string, (...args: unknown[]) => void>>();
  const guard =
    (event: string, fn: Listener) =>
    (...args: unknown[]) => {
      try {
        const out = (fn as (...a: unknown[]) => unknown)(...args);
        if (out && typeof (out as Promise<unknown>).catch === "function") {
          (out as Promise<unknown>).catch((err) => logger.warn({ err: String(err), event }, "Event listener failed"));
        }
      } catch (err) {
        logger.warn({ err: String(err), event }, "Event listener failed");
      }
    };
  const wrapperOf = (event: string, fn: Listener) => {
    let byEvent = wrapped.get(fn);
    if (!byEvent) wrapped.set(fn, (byEvent = new Map()));
    let w = byEvent.get(event);
    if (!w) byEvent.set(event, (w = guard(event, fn)));
    return w;
  };
  return {
    on: <A extends unknown[]>(event: string, fn: (...args: A) => unknown) => {
      inner.on(event, wrapperOf(event, fn));
    },
    off: <A extends unknown[]>(event: string, fn: (...args: A) => unknown) => {
      const w = wrapped.get(fn)?.get(event);
      if (w) inner.off(event, w);
    },
    once: <A extends unknown[]>(event: string, fn: (...args: A) => unknown) => {
      const w = wrapperOf(event, fn);
      const once = (...args: unknown[]) => {
        inner.off(event, once);
        wrapped.get(fn)?.delete(event);
        w(...args);
      };
      wrapped.get(fn)?.set(event, once);
      inner.on(event, once);
    },
    emit: (event: string, ...args: unknown[]) => inner.emit(event, ...args),
    listenerCount: (event: string) => inner.listenerCount(event),
  };
};
export type SafeEmitter = ReturnType<typeof createSafeEmitter>;
