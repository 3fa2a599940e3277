import { type Address, erc20Abi, type Hex, maxUint256, parseEther } from "viem";
import type { EncryptionKeys } from "../../../sdk/src/crypto/keys.ts";
import type { Deployment } from "../../../sdk/src/deployments.ts";
import { AssignmentMode, contentHash, NodeStatus, TaskStatus, ValidationMode } from "../../../sdk/src/protocol.ts";
import type { ContentStore } from "../../../sdk/src/storage/index.ts";
import { toSessionConfig } from "../../../sdk/src/utils/sessionConfig.ts";
import { batchWindowFromEnv, createAssignBatcher } from "../shared/batch.ts";
import {
  type BatchInfo,
  type Clients,
  eventArgs,
  followEvents,
  type NetworkLog,
  networkReader,
  type TxSender,
} from "../shared/chain.ts";
import { AgentError, revertName } from "../shared/errors.ts";
import { createSafeEmitter } from "../shared/events.ts";
import type { Logger } from "../shared/logger.ts";
import type { StreamMessage } from "../shared/stream.ts";
import { createMinerLink, type MinerLink, streamUrlOf } from "./link.ts";
import { createMinerPool } from "./pool.ts";
import { createRouterPrivacy } from "./privacy.ts";
import { createStreamRelay } from "./relay.ts";
import { type Effect, emptyState, type FinalResult, reduce, routesFor, type TaskEvent } from "./state.ts";

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

  const read = networkReader(clients);

  const onStream = (msg: StreamMessage) => {
    if (msg.type === "token") {
      // Sealed frames of the encrypted tasks it submitted are opened here; others are relayed as they came.
      const piece = privacy.piece(msg.taskId, msg.nodeId, msg.index, msg.piece);
      if (piece !== undefined) relay.token(msg.nodeId, msg.taskId, msg.index, piece);
    } else relay.done(msg.nodeId, msg.taskId);
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
          else retryWaiting();
        },
      }),
    );
  };

  const refreshMiner = async (id: number) => {
    const m = state.miners.get(id);
    if (!m) return;
    const node = await read<{ status: number; score: number; speed: number }>("getNode", [id]);
    m.status = Number(node.status);
    m.score = Number(node.score);
    m.speed = Number(node.speed);
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
    const task = await read<{ status: number; miners: readonly number[]; sessionId: number }>("getTask", [taskId]);
    if (task.status !== TaskStatus.Queued) return;
    const session = state.sessions.get(Number(task.sessionId));
    if (!session) return;
    const current = task.miners.map(Number);
    const vacant = current.filter((id) => id === 0).length;
    const picked = pool.pick(state, session.modelId, vacant, current, session.minReputation);
    if (picked.length < vacant) {
      throw new AgentError(`Not enough live miners for task ${key}: need ${vacant}, have ${picked.length}`, {
        retryable: true,
      });
    }
    try {
      await assigner.add({ taskId, nodeIds: picked }); // assignMany when several are ready (issue 12)
    } catch (err) {
      // Someone else (the owner, or an earlier attempt) filled the slots first: nothing left to do.
      if (revertName((err as Error).cause) === "WrongPhase") return;
      throw err;
    }
    logger.info(`Assigned task=${key} miners=${picked.join(",")}`);
    await privacy.grant(taskId, picked);
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
        const full = await read<{ status: number; encrypted: boolean }>("getSession", [id]);
        if (Number(full.status) === 1 && Boolean(full.encrypted) === Boolean(cfg.encrypted)) {
          logger.info(`Reusing house session=${id} model=${modelId.slice(0, 10)}…`);
          return id;
        }
      }
    }
    const allowance = await clients.publicClient.readContract({
      address: deployment.token,
      abi: erc20Abi,
      functionName: "allowance",
      args: [clients.account.address, deployment.network],
    });
    if (allowance < cfg.deposit)
      await tx.writeTo(deployment.token, erc20Abi, "approve", [deployment.network, maxUint256], "approve");
    const hash = await tx.write(
      "createSession",
      [houseSessionConfig(modelId, cfg, nodeId), cfg.deposit],
      "create house session",
    );
    const receipt = await clients.publicClient.getTransactionReceipt({ hash });
    const id = Number(eventArgs(receipt.logs, "SessionCreated").sessionId);
    logger.info(`Opened house session=${id} model=${modelId.slice(0, 10)}… R=${cfg.redundancy}`);
    return id;
  };

  /** Uploads the prompt, submits it to `sessionId`, assigns miners right away and returns the task id. */
  const submit = async (
    sessionId: number,
    prompt: string,
    maxTokens: number,
  ): Promise<{ taskId: bigint; promptCid: string }> => {
    // No live miners for it: refuse before anything goes on chain (no orphan task, no escrow held).
    const session = state.sessions.get(sessionId);
    if (session && routesFor(state, sessionId, self)) {
      const live = pool.pick(state, session.modelId, session.redundancy, [], session.minReputation).length;
      if (live < session.redundancy) {
        throw new AgentError(
          `Could not assign a task of session ${sessionId}: ${live} of ${session.redundancy} miners live`,
          { retryable: true },
        );
      }
    }
    const bytes = new TextEncoder().encode(prompt);
    const { stored, taskKey } = await privacy.seal(sessionId, bytes);
    const { cid } = await store.add(stored);
    const hash = await tx.write(
      "submitTask",
      [sessionId, contentHash(bytes), cid, maxTokens],
      `submit session=${sessionId}`,
    );
    const receipt = await clients.publicClient.getTransactionReceipt({ hash });
    const taskId = eventArgs(receipt.logs, "TaskSubmitted").taskId as bigint;
    relay.track(taskId.toString());
    privacy.remember(taskId, taskKey);
    if (routesFor(state, sessionId, self) || state.sessions.get(sessionId)?.assignment === AssignmentMode.Router) {
      await assign(taskId).catch((err) => {
        throw new AgentError(`Could not assign task ${taskId}: ${String(err.message).split("\n")[0]}`, { cause: err });
      });
    }
    return { taskId, promptCid: cid };
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
    read,
    startedAt,
    caughtUp: follower.caughtUp,
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

/** The config of a house session: the one place that builds it (the ABI's SessionConfig). */
export const houseSessionConfig = (modelId: Hex, cfg: HouseConfig, routerId: number) =>
  toSessionConfig({
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

export { eventArgs, parseEther, ValidationMode };
