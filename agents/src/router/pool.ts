import type { Hex } from "viem";
import { NodeStatus } from "../../../sdk/src/protocol.ts";
import { loadOf, type MinerRecord, type RouterState } from "./state.ts";

/** Liveness of a miner as this router sees it now (never rebuilt from history). */
export type MinerRuntime = {
  /** An authenticated stream connection is open. */
  live: boolean;
  /** When the current connection came up (ms); 0 while down. */
  connectedAt: number;
  /** Not picked until this time (ms): it missed a deadline while connected. */
  benchedUntil: number;
};

export type MinerInfo = MinerRecord & MinerRuntime & { load: number };

/**
 * The miner pool: the registry's miners (chain state) joined with their current liveness. Benching uses the
 * current clock only, and a miner that reconnects (a restart) starts clean: it proved it is back.
 */
export const createMinerPool = (opts: { now?: () => number; benchMs?: number } = {}) => {
  const now = opts.now ?? Date.now;
  const benchMs = opts.benchMs ?? 60_000;
  const runtime = new Map<number, MinerRuntime>();
  const get = (id: number): MinerRuntime => {
    let r = runtime.get(id);
    if (!r) runtime.set(id, (r = { live: false, connectedAt: 0, benchedUntil: 0 }));
    return r;
  };
  return {
    runtime: get,
    /** Records a connection coming up or going down. A miner that comes back is no longer benched. */
    setLive: (id: number, live: boolean) => {
      const r = get(id);
      if (live && !r.live) {
        r.connectedAt = now();
        r.benchedUntil = 0;
      }
      if (!live) r.connectedAt = 0;
      r.live = live;
    },
    /**
     * Benches a miner that timed out on a task assigned at `assignedAt` (ms). A miner whose connection came up
     * after that assignment has restarted since: it is not benched for what its previous run missed.
     */
    bench: (id: number, assignedAt: number): boolean => {
      const r = get(id);
      if (r.live && r.connectedAt > assignedAt) return false;
      r.benchedUntil = now() + benchMs;
      return true;
    },
    remove: (id: number) => runtime.delete(id),
    /** Eligible, live, unbenched miners for a model ranked by load (asc), reputation (desc), token speed (desc). */
    pick: (
      state: RouterState,
      modelId: Hex,
      count: number,
      exclude: readonly number[],
      minReputation: number,
    ): number[] => {
      const load = loadOf(state);
      const t = now();
      return [...state.miners.values()]
        .filter(
          (m) =>
            m.status === NodeStatus.Active &&
            m.models.includes(modelId) &&
            m.score >= minReputation &&
            !exclude.includes(m.nodeId),
        )
        .filter((m) => {
          const r = get(m.nodeId);
          return r.live && r.benchedUntil <= t;
        })
        .sort((a, b) => (load.get(a.nodeId) ?? 0) - (load.get(b.nodeId) ?? 0) || b.score - a.score || b.speed - a.speed)
        .slice(0, count)
        .map((m) => m.nodeId);
    },
    /** Every known miner with its liveness and load (the /api/v1/miners view). */
    view: (state: RouterState): MinerInfo[] => {
      const load = loadOf(state);
      return [...state.miners.values()].map((m) => ({ ...m, ...get(m.nodeId), load: load.get(m.nodeId) ?? 0 }));
    },
    liveCount: (state: RouterState) => [...state.miners.keys()].filter((id) => get(id).live).length,
  };
};
export type MinerPool = ReturnType<typeof createMinerPool>;
