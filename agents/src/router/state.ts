import { AssignmentMode, NodeStatus, Role, TaskStatus } from "@cor-network/sdk";
import type { Hex } from "viem";
import type { NetworkLog } from "../shared/chain.ts";

/** A miner as the registry describes it (chain state only; liveness lives in the pool). */
export type MinerRecord = {
  nodeId: number;
  account: string;
  endpoint: string;
  models: Hex[];
  status: number;
  score: number;
  speed: number;
  /** The miner's on-chain Offer: open assignments at once, minimum price per token, modes bitmask. */
  capacity: number;
  minPrice: bigint;
  modes: number;
};

type OfferArgs = { capacity: number; minPrice: bigint; modes: number } | undefined;
/** The Offer fields of a NodeRegistered / OfferUpdated event (a log without one: no limit known). */
const offerOf = (o: OfferArgs) => ({
  capacity: o ? Number(o.capacity) : Number.MAX_SAFE_INTEGER,
  minPrice: o ? BigInt(o.minPrice) : 0n,
  modes: o ? Number(o.modes) : 0xff,
});

export type SessionView = {
  owner: string;
  routerId: number;
  assignment: number;
  modelId: Hex;
  redundancy: number;
  minReputation: number;
  pricePerToken: bigint;
};

export type Reveal = { cid: string; tokens: number; hash: Hex };

export type FinalResult = {
  taskId: bigint;
  sessionId: number;
  status: "Finalized" | "Failed";
  resultHash?: Hex;
  resultCid?: string;
  winnerNodeId?: number;
  text?: string;
  tokens?: number;
  failReason?: number;
};

/** What subscribers (SSE, WebSocket) see of a task. Every field is JSON-safe (no bigint). */
export type TaskEvent =
  | { type: "token"; taskId: string; nodeId: number; index: number; piece: string }
  | { type: "status"; taskId: string; status: string; detail?: Record<string, unknown> }
  | { type: "error"; taskId: string; code: string; message: string };

/** The router's view of the chain, rebuilt from events alone (a restarted router replays them). */
export type RouterState = {
  models: Map<string, Hex>;
  miners: Map<number, MinerRecord>;
  sessions: Map<number, SessionView>;
  /** Miners of every task that is not final yet (slot order; 0 = vacant). */
  open: Map<string, number[]>;
  reveals: Map<string, Map<number, Reveal>>;
  finals: Map<string, FinalResult>;
};

/** Side effects the core performs for a log; the reducer itself only updates `state`. */
export type Effect =
  | { type: "minerUpdated"; nodeId: number }
  | { type: "refreshMiner"; nodeId: number }
  | { type: "timedOut"; nodeId: number; taskId: string }
  | { type: "assign"; taskId: string }
  | { type: "assigned"; taskId: string; miners: number[] }
  | { type: "event"; event: TaskEvent }
  | { type: "settled"; final: FinalResult };

export const emptyState = (): RouterState => ({
  models: new Map(),
  miners: new Map(),
  sessions: new Map(),
  open: new Map(),
  reveals: new Map(),
  finals: new Map(),
});

export const statusName = (status: number) =>
  Object.entries(TaskStatus).find(([, v]) => v === status)?.[0] ?? "Unknown";

/** Whether this router assigns the session's tasks: it is the session's router, or its owner. */
export const routesFor = (
  state: RouterState,
  sessionId: number,
  self: { nodeId: number; account: string },
): boolean => {
  const s = state.sessions.get(sessionId);
  if (s?.assignment !== AssignmentMode.Router) return false;
  return s.routerId === self.nodeId || s.owner.toLowerCase() === self.account.toLowerCase();
};

/** The JSON-safe summary of a final result that status events carry. */
export const finalDetail = (f: FinalResult): Record<string, unknown> => ({
  task_id: f.taskId.toString(),
  session_id: f.sessionId,
  status: f.status,
  result_hash: f.resultHash ?? null,
  result_cid: f.resultCid ?? null,
  winner_node_id: f.winnerNodeId ?? null,
  tokens: f.tokens ?? null,
  fail_reason: f.failReason ?? null,
});

const OUTCOME_TIMED_OUT = 2;

/**
 * Applies one network event to the router's state and returns what the core must do about it. Pure: no I/O,
 * no clock. `live` is false for replayed history (events up to the head seen at boot): such events never
 * trigger penalties like benching.
 */
export const reduce = (
  state: RouterState,
  log: NetworkLog,
  ctx: { live: boolean; nodeId: number; account: string },
): Effect[] => {
  const a = log.args;
  const key = a.taskId !== undefined ? String(a.taskId) : "";
  switch (log.eventName) {
    case "ModelRegistered":
      state.models.set(a.name as string, a.modelId as Hex);
      return [];
    case "NodeRegistered": {
      if (Number(a.role) !== Role.Miner) return [];
      const nodeId = Number(a.nodeId);
      state.miners.set(nodeId, {
        nodeId,
        account: a.account as string,
        endpoint: a.endpoint as string,
        models: [...(a.models as Hex[])],
        status: NodeStatus.Active,
        score: Number(a.score ?? 0),
        speed: 0,
        ...offerOf(a.offer as OfferArgs),
      });
      return [{ type: "minerUpdated", nodeId }];
    }
    case "OfferUpdated": {
      const m = state.miners.get(Number(a.nodeId));
      if (m) Object.assign(m, offerOf(a.offer as OfferArgs));
      return [];
    }
    case "NodeUpdated": {
      const m = state.miners.get(Number(a.nodeId));
      if (!m || typeof a.endpoint !== "string" || m.endpoint === a.endpoint) return [];
      m.endpoint = a.endpoint;
      return [{ type: "minerUpdated", nodeId: m.nodeId }];
    }
    case "ExitRequested":
    case "NodeUnregistered":
    case "NodeJailed":
    case "NodeUnjailed":
    case "NodeSlashed":
      return state.miners.has(Number(a.nodeId)) ? [{ type: "refreshMiner", nodeId: Number(a.nodeId) }] : [];
    case "WorkSettled": {
      const m = state.miners.get(Number(a.nodeId));
      if (!m) return [];
      m.score = Number(a.score);
      m.speed = Number(a.speed);
      return Number(a.outcome) === OUTCOME_TIMED_OUT && ctx.live
        ? [{ type: "timedOut", nodeId: m.nodeId, taskId: key }]
        : [];
    }
    case "SessionCreated": {
      const c = a.config as {
        assignment: number;
        routerId: number;
        modelId: Hex;
        redundancy: number;
        minReputation: number;
        pricePerToken?: bigint;
      };
      state.sessions.set(Number(a.sessionId), {
        owner: a.owner as string,
        routerId: Number(c.routerId),
        assignment: Number(c.assignment),
        modelId: c.modelId,
        redundancy: Number(c.redundancy),
        minReputation: Number(c.minReputation),
        pricePerToken: BigInt(c.pricePerToken ?? 0),
      });
      return [];
    }
    case "SessionRouterChanged": {
      const s = state.sessions.get(Number(a.sessionId));
      if (s) s.routerId = Number(a.routerId);
      return [];
    }
    case "TaskSubmitted":
      return [{ type: "event", event: { type: "status", taskId: key, status: "Queued" } }];
    case "TaskPhaseChanged": {
      const status = Number(a.status);
      const effects: Effect[] = [{ type: "event", event: { type: "status", taskId: key, status: statusName(status) } }];
      if (status === TaskStatus.Queued && !state.finals.has(key) && routesFor(state, Number(BigInt(key) >> 32n), ctx)) {
        effects.push({ type: "assign", taskId: key });
      }
      return effects;
    }
    case "TaskAssigned": {
      const miners = (a.miners as readonly number[]).map(Number);
      if (!state.finals.has(key)) state.open.set(key, miners);
      return [
        { type: "assigned", taskId: key, miners },
        { type: "event", event: { type: "status", taskId: key, status: "Assigned", detail: { miners } } },
      ];
    }
    case "TaskRevealed": {
      if (!state.reveals.has(key)) state.reveals.set(key, new Map());
      state.reveals
        .get(key)
        ?.set(Number(a.nodeId), { cid: a.resultCid as string, tokens: Number(a.tokens), hash: a.resultHash as Hex });
      return [];
    }
    case "TaskFinalized": {
      const winner = Number(a.winnerNodeId);
      const r = state.reveals.get(key)?.get(winner);
      return settle(state, {
        taskId: BigInt(key),
        sessionId: Number(a.sessionId),
        status: "Finalized",
        resultHash: a.resultHash as Hex,
        resultCid: r?.cid,
        winnerNodeId: winner,
        tokens: r?.tokens,
      });
    }
    case "TaskFailed":
      return settle(state, {
        taskId: BigInt(key),
        sessionId: Number(a.sessionId),
        status: "Failed",
        failReason: Number(a.reason),
      });
    default:
      return [];
  }
};

const settle = (state: RouterState, final: FinalResult): Effect[] => {
  const key = final.taskId.toString();
  state.finals.set(key, final);
  state.open.delete(key);
  // The winner's reveal is kept in the final result; the other reveals are not needed any more.
  state.reveals.delete(key);
  return [
    { type: "event", event: { type: "status", taskId: key, status: final.status, detail: finalDetail(final) } },
    { type: "settled", final },
  ];
};

/** Open tasks per miner: the load the scheduler balances (derived from chain state, so it survives restarts). */
export const loadOf = (state: RouterState): Map<number, number> => {
  const load = new Map<number, number>();
  for (const miners of state.open.values()) for (const id of miners) if (id) load.set(id, (load.get(id) ?? 0) + 1);
  return load;
};
