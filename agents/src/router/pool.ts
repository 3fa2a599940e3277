import { AssignmentMode, NodeStatus } from "@cor-network/sdk";
import type { Hex } from "viem";
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

/** What a task asks of its miners (from its session). */
export type Demand = { modelId: Hex; minReputation: number; pricePerToken?: bigint };

/**
 * The miner pool: the registry's miners (chain state) joined with their current liveness. Benching uses the
 * current clock only, and a miner that reconnects (a restart) starts clean: it proved it is back.
 */
export const createMinerPool = (opts: { now?: () => number; benchMs?: number } = {}) => {
  const now = opts.now ?? Date.now;
  const benchMs = opts.benchMs ?? 60_000;
  const runtime = new Map<number, MinerRuntime>();
  /** Miners picked for tasks whose assignment is not on chain yet (key: task or ticket). */
  const reserved = new Map<string, readonly number[]>();
  /** Open assignments per miner from chain state, plus this router's reservations not on chain yet. */
  const loadWith = (state: RouterState) => {
    const load = loadOf(state);
    for (const [key, ids] of reserved)
      if (!state.open.has(key)) for (const id of ids) load.set(id, (load.get(id) ?? 0) + 1);
    return load;
  };
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
    /**
     * Eligible, live, unbenched miners with capacity left, ranked: `prefer`red first (the miners a task was
     * dispatched to), then by utilization (load / on-chain capacity, asc), free slots (desc), reputation (desc),
     * token speed (desc). A miner whose Offer does not cover the session (price, Router mode, capacity) is never
     * picked: the assignment would revert with OfferNotCovered.
     */
    pick: (
      state: RouterState,
      demand: Demand,
      count: number,
      exclude: readonly number[] = [],
      prefer: readonly number[] = [],
    ): number[] => {
      const load = loadWith(state);
      const t = now();
      const free = (m: MinerRecord) => m.capacity - (load.get(m.nodeId) ?? 0);
      const util = (m: MinerRecord) => (load.get(m.nodeId) ?? 0) / Math.max(m.capacity, 1);
      const rank = (m: MinerRecord) => (prefer.includes(m.nodeId) ? 0 : 1);
      return [...state.miners.values()]
        .filter(
          (m) =>
            m.status === NodeStatus.Active &&
            m.models.includes(demand.modelId) &&
            m.score >= demand.minReputation &&
            !exclude.includes(m.nodeId) &&
            free(m) > 0 &&
            (demand.pricePerToken ?? m.minPrice) >= m.minPrice &&
            (m.modes & (1 << AssignmentMode.Router)) !== 0,
        )
        .filter((m) => {
          const r = get(m.nodeId);
          return r.live && r.benchedUntil <= t;
        })
        .sort(
          (a, b) =>
            rank(a) - rank(b) || util(a) - util(b) || free(b) - free(a) || b.score - a.score || b.speed - a.speed,
        )
        .slice(0, count)
        .map((m) => m.nodeId);
    },
    /** Live miners serving the demand, capacity aside (tells "none live" from "all busy"). */
    liveFor: (state: RouterState, demand: Demand): number =>
      [...state.miners.values()].filter(
        (m) =>
          m.status === NodeStatus.Active &&
          m.models.includes(demand.modelId) &&
          m.score >= demand.minReputation &&
          get(m.nodeId).live &&
          get(m.nodeId).benchedUntil <= now(),
      ).length,
    /** Counts `miners` as loaded by `key` until its assignment is on chain (or `release`). */
    reserve: (key: string, miners: readonly number[]) => {
      reserved.set(key, miners);
    },
    release: (key: string) => {
      reserved.delete(key);
    },
    reservations: () => reserved.size,
    /** Every known miner with its liveness and load (the /api/v1/miners view). */
    view: (state: RouterState): MinerInfo[] => {
      const load = loadWith(state);
      return [...state.miners.values()].map((m) => ({ ...m, ...get(m.nodeId), load: load.get(m.nodeId) ?? 0 }));
    },
    liveCount: (state: RouterState) => [...state.miners.keys()].filter((id) => get(id).live).length,
  };
};
export type MinerPool = ReturnType<typeof createMinerPool>;
