import { AssignmentMode, contentHash } from "@cor-network/sdk";
import type { Address, Hex } from "viem";
import type { GenerateResult, InferenceEngine, SamplingParams } from "../inference/index.ts";
import type { Logger } from "../shared/logger.ts";
import type { DispatchRequest, StreamServer } from "./stream.ts";

/** What the miner needs to know about a session to accept a dispatch for it (from getSession). */
export type DispatchSession = {
  owner: Address;
  routerId: number;
  assignment: number;
  modelId: Hex;
  maxTokens: number;
  encrypted?: boolean;
};

/** The on-chain facts a speculative result must match before it is committed (from TaskSubmitted). */
export type DispatchExpectation = { promptHash: Hex; maxTokens: number; sessionId: number };

type Job = {
  router: number;
  sessionId: number;
  promptHash: Hex;
  maxTokens: number;
  abort: AbortController;
  result: Promise<GenerateResult | undefined>;
  timer: NodeJS.Timeout;
  confirmed: boolean;
  /** Checks still running: not in the engine's counts yet. */
  checking: boolean;
};

export type MinerDispatchOptions = {
  engine: Pick<InferenceEngine, "generate" | "active" | "queued" | "maxConcurrency">;
  streams: Pick<StreamServer, "open" | "token" | "decline" | "drop">;
  logger: Logger;
  /** This miner's node id and served model. */
  nodeId: () => number;
  modelId: Hex;
  getSession: (sessionId: number) => Promise<DispatchSession>;
  /** Node id of an account (0 when it has none). */
  nodeIdOf: (account: Address) => Promise<number>;
  sampling: (sessionId: number) => Promise<SamplingParams>;
  /** Unconfirmed dispatches one router may have at once (default 2). */
  perRouter?: number;
  /** How long a dispatch waits for its assignment to land on chain before it is dropped (ms, default 20 000). */
  ttlMs?: number;
  /**
   * A router whose dispatch expired unconfirmed (it streamed a generation it never put on chain) gets no speculative
   * start from this miner for `pauseMs` (default 60 000), doubling with each further expiry up to an hour: free work
   * per router grows with the logarithm of time, not linearly. Its tasks still run once assigned on chain.
   */
  pauseMs?: number;
  /** How long a session lookup is reused (ms, default 5 000). */
  sessionCacheMs?: number;
  /** False declines every dispatch (fault-drill miners that must not stream what they will not commit). */
  enabled?: boolean;
};

/**
 * Speculative start (issue 12, docs/inference.md#dispatch). A router that is about to assign a task sends it over
 * its authenticated stream connection; the miner starts generating at once and streams the tokens to that router
 * only. Nothing is committed on the strength of a dispatch: `take` hands the result to the normal assignment path
 * only when the task is assigned to this miner on chain with the same prompt hash, token budget and session. A
 * dispatch the chain never confirms within `ttlMs` is aborted and forgotten: the miner never committed, so it
 * cannot be penalized, and a router cannot get free work beyond `perRouter` generations per `ttlMs`.
 *
 * Accepted only from the router that routes the session (its router, or the router node of its owner), for
 * plaintext sessions in Router mode on this miner's model, while a generation slot is free: a miner at capacity
 * declines instead of queueing.
 */
export const createMinerDispatch = (opts: MinerDispatchOptions) => {
  const { engine, streams, logger } = opts;
  const perRouter = opts.perRouter ?? 2;
  const ttlMs = opts.ttlMs ?? 20_000;
  const cacheMs = opts.sessionCacheMs ?? 5_000;
  const pauseMs = opts.pauseMs ?? 60_000;
  const jobs = new Map<string, Job>();
  /** Routers that left dispatches unconfirmed: how many times, and until when they get no speculative start. */
  const strikes = new Map<number, { count: number; until: number }>();
  const strike = (router: number) => {
    const count = (strikes.get(router)?.count ?? 0) + 1;
    strikes.set(router, { count, until: Date.now() + Math.min(3_600_000, pauseMs * 2 ** (count - 1)) });
  };
  const sessions = new Map<number, { at: number; value: Promise<DispatchSession & { ownerNode: number }> }>();

  const sessionOf = (sessionId: number) => {
    const hit = sessions.get(sessionId);
    if (hit && Date.now() - hit.at < cacheMs) return hit.value;
    const value = opts.getSession(sessionId).then(async (s) => ({ ...s, ownerNode: await opts.nodeIdOf(s.owner) }));
    value.catch(() => sessions.delete(sessionId));
    if (sessions.size > 1_000) sessions.clear();
    sessions.set(sessionId, { at: Date.now(), value });
    return value;
  };

  /** What is wrong with the dispatch itself, checked before anything is held for it. */
  const malformed = (req: Extract<DispatchRequest, { type: "dispatch" }>) => {
    if (contentHash(new TextEncoder().encode(req.prompt)) !== req.promptHash) return "Prompt does not match its hash";
    if (BigInt(req.taskId) >> 32n !== BigInt(req.sessionId))
      return `Task ${req.taskId} is not of session ${req.sessionId}`;
    return undefined;
  };
  /** Why `router` may not dispatch tasks of this session (undefined: it may). */
  const refusal = async (router: number, req: Extract<DispatchRequest, { type: "dispatch" }>) => {
    const s = await sessionOf(req.sessionId);
    if (Number(s.assignment) !== AssignmentMode.Router) return `Session ${req.sessionId} is not in Router mode`;
    if (Number(s.routerId) !== router && s.ownerNode !== router)
      return `Router ${router} does not route session ${req.sessionId}`;
    if (s.modelId.toLowerCase() !== opts.modelId.toLowerCase()) return `Session ${req.sessionId} is for another model`;
    if (s.encrypted) return `Session ${req.sessionId} is encrypted: no speculative start`;
    if (req.maxTokens > Number(s.maxTokens)) return `maxTokens ${req.maxTokens} exceeds the session's cap`;
    return undefined;
  };

  const unconfirmed = (router: number) => {
    let n = 0;
    for (const j of jobs.values()) if (j.router === router && !j.confirmed) n++;
    return n;
  };

  const drop = (taskId: string, job: Job, reason: string) => {
    if (jobs.get(taskId) !== job) return;
    jobs.delete(taskId);
    clearTimeout(job.timer);
    job.abort.abort(new Error(reason));
    streams.drop(taskId);
  };

  const start = async (router: number, req: Extract<DispatchRequest, { type: "dispatch" }>) => {
    const { taskId } = req;
    const decline = (message: string) => {
      logger.info(`Declined dispatch task=${taskId} router=${router}: ${message}`);
      streams.decline(router, taskId, opts.nodeId(), message);
    };
    if (opts.enabled === false) return decline("Speculative start is disabled on this miner");
    if (jobs.has(taskId)) return; // a repeated dispatch changes nothing
    const bad = malformed(req);
    if (bad) return decline(bad);
    const paused = strikes.get(router);
    if (paused && paused.until > Date.now())
      return decline(
        `Router ${router} left ${paused.count} dispatch(es) unconfirmed: no speculative start for ${Math.ceil((paused.until - Date.now()) / 1000)} s`,
      );
    if (unconfirmed(router) >= perRouter) return decline(`Router ${router} has ${perRouter} unconfirmed dispatches`);
    const busy = engine.active + engine.queued + [...jobs.values()].filter((j) => j.checking).length;
    if (busy >= engine.maxConcurrency) return decline("At capacity");
    // The slot is held before anything is awaited: a burst cannot pass the checks above together.
    const abort = new AbortController();
    let settle: (r: GenerateResult | undefined) => void = () => undefined;
    const job: Job = {
      router,
      sessionId: req.sessionId,
      promptHash: req.promptHash as Hex,
      maxTokens: req.maxTokens,
      abort,
      result: new Promise((r) => {
        settle = r;
      }),
      timer: setTimeout(() => {
        if (!job.confirmed) {
          strike(router);
          decline(`Not assigned on chain within ${ttlMs} ms`);
          drop(taskId, job, "dispatch expired");
        }
      }, ttlMs),
      confirmed: false,
      checking: true,
    };
    job.timer.unref();
    jobs.set(taskId, job);
    try {
      const reason = await refusal(router, req);
      if (reason) {
        drop(taskId, job, reason);
        settle(undefined);
        return decline(reason);
      }
      if (jobs.get(taskId) !== job) return settle(undefined); // cancelled meanwhile
      const sampling = await opts.sampling(req.sessionId);
      const nodeId = opts.nodeId();
      streams.open(taskId, [router], nodeId);
      job.checking = false;
      let index = 0;
      const started = Date.now();
      const result = await engine.generate({
        prompt: req.prompt,
        maxTokens: req.maxTokens,
        sampling,
        signal: abort.signal,
        onToken: (piece) => streams.token({ taskId, nodeId, index: index++, piece }),
      });
      logger.info(`Generated dispatched task=${taskId} tokens=${result.tokens} (${Date.now() - started}ms)`);
      settle(result);
    } catch (err) {
      if (!abort.signal.aborted)
        logger.warn({ err: String((err as Error).message ?? err) }, `Dispatch failed task=${taskId}`);
      job.checking = false;
      drop(taskId, job, "failed");
      settle(undefined);
    }
  };

  return {
    /** A dispatch or cancel from an authenticated router (the stream server's `onDispatch`). */
    handle: (router: number, req: DispatchRequest) => {
      if (req.type === "cancel") {
        const job = jobs.get(req.taskId);
        if (job && job.router === router && !job.confirmed) drop(req.taskId, job, "cancelled by the router");
        return;
      }
      void start(router, req);
    },
    /**
     * The task is assigned to this miner on chain: the speculative result if the dispatch matches what the chain
     * says (its generation is awaited), else undefined (a mismatching dispatch is dropped) and the caller
     * generates as usual.
     */
    take: async (taskId: string, expect: DispatchExpectation): Promise<GenerateResult | undefined> => {
      const job = jobs.get(taskId);
      if (!job) return undefined;
      if (
        job.promptHash.toLowerCase() !== expect.promptHash.toLowerCase() ||
        job.maxTokens !== expect.maxTokens ||
        job.sessionId !== expect.sessionId
      ) {
        logger.warn(`Dispatch of task=${taskId} does not match the chain; generating anew`);
        drop(taskId, job, "does not match the chain");
        return undefined;
      }
      job.confirmed = true;
      clearTimeout(job.timer);
      const result = await job.result;
      jobs.delete(taskId);
      return result;
    },
    /** The task settled or went to other miners: a dispatch still waiting is dropped. */
    forget: (taskId: string) => {
      const job = jobs.get(taskId);
      if (job && !job.confirmed) drop(taskId, job, "task settled elsewhere");
    },
    /** Dispatches held now (confirmed ones until their result is taken). */
    size: () => jobs.size,
    close: () => {
      for (const [taskId, job] of jobs) drop(taskId, job, "miner stopping");
    },
  };
};
export type MinerDispatch = ReturnType<typeof createMinerDispatch>;
