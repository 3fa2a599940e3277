import { EventEmitter } from "node:events";
import { type Hex, decodeEventLog, erc20Abi, maxUint256, parseEther } from "viem";
import WebSocket from "ws";
import type { Deployment } from "../../../sdk/src/deployments.ts";
import { AssignmentMode, NodeStatus, Role, TaskStatus, ValidationMode, contentHash } from "../../../sdk/src/protocol.ts";
import type { ContentStore } from "../../../sdk/src/storage/index.ts";
import type { StreamMessage } from "../miner/index.ts";
import { type Clients, type NetworkLog, type TxSender, followEvents, networkAbi } from "../shared/chain.ts";
import { AgentError } from "../shared/errors.ts";
import type { Logger } from "../shared/logger.ts";

export type MinerInfo = {
  nodeId: number;
  account: string;
  endpoint: string;
  models: Hex[];
  live: boolean;
  load: number;
  score: number;
  speed: number;
  status: number;
  /** A miner that just missed a deadline is not picked again until this time (ms). */
  benchedUntil: number;
};

export type TaskEvent =
  | { type: "token"; taskId: string; nodeId: number; index: number; piece: string }
  | { type: "status"; taskId: string; status: string; detail?: Record<string, unknown> };

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

/**
 * The router's view of the network and its scheduling: miners (from registry events + reads), their live stream
 * connections and load, sessions it routes for, and per-task token streams (the fastest miner wins the stream).
 */
export const createRouterCore = (opts: {
  clients: Clients;
  tx: TxSender;
  store: ContentStore;
  logger: Logger;
  nodeId: number;
}) => {
  const { clients, tx, store, logger, nodeId } = opts;
  const deployment: Deployment = clients.deployment;
  const events = new EventEmitter();
  events.setMaxListeners(0);
  const miners = new Map<number, MinerInfo>();
  const sockets = new Map<number, WebSocket>();
  const models = new Map<string, Hex>(); // name → id
  const sessions = new Map<number, { owner: string; routerId: number; assignment: number; modelId: Hex; redundancy: number; minReputation: number }>();
  const assigned = new Set<string>();
  const streamSource = new Map<string, number>(); // task → node id whose tokens are relayed
  const reveals = new Map<string, Map<number, { cid: string; tokens: number; hash: Hex }>>();
  const finals = new Map<string, FinalResult>();
  /** Relayed tokens per open task, so a client that subscribes late still gets the whole stream. */
  const tokenLog = new Map<string, TaskEvent[]>();
  const startedAt = Date.now();

  const read = <T>(functionName: string, args: readonly unknown[]) =>
    clients.publicClient.readContract({ address: deployment.network, abi: networkAbi, functionName, args } as never) as Promise<T>;

  const connect = (m: MinerInfo) => {
    if (sockets.has(m.nodeId) || !m.endpoint.startsWith("http")) return;
    const url = `${m.endpoint.replace(/^http/, "ws")}/stream`;
    const ws = new WebSocket(url);
    sockets.set(m.nodeId, ws);
    ws.on("open", () => {
      m.live = true;
      logger.debug(`Connected miner node=${m.nodeId} ${url}`);
    });
    ws.on("message", (data) => {
      const msg = JSON.parse(String(data)) as StreamMessage;
      if (msg.type !== "token") return;
      // Optimistic streaming: the first miner to produce a task's first token is the one relayed.
      const source = streamSource.get(msg.taskId);
      if (source === undefined) streamSource.set(msg.taskId, msg.nodeId);
      else if (source !== msg.nodeId) return;
      const event = { type: "token", taskId: msg.taskId, nodeId: msg.nodeId, index: msg.index, piece: msg.piece } satisfies TaskEvent;
      if (!tokenLog.has(msg.taskId)) tokenLog.set(msg.taskId, []);
      tokenLog.get(msg.taskId)?.push(event);
      events.emit(`task:${msg.taskId}`, event);
    });
    const drop = () => {
      m.live = false;
      sockets.delete(m.nodeId);
    };
    ws.on("close", drop);
    ws.on("error", drop);
  };

  const refreshMiner = async (id: number) => {
    const m = miners.get(id);
    if (!m) return;
    const node = await read<{ status: number; score: number; speed: number }>("getNode", [id]);
    m.status = Number(node.status);
    m.score = Number(node.score);
    m.speed = Number(node.speed);
    if (m.status === NodeStatus.Unregistered) {
      sockets.get(id)?.terminate();
      miners.delete(id);
    }
  };

  /** Eligible, live miners for a model ranked by load (asc), reputation (desc), token speed (desc). */
  const pickMiners = (modelId: Hex, count: number, exclude: number[], minReputation: number): number[] => {
    const ranked = [...miners.values()]
      .filter((m) => m.status === NodeStatus.Active && m.live && m.models.includes(modelId) && m.benchedUntil < Date.now())
      .filter((m) => m.score >= minReputation && !exclude.includes(m.nodeId))
      .sort((a, b) => a.load - b.load || b.score - a.score || b.speed - a.speed);
    return ranked.slice(0, count).map((m) => m.nodeId);
  };

  /** Assigns a Queued task's vacant slots; concurrent calls for one task share one attempt. */
  const assigning = new Map<string, Promise<void>>();
  const assign = (taskId: bigint): Promise<void> => {
    const key = taskId.toString();
    const running = assigning.get(key);
    if (running) return running;
    const p = assignOnce(taskId).finally(() => assigning.delete(key));
    assigning.set(key, p);
    return p;
  };
  const assignOnce = async (taskId: bigint) => {
    const key = taskId.toString();
    const task = await read<{ status: number; miners: readonly number[]; sessionId: number }>("getTask", [taskId]);
    if (task.status !== TaskStatus.Queued) return;
    const session = sessions.get(Number(task.sessionId));
    if (!session) return;
    const current = task.miners.map(Number);
    const vacant = current.filter((id) => id === 0).length;
    const picked = pickMiners(session.modelId, vacant, current, session.minReputation);
    if (picked.length < vacant) {
      logger.warn(`Not enough live miners task=${key} need=${vacant} have=${picked.length}`);
      return;
    }
    try {
      await tx.write("assignTask", [taskId, picked], `assign task=${key}`);
    } catch (err) {
      // Someone else (the owner, or an earlier attempt) filled the slots first: nothing left to do.
      if (/WrongPhase/.test(String((err as Error).message))) return;
      throw err;
    }
    for (const id of picked) {
      const m = miners.get(id);
      if (m) m.load++;
    }
    assigned.add(key);
    logger.info(`Assigned task=${key} miners=${picked.join(",")}`);
  };

  const routesFor = (sessionId: number) => {
    const s = sessions.get(sessionId);
    if (!s || s.assignment !== AssignmentMode.Router) return false;
    return s.routerId === nodeId || s.owner.toLowerCase() === clients.account.address.toLowerCase();
  };

  const settle = (key: string, final: FinalResult) => {
    finals.set(key, final);
    const task = reveals.get(key);
    if (task) {
      for (const id of task.keys()) {
        const m = miners.get(id);
        if (m && m.load > 0) m.load--;
      }
    }
    events.emit(`task:${key}`, { type: "status", taskId: key, status: final.status, detail: final as unknown as Record<string, unknown> } satisfies TaskEvent);
    events.emit(`final:${key}`, final);
    setTimeout(() => {
      tokenLog.delete(key);
      streamSource.delete(key);
    }, 60_000).unref();
  };

  const onLogs = async (logs: NetworkLog[]) => {
    for (const log of logs) {
      const a = log.args;
      const key = a.taskId !== undefined ? String(a.taskId) : "";
      switch (log.eventName) {
        case "ModelRegistered":
          models.set(a.name as string, a.modelId as Hex);
          break;
        case "NodeRegistered":
          if (Number(a.role) === Role.Miner) {
            const m: MinerInfo = {
              nodeId: Number(a.nodeId),
              account: a.account as string,
              endpoint: a.endpoint as string,
              models: [...(a.models as Hex[])],
              live: false,
              load: 0,
              score: Number(a.score),
              speed: 0,
              status: NodeStatus.Active,
              benchedUntil: 0,
            };
            miners.set(m.nodeId, m);
            connect(m);
          }
          break;
        case "NodeUpdated": {
          const m = miners.get(Number(a.nodeId));
          if (m && m.endpoint !== a.endpoint) {
            m.endpoint = a.endpoint as string;
            sockets.get(m.nodeId)?.terminate();
            sockets.delete(m.nodeId);
            connect(m);
          }
          break;
        }
        case "ExitRequested":
        case "NodeUnregistered":
        case "NodeJailed":
        case "NodeUnjailed":
        case "NodeSlashed":
          await refreshMiner(Number(a.nodeId));
          break;
        case "WorkSettled": {
          const m = miners.get(Number(a.nodeId));
          if (m) {
            m.score = Number(a.score);
            m.speed = Number(a.speed);
            if (Number(a.outcome) !== 0 && m.load > 0) m.load--;
            if (Number(a.outcome) === 2) m.benchedUntil = Date.now() + 120_000; // timed out: bench it
          }
          break;
        }
        case "SessionCreated": {
          const c = a.config as { assignment: number; routerId: number; modelId: Hex; redundancy: number; minReputation: number };
          sessions.set(Number(a.sessionId), {
            owner: a.owner as string,
            routerId: Number(c.routerId),
            assignment: Number(c.assignment),
            modelId: c.modelId,
            redundancy: Number(c.redundancy),
            minReputation: Number(c.minReputation),
          });
          break;
        }
        case "SessionRouterChanged": {
          const s = sessions.get(Number(a.sessionId));
          if (s) s.routerId = Number(a.routerId);
          break;
        }
        case "TaskSubmitted":
          events.emit(`task:${key}`, { type: "status", taskId: key, status: "Queued" } satisfies TaskEvent);
          break;
        case "TaskPhaseChanged": {
          const status = Number(a.status);
          events.emit(`task:${key}`, { type: "status", taskId: key, status: statusName(status) } satisfies TaskEvent);
          if (status === TaskStatus.Queued && routesFor(Number(BigInt(key) >> 32n)) && !finals.has(key)) {
            await assign(BigInt(key)).catch((err) => logger.warn(`Assign failed task=${key}: ${String(err.message).split("\n")[0]}`));
          }
          break;
        }
        case "TaskAssigned":
          events.emit(`task:${key}`, { type: "status", taskId: key, status: "Assigned", detail: { miners: (a.miners as number[]).map(Number) } } satisfies TaskEvent);
          break;
        case "TaskRevealed": {
          if (!reveals.has(key)) reveals.set(key, new Map());
          reveals.get(key)?.set(Number(a.nodeId), { cid: a.resultCid as string, tokens: Number(a.tokens), hash: a.resultHash as Hex });
          break;
        }
        case "TaskFinalized": {
          const winner = Number(a.winnerNodeId);
          const r = reveals.get(key)?.get(winner);
          settle(key, {
            taskId: BigInt(key),
            sessionId: Number(a.sessionId),
            status: "Finalized",
            resultHash: a.resultHash as Hex,
            resultCid: r?.cid,
            winnerNodeId: winner,
            tokens: r?.tokens,
          });
          break;
        }
        case "TaskFailed":
          settle(key, { taskId: BigInt(key), sessionId: Number(a.sessionId), status: "Failed", failReason: Number(a.reason) });
          break;
      }
    }
  };

  /** Sessions the router owns and routes for, one per model, funded from its own balance ("house" sessions). */
  const houseSessions = new Map<string, number>();
  const houseSession = async (modelId: Hex, cfg: { redundancy: number; validation: number; deposit: bigint; price: bigint; maxTokens: number }) => {
    const existing = houseSessions.get(modelId);
    if (existing) return existing;
    for (const [id, s] of sessions) {
      if (s.owner.toLowerCase() === clients.account.address.toLowerCase() && s.modelId === modelId && s.routerId === nodeId && s.redundancy === cfg.redundancy) {
        const full = await read<{ status: number }>("getSession", [id]);
        if (Number(full.status) === 1) {
          houseSessions.set(modelId, id);
          return id;
        }
      }
    }
    const allowance = await clients.publicClient.readContract({ address: deployment.token, abi: erc20Abi, functionName: "allowance", args: [clients.account.address, deployment.network] });
    if (allowance < cfg.deposit) await tx.writeTo(deployment.token, erc20Abi, "approve", [deployment.network, maxUint256], "approve");
    const hash = await tx.write("createSession", [
      {
        modelId,
        redundancy: cfg.redundancy,
        validation: cfg.validation,
        assignment: AssignmentMode.Router,
        pricePerToken: cfg.price,
        maxTokens: cfg.maxTokens,
        minReputation: 0,
        threshold: 8000,
        quorum: 1,
        retryLimit: 2,
        precommitWindow: 30,
        revealWindow: 30,
        attestWindow: 30,
        routerId: nodeId,
        dedicatedMiners: [],
      },
      cfg.deposit,
    ], "create house session");
    const receipt = await clients.publicClient.getTransactionReceipt({ hash });
    const id = Number(eventArgs(receipt.logs, "SessionCreated").sessionId);
    houseSessions.set(modelId, id);
    logger.info(`Opened house session=${id} model=${modelId.slice(0, 10)}… R=${cfg.redundancy}`);
    return id;
  };

  /** Uploads the prompt, submits it to `sessionId`, assigns miners right away and returns the task id. */
  const submit = async (sessionId: number, prompt: string, maxTokens: number): Promise<{ taskId: bigint; promptCid: string }> => {
    const bytes = new TextEncoder().encode(prompt);
    const { cid } = await store.add(bytes);
    const hash = await tx.write("submitTask", [sessionId, contentHash(bytes), cid, maxTokens], `submit session=${sessionId}`);
    const receipt = await clients.publicClient.getTransactionReceipt({ hash });
    const taskId = eventArgs(receipt.logs, "TaskSubmitted").taskId as bigint;
    if (routesFor(sessionId) || sessions.get(sessionId)?.assignment === AssignmentMode.Router) {
      await assign(taskId).catch((err) => {
        throw new AgentError(`Could not assign task ${taskId}: ${String(err.message).split("\n")[0]}`, { cause: err });
      });
    }
    return { taskId, promptCid: cid };
  };

  /** Resolves when the task is Finalized or Failed; fetches and verifies the accepted text. */
  const waitFinal = (taskId: bigint, timeoutMs: number): Promise<FinalResult> =>
    new Promise((resolve, reject) => {
      const key = taskId.toString();
      const done = async (final: FinalResult) => {
        clearTimeout(timer);
        if (final.status === "Finalized" && final.resultCid && final.text === undefined) {
          try {
            const bytes = await store.get(final.resultCid, { timeoutMs: 15_000 });
            if (contentHash(bytes) !== final.resultHash) throw new AgentError(`Result of task ${key} does not match its on-chain hash`);
            final.text = new TextDecoder().decode(bytes);
          } catch (err) {
            reject(err);
            return;
          }
        }
        resolve(final);
      };
      const timer = setTimeout(() => {
        events.off(`final:${key}`, done);
        reject(new AgentError(`Task ${key} not final after ${timeoutMs} ms`, { retryable: true }));
      }, timeoutMs);
      const known = finals.get(key);
      if (known) void done(known);
      else events.once(`final:${key}`, done);
    });

  const follower = followEvents(clients, { fromBlock: BigInt(deployment.startBlock), logger, intervalMs: 100, onLogs });

  return {
    events,
    tokenLog,
    miners,
    models,
    sessions,
    houseSession,
    submit,
    waitFinal,
    read,
    startedAt,
    stop: () => {
      follower.stop();
      for (const ws of sockets.values()) ws.terminate();
    },
  };
};
export type RouterCore = ReturnType<typeof createRouterCore>;

const statusName = (status: number) => Object.entries(TaskStatus).find(([, v]) => v === status)?.[0] ?? "Unknown";

export const eventArgs = (logs: readonly { data: Hex; topics: readonly Hex[] }[], eventName: string): Record<string, unknown> => {
  for (const log of logs) {
    try {
      const decoded = decodeEventLog({ abi: networkAbi, data: log.data, topics: log.topics as [Hex, ...Hex[]] });
      if (decoded.eventName === eventName) return decoded.args as Record<string, unknown>;
    } catch {
      // not one of ours (e.g. a token Transfer)
    }
  }
  throw new AgentError(`Receipt has no ${eventName} event`);
};

export { ValidationMode, parseEther };
