import {
  AssignmentMode,
  type ContentStore,
  contentHash,
  createSession,
  type Deployment,
  type EncryptionKeys,
  getNode,
  getSession,
  getTask,
  iCorNetworkAbi,
  NodeStatus,
  NotFoundError,
  type SessionConfigInput,
} from "@cor-network/sdk";
import { type Address, type Hex, parseEventLogs } from "viem";
import { batchWindowFromEnv, createAssignBatcher } from "../shared/batch.ts";
import { type BatchInfo, type Clients, followEvents, type NetworkLog, type TxSender } from "../shared/chain.ts";
import { AgentError, revertName } from "../shared/errors.ts";
import { createSafeEmitter } from "../shared/events.ts";
import type { Logger } from "../shared/logger.ts";
import type { StreamMessage } from "../shared/stream.ts";
import { createAdmission } from "./admission.ts";
import { createDispatcher, createTaskIdPredictor, type KnownPrompt } from "./dispatch.ts";
import { NoMinersError } from "./errors.ts";
import { createMinerLink, type MinerLink, streamUrlOf } from "./link.ts";
import { createMinerPool } from "./pool.ts";
import { createRouterPrivacy } from "./privacy.ts";
import { createStreamRelay } from "./relay.ts";
import {
  type Effect,
  emptyState,
  type FinalResult,
  reduce,
  routesFor,
  type SessionView,
  type TaskEvent,
} from "./state.ts";

export type { MinerInfo } from "./pool.ts";
export type { FinalResult, TaskEvent } from "./state.ts";

export type HouseConfig = {
  redundancy: number;
  validation: number;
  deposit: bigint;
  price: bigint;
  maxTokens: number;
  /** Precommit, reveal and attest windows (seconds). */
  windowSeconds: number;
  /** End-to-end encrypted house sessions (SessionConfig.encrypted): prompts are sealed before IPFS. */
  encrypted?: boolean | undefined;
};

/**
 * The router's core, wired from small parts: the chain view (`state.ts`, a pure reducer over events), the miner
 * pool (`pool.ts`: registry + liveness), one authenticated stream link per miner (`link.ts`), and the stream
 * relay with failover (`relay.ts`). It assigns the tasks of sessions it routes, opens and reuses its house
 * sessions, and serves final results (rebuilt from the chain after a restart).
 */
export const createRouterCore = (opts: {
  clients: Clients;
  tx: TxSender;
  store: ContentStore;
  logger: Logger;
  nodeId: number;
  /** Bench time of a miner that timed out while connected (ms). */
  benchMs?: number;
  /** The router's X25519 keys, for the encrypted tasks it submits (privacy.ts). */
  keys?: EncryptionKeys | undefined;
  /** Longest a request waits for miner capacity before a 503 (ms, default 30 000). */
  admitTimeoutMs?: number;
  /** Requests waiting for capacity at most; more are refused at once (default 256). */
  maxWaiting?: number;
}) => {
  const { clients, tx, store, logger, nodeId } = opts;
  const assigner = createAssignBatcher(tx, batchWindowFromEnv(), logger);
  const privacy = createRouterPrivacy({ clients, store, logger, keys: opts.keys ?? { keys: [] } });
  const deployment: Deployment = clients.deployment;
  const self = { nodeId, account: clients.account.address as string };
  const events = createSafeEmitter(logger);
  const state = emptyState();
  const pool = createMinerPool({ benchMs: opts.benchMs });
  const links = new Map<number, MinerLink>();
  const assignedAt = new Map<string, number>();
  const startedAt = Date.now();
  const emit = (e: TaskEvent) => events.emit(`task:${e.taskId}`, e);
  const relay = createStreamRelay({ emit, isLive: (id) => pool.runtime(id).live });

  // ---- speculative start (dispatch.ts): prompts it submitted, miners chosen when they were dispatched
  const dispatcher = createDispatcher({ send: (id, msg) => links.get(id)?.send(msg) ?? false, logger });
  const predictor = createTaskIdPredictor(
    async (sessionId) => (await getSession(clients.publicClient, { network: deployment.network, sessionId })).taskCount,
  );
  const prompts = new Map<string, KnownPrompt>();
  const chosen = new Map<string, number[]>();
  const forgetDispatch = (key: string) => {
    prompts.delete(key);
    chosen.delete(key);
    dispatcher.forget(key);
  };
  /** Sends a task this router submitted to `miners` that do not hold it yet; withdraws it from the others. */
  const dispatchTo = (key: string, miners: readonly number[]) => {
    const p = prompts.get(key);
    if (!p) return;
    const holders = dispatcher.holders(key);
    dispatcher.cancel(
      key,
      holders.filter((id) => !miners.includes(id)),
    );
    dispatcher.dispatch(
      { taskId: key, sessionId: p.sessionId, prompt: p.prompt, promptHash: p.promptHash, maxTokens: p.maxTokens },
      miners.filter((id) => !holders.includes(id)),
    );
  };

  const onStream = (msg: StreamMessage) => {
    if (msg.type === "tokens") {
      // Sealed frames of the encrypted tasks it submitted are opened here; others are relayed as they came.
      for (let i = 0; i < msg.pieces.length; i++) {
        const piece = privacy.piece(msg.taskId, msg.nodeId, msg.index + i, msg.pieces[i]);
        if (piece === undefined) break;
        relay.token(msg.nodeId, msg.taskId, msg.index + i, piece);
      }
    } else if (msg.type === "done") relay.done(msg.nodeId, msg.taskId);
    else dispatcher.declined(msg.nodeId, msg.taskId, msg.message);
  };

  /** Keeps one link per registered, reachable miner; follows endpoint changes; drops unregistered miners. */
  const syncLink = (id: number) => {
    const m = state.miners.get(id);
    const url = m && m.status !== NodeStatus.Unregistered ? streamUrlOf(m.endpoint) : undefined;
    const link = links.get(id);
    if (!m || !url) {
      link?.close();
      links.delete(id);
      pool.setLive(id, false);
      if (!m) pool.remove(id);
      return;
    }
    if (link) return link.setUrl(url);
    links.set(
      id,
      createMinerLink({
        minerNodeId: id,
        minerAccount: m.account as Address,
        url,
        routerNodeId: nodeId,
        sign: (message) => clients.account.signMessage({ message }),
        logger,
        onMessage: onStream,
        onLive: (live) => {
          pool.setLive(id, live);
          if (!live) relay.lost(id);
          else {
            retryWaiting();
            wakeAdmission();
          }
        },
      }),
    );
  };

  const refreshMiner = async (id: number) => {
    const m = state.miners.get(id);
    if (!m) return;
    const node = await getNode(clients.publicClient, { network: deployment.network, nodeId: id }).catch((err) => {
      if (err instanceof NotFoundError) return undefined; // unregistered since
      throw err;
    });
    m.status = node ? NodeStatus[node.status] : NodeStatus.Unregistered;
    m.score = node?.score ?? 0;
    m.speed = node?.speed ?? 0;
    if (m.status === NodeStatus.Unregistered) state.miners.delete(id);
    syncLink(id);
  };

  /**
   * Assigns a Queued task's vacant slots; concurrent calls for one task share one attempt. A task that found too
   * few live miners waits in `waiting` and is retried whenever a miner (re)connects.
   */
  const assigning = new Map<string, Promise<void>>();
  const waiting = new Set<string>();
  const assign = (taskId: bigint): Promise<void> => {
    const key = taskId.toString();
    const running = assigning.get(key);
    if (running) return running;
    const p = assignOnce(taskId)
      .then(() => {
        waiting.delete(key);
      })
      .catch((err) => {
        if (err instanceof AgentError && err.retryable && !state.finals.has(key)) waiting.add(key);
        throw err;
      })
      .finally(() => assigning.delete(key));
    assigning.set(key, p);
    return p;
  };
  const retryWaiting = () => {
    for (const key of waiting) {
      if (state.finals.has(key)) waiting.delete(key);
      else
        void assign(BigInt(key)).catch((err) =>
          logger.debug(`Assign retry task=${key}: ${String(err.message).split("\n")[0]}`),
        );
    }
  };
  const assignOnce = async (taskId: bigint) => {
    const key = taskId.toString();
    const task = await getTask(clients.publicClient, { network: deployment.network, taskId });
    if (task.status !== "Queued") return;
    const session = state.sessions.get(task.sessionId);
    if (!session) return;
    const current = task.slots.map((s) => s.nodeId);
    const vacant = current.filter((id) => id === 0).length;
    pool.release(key); // its own reservation must not count against the miners it was dispatched to
    const picked = pool.pick(state, session, vacant, current, chosen.get(key));
    pool.reserve(key, picked);
    if (picked.length < vacant) {
      throw new AgentError(`Not enough live miners for task ${key}: need ${vacant}, have ${picked.length}`, {
        retryable: true,
      });
    }
    const assigned = assigner.add({ taskId, nodeIds: picked }); // assignMany when several are ready (issue 12)
    dispatchTo(key, picked); // the assignment is on its way: the miners may start now
    if (await assignmentMined(key, assigned, picked)) await privacy.grant(taskId, picked);
  };
  /**
   * Awaits an assignment sent through the batcher: true once mined, false when someone else (the owner, or an
   * earlier attempt) filled the slots first (WrongPhase: nothing left to do); any other failure throws.
   */
  const assignmentMined = async (key: string, sent: Promise<unknown>, picked: number[], how = "") => {
    try {
      await sent;
    } catch (err) {
      if (revertName((err as Error).cause) === "WrongPhase") return false;
      throw err;
    }
    logger.info(`Assigned task=${key} miners=${picked.join(",")}${how}`);
    return true;
  };

  /**
   * The assignment of a house task whose id is predicted, sent right behind its submission (the TxSender simulates
   * against the pending block, which holds the submission), so both usually ride one block: one block less from
   * request to commit. It stands in for `assign` while it runs, so the TaskSubmitted event does not assign again.
   */
  const assignPredicted = (taskId: bigint, picked: number[]): Promise<void> => {
    const key = taskId.toString();
    const sent = assigner.add({ taskId, nodeIds: picked });
    const p = assignmentMined(key, sent, picked, " (with its submission)")
      .then(() => undefined)
      .finally(() => assigning.delete(key));
    assigning.set(key, p);
    p.catch(() => undefined); // its failure is handled where it is awaited (the submission's settlement)
    return p;
  };

  /** Performs the reducer's effects for one batch. Assignments run after the batch, skipping tasks it settled. */
  const apply = async (effects: Effect[], info: BatchInfo) => {
    const toAssign: string[] = [];
    for (const e of effects) {
      switch (e.type) {
        case "minerUpdated":
          syncLink(e.nodeId);
          break;
        case "refreshMiner":
          await refreshMiner(e.nodeId);
          break;
        case "timedOut":
          if (pool.bench(e.nodeId, assignedAt.get(e.taskId) ?? 0))
            logger.warn(`Benched miner node=${e.nodeId}: missed a deadline on task=${e.taskId}`);
          break;
        case "assign":
          toAssign.push(e.taskId);
          break;
        case "assigned":
          if (info.live) {
            assignedAt.set(e.taskId, Date.now());
            relay.assigned(e.taskId, e.miners);
          }
          break;
        case "event":
          emit(e.event);
          break;
        case "settled": {
          const key = e.final.taskId.toString();
          waiting.delete(key);
          assignedAt.delete(key);
          forgetDispatch(key);
          pool.release(key);
          if (e.final.status === "Failed")
            relay.fail(key, "task_failed", `Task ${key} failed on chain (reason ${e.final.failReason})`);
          relay.finish(key);
          events.emit(`final:${key}`, e.final);
          break;
        }
      }
    }
    for (const key of new Set(toAssign)) {
      if (state.finals.has(key)) continue;
      await assign(BigInt(key)).catch((err) =>
        logger.warn(`Assign failed task=${key}: ${String(err.message).split("\n")[0]}`),
      );
    }
  };

  const onLogs = async (logs: NetworkLog[], info: BatchInfo) => {
    const effects: Effect[] = [];
    for (const log of logs) effects.push(...reduce(state, log, { live: info.live, ...self }));
    await apply(effects, info);
    if (admission.waiting()) wakeAdmission(); // a settlement or an offer change may have freed capacity
  };

  /** Sessions the router owns and routes for, one per model, funded from its own balance ("house" sessions). */
  const houseSessions = new Map<string, Promise<number>>();
  const houseSession = (modelId: Hex, cfg: HouseConfig): Promise<number> => {
    const key = `${modelId}:${cfg.redundancy}:${cfg.encrypted ?? false}`;
    let p = houseSessions.get(key);
    if (!p) {
      p = openHouseSession(modelId, cfg);
      houseSessions.set(key, p);
      p.catch(() => houseSessions.delete(key));
    }
    return p;
  };
  const openHouseSession = async (modelId: Hex, cfg: HouseConfig): Promise<number> => {
    // A restarted router reuses its open house session: wait until the replay has rebuilt the session list.
    await follower.caughtUp;
    for (const [id, s] of [...state.sessions].reverse()) {
      if (
        s.owner.toLowerCase() === self.account.toLowerCase() &&
        s.modelId === modelId &&
        s.routerId === nodeId &&
        s.redundancy === cfg.redundancy
      ) {
        const full = await getSession(clients.publicClient, { network: deployment.network, sessionId: id });
        if (full.status === "Open" && full.encrypted === Boolean(cfg.encrypted)) {
          logger.info(`Reusing house session=${id} model=${modelId.slice(0, 10)}…`);
          return id;
        }
      }
    }
    // The SDK action approves the deposit when the allowance is short (simulated first), then creates the session.
    const { sessionId: id } = await createSession(tx.client, {
      network: tx.network,
      ...houseSessionInput(modelId, cfg, nodeId),
      deposit: cfg.deposit,
    });
    logger.info(`Opened house session=${id} model=${modelId.slice(0, 10)}… R=${cfg.redundancy}`);
    return id;
  };

  /**
   * Admission (backpressure, admission.ts): a task is submitted only when R live miners have capacity left on their
   * on-chain Offers (counting this router's assignments not mined yet); the picks are reserved before anything is
   * awaited, so a burst cannot oversubscribe a miner. Too few live miners: refused at once.
   */
  let tickets = 0;
  const admission = createAdmission({ timeoutMs: opts.admitTimeoutMs, maxWaiting: opts.maxWaiting });
  const wakeAdmission = admission.wake;
  const admit = (sessionId: number, session: SessionView, ticket: string): Promise<number[]> =>
    admission.admit(
      () => {
        const picked = pool.pick(state, session, session.redundancy);
        if (picked.length >= session.redundancy) {
          pool.reserve(ticket, picked);
          return { picked };
        }
        const live = pool.liveFor(state, session);
        if (live < session.redundancy)
          return {
            refuse: `Could not assign a task of session ${sessionId}: ${live} of ${session.redundancy} miners live`,
          };
        return undefined;
      },
      (waiting) =>
        `Could not assign a task of session ${sessionId}: every live miner is at its offered capacity (${waiting} requests waiting)`,
    );

  /** A submission's revert, as the API reads it: `submit session=… reverted: <ErrorName>` (the SDK's decoded error). */
  const submitFailed =
    (sessionId: number) =>
    (err: unknown): never => {
      const name = revertName(err);
      if (name) throw new AgentError(`submit session=${sessionId} reverted: ${name}`, { cause: err, retryable: false });
      throw err;
    };
  /** Simulates a submission: a revert (deposit, authorization, session) surfaces before anything is sent. */
  const checkSubmit = async (args: readonly [number, Hex, string, number]) => {
    await clients.publicClient
      .simulateContract({
        address: deployment.network,
        abi: iCorNetworkAbi,
        functionName: "submitTask",
        args,
        account: clients.account,
      })
      .catch(submitFailed(args[0]));
  };

  /**
   * Uploads the prompt, submits it to `sessionId` and assigns miners. In a plaintext house session (only this
   * router submits to it) the task id is predicted and the chosen miners get the task at once over their links
   * (speculative start, dispatch.ts), while the submission and the assignment are mined. With `early`, it
   * returns as soon as that is under way (a stream can start); `settled` resolves once the task is submitted and
   * assigned on chain. Otherwise it returns after that, with the task id the chain gave.
   */
  const submit = async (
    sessionId: number,
    prompt: string,
    maxTokens: number,
    options: { early?: boolean } = {},
  ): Promise<{ taskId: bigint; promptCid: string; settled: Promise<void> }> => {
    // No live miners for it: refuse before anything goes on chain (no orphan task, no escrow held).
    const session = state.sessions.get(sessionId);
    const routed = session !== undefined && routesFor(state, sessionId, self);
    const ticket = `submit:${++tickets}`;
    const picked = session && routed ? await admit(sessionId, session, ticket) : [];
    try {
      return await submitAdmitted(sessionId, prompt, maxTokens, options, picked, ticket);
    } catch (err) {
      pool.release(ticket);
      throw err;
    }
  };
  /** Submissions whose submit/assign transactions are not mined yet (a speculative stream may already be open). */
  const settling = new Set<Promise<unknown>>();
  const submitAdmitted = async (
    sessionId: number,
    prompt: string,
    maxTokens: number,
    options: { early?: boolean },
    picked: number[],
    ticket: string,
  ): Promise<{ taskId: bigint; promptCid: string; settled: Promise<void> }> => {
    const session = state.sessions.get(sessionId);
    const routed = session !== undefined && routesFor(state, sessionId, self);
    const bytes = new TextEncoder().encode(prompt);
    const { stored, taskKey } = await privacy.seal(sessionId, bytes);
    const { cid } = await store.add(stored);
    const promptHash = contentHash(bytes);
    const args = [sessionId, promptHash, cid, maxTokens] as const;
    const house = routed && !taskKey && session.owner.toLowerCase() === self.account.toLowerCase();
    if (house) await Promise.all([checkSubmit(args), predictor.prepare(sessionId)]);
    // From here to writeContract nothing is awaited: the predicted id follows the order of the transaction queue.
    const predicted = house ? predictor.next(sessionId) : undefined;
    const mined = tx.client.writeContract({
      address: deployment.network,
      abi: iCorNetworkAbi,
      functionName: "submitTask",
      args,
    });
    const known: KnownPrompt = { sessionId, prompt, promptHash, maxTokens };
    let early: Promise<void> | undefined;
    if (predicted !== undefined) {
      const key = predicted.toString();
      pool.reserve(key, picked);
      pool.release(ticket);
      relay.track(key);
      prompts.set(key, known);
      chosen.set(key, picked);
      early = assignPredicted(predicted, picked);
      dispatchTo(key, picked);
    }
    const settled = (async () => {
      let taskId: bigint | undefined;
      try {
        const receipt = await tx.client.waitForTransactionReceipt({ hash: await mined.catch(submitFailed(sessionId)) });
        [{ taskId }] = parseEventLogs({ abi: iCorNetworkAbi, logs: receipt.logs, eventName: "TaskSubmitted" }).map(
          (l) => l.args,
        );
      } finally {
        if (predicted !== undefined) predictor.settled(sessionId, predicted, taskId);
      }
      const key = taskId.toString();
      if (predicted !== undefined && predicted !== taskId) {
        forgetDispatch(predicted.toString());
        throw new AgentError(`Task ${key} was submitted under another id than the predicted ${predicted}`);
      }
      if (predicted === undefined && picked.length) {
        pool.reserve(key, picked);
        chosen.set(key, picked);
      }
      pool.release(ticket);
      relay.track(key);
      privacy.remember(taskId, taskKey);
      if (predicted === undefined && prompts.size < 10_000) prompts.set(key, known);
      // The assignment sent with the submission (predicted id) is mined with it or shortly after; if it failed
      // (e.g. the submission itself failed), assign the usual way.
      const assignedEarly = early ? await early.then(() => true).catch(() => false) : false;
      if (!assignedEarly && (routed || state.sessions.get(sessionId)?.assignment === AssignmentMode.Router)) {
        await assign(taskId).catch((err) => {
          pool.release(key); // a retry (a miner reconnecting) reserves again
          throw new NoMinersError(`Could not assign task ${taskId}: ${String(err.message).split("\n")[0]}`, {
            taskId,
            cause: err,
          });
        });
      }
      return taskId;
    })();
    settling.add(settled);
    void settled.catch(() => undefined).finally(() => settling.delete(settled));
    if (predicted !== undefined) {
      const key = predicted.toString();
      settled.catch((err) => {
        // Nothing held for it may outlive the failure: dispatches, the prompt, the reservation, the relay log.
        dispatcher.cancel(key);
        forgetDispatch(key);
        pool.release(key);
        relay.fail(key, "submit_failed", String((err as Error).message).split("\n")[0]);
        relay.finish(key);
      });
      if (options.early) return { taskId: predicted, promptCid: cid, settled: settled.then(() => undefined) };
    }
    const taskId = await settled;
    return { taskId, promptCid: cid, settled: Promise.resolve() };
  };

  /** Fetches a finalized result's text from IPFS and checks it against the on-chain hash. */
  const withText = async (final: FinalResult): Promise<FinalResult> => {
    if (final.status !== "Finalized" || !final.resultCid || final.text !== undefined) return final;
    const bytes = await privacy.open(final.taskId, await store.get(final.resultCid, { timeoutMs: 15_000 }));
    if (contentHash(bytes) !== final.resultHash)
      throw new AgentError(`Result of task ${final.taskId} does not match its on-chain hash`);
    final.text = new TextDecoder().decode(bytes);
    return final;
  };

  /** Resolves when the task is Finalized or Failed; fetches and verifies the accepted text. */
  const waitFinal = (taskId: bigint, timeoutMs: number): Promise<FinalResult> =>
    new Promise((resolve, reject) => {
      const key = taskId.toString();
      const done = (final: FinalResult) => {
        clearTimeout(timer);
        withText(final).then(resolve, reject);
      };
      const timer = setTimeout(() => {
        events.off(`final:${key}`, done);
        reject(new AgentError(`Task ${key} not final after ${timeoutMs} ms`, { retryable: true }));
      }, timeoutMs);
      const known = state.finals.get(key);
      if (known) done(known);
      else events.once(`final:${key}`, done);
    });

  /** The final result of a task (with its verified text) if the chain has settled it, else undefined. */
  const resultOf = async (taskId: bigint): Promise<FinalResult | undefined> => {
    const known = state.finals.get(taskId.toString());
    return known ? withText(known) : undefined;
  };

  const follower = followEvents(clients, { fromBlock: BigInt(deployment.startBlock), logger, intervalMs: 100, onLogs });

  return {
    events,
    state,
    pool,
    relay,
    /** Tokens relayed so far for a task (a late subscriber starts from these). */
    tokenLog: (taskId: string) => relay.log(taskId),
    get models() {
      return state.models;
    },
    get sessions() {
      return state.sessions;
    },
    miners: () => pool.view(state),
    liveMiners: () => pool.liveCount(state),
    houseSession,
    submit,
    waitFinal,
    resultOf,
    /** The client the HTTP API reads the chain with (SDK read actions). */
    client: clients.publicClient,
    startedAt,
    caughtUp: follower.caughtUp,
    /**
     * Waits (at most `timeoutMs`) until every accepted submission's submit and assign transactions are mined: a
     * stream that started speculatively must not outlive a router that never put its task on chain.
     */
    drain: async (timeoutMs: number): Promise<void> => {
      const deadline = Date.now() + timeoutMs;
      while (settling.size && Date.now() < deadline) {
        await Promise.race([
          Promise.allSettled([...settling]),
          new Promise((r) => setTimeout(r, Math.max(1, deadline - Date.now()))),
        ]);
      }
    },
    /** Ends every open relayed stream with an error (the router is stopping), then stops. */
    /** Ends every open relayed stream with an error event, stops following the chain; returns the ended tasks. */
    stop: (): string[] => {
      const open = relay.openTasks();
      for (const key of open) relay.fail(key, "router_stopping", `Router stopping; task ${key} continues on chain`);
      follower.stop();
      for (const link of links.values()) link.close();
      links.clear();
      return open;
    },
  };
};
export type RouterCore = ReturnType<typeof createRouterCore>;

/** The config of a house session: the one place that builds it (SessionConfigInput for the SDK's createSession). */
export const houseSessionInput = (modelId: Hex, cfg: HouseConfig, routerId: number): SessionConfigInput => ({
  modelId,
  redundancy: cfg.redundancy,
  validation: cfg.validation,
  assignment: "Router",
  pricePerToken: cfg.price,
  maxTokens: cfg.maxTokens,
  windows: { precommit: cfg.windowSeconds, reveal: cfg.windowSeconds, attest: cfg.windowSeconds },
  routerId,
  encrypted: cfg.encrypted ?? false,
});
