import { randomBytes } from "node:crypto";
import { join } from "node:path";
import {
  AssignmentMode,
  claimTask,
  contentHash,
  getNode,
  getSession,
  getTask,
  getTaskLogs,
  NotFoundError,
  TaskStatus,
} from "@cor-network/sdk";
import { loadDeployment } from "@cor-network/sdk/node";
import { createContentStore } from "@cor-network/sdk/storage";
import { type Hex, parseEther, toHex } from "viem";
import {
  createInferenceEngine,
  type InferenceEngine,
  resolveModelPath,
  type SamplingParams,
  samplingFromConfig,
} from "../inference/index.ts";
import { createResultBatchers } from "../shared/batch.ts";
import { createClients, createTxSender, followEvents, type NetworkLog } from "../shared/chain.ts";
import { readConfig } from "../shared/config.ts";
import { AgentError } from "../shared/errors.ts";
import { startHttpServer } from "../shared/health.ts";
import { openJournal } from "../shared/journal.ts";
import { loadNodeKeys } from "../shared/keys.ts";
import { createLogger } from "../shared/logger.ts";
import { ensureRegistered, nodeIdOfAccount } from "../shared/node.ts";
import { samplingOfSession } from "../shared/sampling.ts";
import { assignmentStepOf, type MinerBehavior, routerRefusal, shouldClaim } from "./assignment.ts";
import { createMinerDispatch } from "./dispatch.ts";
import { createMinerPrivacy } from "./privacy.ts";
import {
  type CommitJournals,
  createRevealHandler,
  forgetCommitment,
  journalCommitted,
  journalRoot,
  type Pending,
  type RootRecord,
  sweepRoots,
} from "./reveal.ts";
import { createStreamServer } from "./stream.ts";

export type { MinerBehavior } from "./assignment.ts";

export const minerConfigSpec = {
  rpcUrl: {
    env: "COR_RPC_URL",
    description: "JSON-RPC URL of the chain",
    default: "http://127.0.0.1:8545",
    parse: "url",
  },
  privateKey: {
    env: "COR_PRIVATE_KEY",
    description: "the miner account's private key",
    required: true,
    parse: "hex32",
  },
  deployment: { env: "COR_DEPLOYMENT", description: "deployment JSON file or chain id", default: "31337" },
  model: { env: "COR_MODEL", description: "GGUF path or hf: URI (default: ../shared/models/stories260K.gguf)" },
  threads: { env: "COR_THREADS", description: "llama.cpp threads", default: "1", parse: "int" },
  concurrency: { env: "COR_CONCURRENCY", description: "generations at once", default: "1", parse: "int" },
  batchMs: {
    env: "COR_BATCH_MS",
    description: "collect commits/reveals this long into one commitRoot/revealRoot (0 = off)",
    default: "250",
    parse: "int",
  },
  port: { env: "COR_PORT", description: "HTTP port for /health and the /stream WebSocket", default: "0", parse: "int" },
  host: { env: "COR_HOST", description: "bind address", default: "127.0.0.1" },
  dataDir: { env: "COR_DATA_DIR", description: "journal + keys directory", default: ".data/miner" },
  ipfsApi: { env: "COR_IPFS_API", description: "Kubo RPC URL (default: embedded store)" },
  ipfsDir: { env: "COR_IPFS_DIR", description: "embedded IPFS block directory", default: ".data/ipfs" },
  stake: { env: "COR_STAKE", description: "stake in COR when registering", default: "1000" },
  minPrice: { env: "COR_MIN_PRICE", description: "offer: minimum price per output token in COR", default: "0" },
  capacity: { env: "COR_CAPACITY", description: "offer: open tasks at once", default: "32", parse: "int" },
  modes: {
    env: "COR_MODES",
    description: "offer: assignment modes accepted (Router,Claim,Dedicated)",
    default: "Router,Claim,Dedicated",
  },
  behavior: { env: "COR_BEHAVIOR", description: "honest | garbage | silent", default: "honest" },
  encryptionKey: {
    env: "COR_ENCRYPTION_KEY",
    description: "X25519 secret key (default: the keyring in COR_DATA_DIR)",
    parse: "hex32",
  },
  keyWaitMs: {
    env: "COR_KEY_WAIT_MS",
    description: "how long an encrypted task waits for its key grant (ms)",
    default: "20000",
    parse: "int",
  },
  // speculative start (miner/dispatch.ts)
  dispatchPerRouter: {
    env: "COR_DISPATCH_PER_ROUTER",
    description: "unconfirmed dispatches one router may have at once (0 = no speculative start)",
    default: "2",
    parse: "int",
  },
  dispatchTtlMs: {
    env: "COR_DISPATCH_TTL_MS",
    description: "how long a dispatched task waits for its assignment on chain before it is dropped (ms)",
    default: "20000",
    parse: "int",
  },
} as const;

/**
 * Test and drill seam (agents/test/cheaters): replaces the result the miner commits. Gets the honest
 * generation; returns the text and token count to commit instead, `reveal: false` to commit and
 * never reveal, or null to commit nothing. Production miners run without one.
 */
export type ResultStrategy = (input: {
  taskId: bigint;
  prompt: string;
  maxTokens: number;
  sampling: SamplingParams;
  text: string;
  tokens: number;
  engine: InferenceEngine;
}) => Promise<{ text: string; tokens: number; reveal?: boolean } | null>;

export type MinerHooks = { result?: ResultStrategy };

export type { StreamMessage } from "../shared/stream.ts";

export const startMiner = async (
  overrides: Partial<Record<keyof typeof minerConfigSpec, string>> = {},
  hooks: MinerHooks = {},
) => {
  const cfg = readConfig(minerConfigSpec, overrides);
  const behavior = cfg.behavior as MinerBehavior;
  const deployment = loadDeployment(/^\d+$/.test(cfg.deployment) ? Number(cfg.deployment) : cfg.deployment);
  const clients = await createClients(cfg.rpcUrl, cfg.privateKey as Hex, deployment);
  let logger = createLogger("miner", { account: clients.account.address });
  const tx = createTxSender(clients, logger);
  const { client, network } = tx;
  const store = await createContentStore({ ipfsApi: cfg.ipfsApi, directory: cfg.ipfsDir });
  const modelPath = await resolveModelPath(cfg.model);
  const engine: InferenceEngine = await createInferenceEngine({
    modelPath,
    threads: Number(cfg.threads),
    maxConcurrency: Number(cfg.concurrency),
  });
  const modelId = `0x${engine.sha256}` as Hex;
  const journal = openJournal<Pending>(join(cfg.dataDir, "journal.json"));
  // Root batches (issue 12, docs/batching.md): a slot committed under a root can only be revealed with that batch.
  const journals: CommitJournals = { journal, roots: openJournal<RootRecord>(join(cfg.dataDir, "roots.json")) };
  sweepRoots(journals);
  const batch = createResultBatchers(tx, Number(cfg.batchMs), logger, {
    beforeRoot: (rootBatch, cids) => journalRoot(journals, rootBatch, cids),
  });
  // ---- privacy (issue 10, miner/privacy.ts): node keyring, key grants, prompt decryption, result sealing
  const privacy = createMinerPrivacy({
    keys: loadNodeKeys(cfg.dataDir, cfg.encryptionKey),
    logger,
    keyWaitMs: Number(cfg.keyWaitMs),
    grantDir: join(cfg.dataDir, "grants"),
  });

  let ready = false;
  let nodeId = 0;
  const inFlight = new Set<string>();
  const http = await startHttpServer({
    port: Number(cfg.port),
    host: cfg.host,
    health: () => ({ ready, nodeId, model: engine.modelFile, active: engine.active, queued: engine.queued, behavior }),
    handler: (req, res) => {
      if (privacy.handle(req, res)) return;
      res.writeHead(404, { "content-type": "application/json" });
      res.end(JSON.stringify({ error: { message: "Not found", type: "invalid_request_error", code: "not_found" } }));
    },
  });
  // Private streams (shared/stream.ts): a task's tokens go only to the routers entitled to it, after they prove
  // their on-chain identity; everyone else is refused.
  const streams = createStreamServer({
    server: http.server,
    miner: clients.account.address,
    logger,
    checkRouter: async (id, account) => {
      const node = await getNode(client, { network, nodeId: id }).catch((err) => {
        if (err instanceof NotFoundError) return undefined;
        throw err;
      });
      return routerRefusal(node, id, account);
    },
    onDispatch: (router, request) => dispatch.handle(router, request),
  });
  // ---- speculative start (issue 12, miner/dispatch.ts): the routing router's dispatch starts generation at once;
  // nothing is committed before the assignment is on chain (`dispatch.take` in work()).
  const dispatch = createMinerDispatch({
    engine,
    streams,
    logger,
    nodeId: () => nodeId,
    modelId,
    enabled: behavior === "honest" && !hooks.result && Number(cfg.dispatchPerRouter) > 0,
    perRouter: Number(cfg.dispatchPerRouter),
    ttlMs: Number(cfg.dispatchTtlMs),
    getSession: async (sessionId) => {
      const s = await getSession(client, { network, sessionId });
      return { ...s, assignment: AssignmentMode[s.assignment] };
    },
    nodeIdOf: (account) => nodeIdOfAccount(client, network, account),
    sampling: (id) => samplingOf(id),
  });
  // ---- end speculative start
  /**
   * Routers entitled to a task's stream: the router that assigned it (TaskView.assignerId), the session's router,
   * and the session owner's node when the owner is a router that assigned as owner (its house sessions).
   */
  const streamRoutersOf = async (taskId: bigint, sessionId: number): Promise<number[]> => {
    const [task, session] = await Promise.all([
      getTask(client, { network, taskId }),
      getSession(client, { network, sessionId }),
    ]);
    return [task.assignerId, session.routerId, await nodeIdOfAccount(client, network, session.owner)];
  };
  const endpoint = `http://${cfg.host}:${http.port}`;

  nodeId = await ensureRegistered(clients, tx, logger, {
    role: "Miner",
    stake: parseEther(cfg.stake),
    models: [modelId],
    endpoint,
    dataDir: cfg.dataDir,
    offer: {
      minPrice: parseEther(cfg.minPrice),
      capacity: Number(cfg.capacity),
      modes: cfg.modes.split(",").map((m) => m.trim()) as ("Router" | "Claim" | "Dedicated")[],
    },
  });
  logger = logger.child({ node: nodeId });
  privacy.setNodeId(nodeId);

  const submitted = new Map<string, { promptCid: string; promptHash: Hex; maxTokens: number; sessionId: number }>();
  const sessions = new Map<
    number,
    { assignment: number; modelId: Hex; encrypted?: boolean; sampling: SamplingParams }
  >();
  /** The session's declared sampling (greedy unless it asked otherwise), from its config. */
  const samplingOf = async (sessionId: number): Promise<SamplingParams> =>
    sessions.get(sessionId)?.sampling ?? samplingOfSession(await getSession(client, { network, sessionId }));

  const promptOf = async (taskId: bigint) => {
    const known = submitted.get(taskId.toString());
    if (known) return known;
    const [submittedLog] = await getTaskLogs(client, {
      network,
      taskId,
      fromBlock: BigInt(deployment.startBlock),
      eventNames: ["TaskSubmitted"],
    });
    if (!submittedLog) throw new AgentError(`No TaskSubmitted event for task ${taskId}`);
    const { promptCid, promptHash, maxTokens, sessionId } = submittedLog.args;
    return { promptCid, promptHash, maxTokens, sessionId };
  };

  // Reveal handler (miner/reveal.ts): a journaled commitment is revealed once, batched with others (revealRoot per
  // root batch, revealMany for single commits).
  const reveal = createRevealHandler({
    ...journals,
    reveal: (item) => batch.reveals.add(item),
    committedAs: async (taskId, slot) => {
      const logs = await getTaskLogs(client, {
        network,
        taskId,
        fromBlock: BigInt(deployment.startBlock),
        eventNames: ["TaskCommitted"],
      });
      return logs.findLast((l) => l.args.nodeId === nodeId && l.args.slot === slot)?.args.commitment;
    },
    logger,
  });

  const work = async (taskId: bigint, slot: number) => {
    const key = taskId.toString();
    if (inFlight.has(key)) return;
    inFlight.add(key);
    try {
      // Assignment handler (miner/assignment.ts decides the step from the task on chain).
      const task = await getTask(client, { network, taskId });
      const step = assignmentStepOf(task, slot, nodeId, behavior);
      if (step === "committed" && task.status === "Revealing") await reveal(taskId);
      if (step === "ignore") logger.info(`Ignoring task=${key} (behavior=silent)`);
      if (step !== "work") return;
      const info = await promptOf(taskId);
      const promptBytes = await store.get(info.promptCid, { timeoutMs: 15_000 });
      // Checks the on-chain promptHash; an encrypted prompt is decrypted first (waiting for a key grant if needed).
      const { text: prompt, taskKey } = await privacy.readPrompt({
        taskId,
        sessionId: info.sessionId,
        bytes: promptBytes,
        promptHash: info.promptHash,
        sessionEncrypted: sessions.get(info.sessionId)?.encrypted,
      });
      let index = 0;
      streams.open(key, await streamRoutersOf(taskId, info.sessionId));
      const sampling = await samplingOf(info.sessionId);
      const result =
        (await dispatch.take(key, info)) ?? // generated since the router's dispatch (miner/dispatch.ts)
        (await engine.generate({
          prompt,
          maxTokens: info.maxTokens,
          sampling,
          onToken: (piece) => {
            const i = index++;
            streams.token({
              type: "token",
              taskId: key,
              nodeId,
              index: i,
              piece: privacy.streamedPiece(taskId, taskKey, i, piece),
            });
          },
        }));
      let text = behavior === "garbage" ? `zzzz ${randomBytes(8).toString("hex")} qqq 123 !!!` : result.text;
      // The committed count is the text's canonical token count (inference/tokens.ts), which validators re-derive.
      let tokens = engine.countOutputTokens(text, info.maxTokens);
      let withhold = false;
      if (hooks.result) {
        const r = await hooks.result({ taskId, prompt, maxTokens: info.maxTokens, sampling, text, tokens, engine });
        if (r === null) {
          logger.info(`Not committing task=${key} (result strategy)`);
          return;
        }
        ({ text, tokens } = r);
        withhold = r.reveal === false;
      }
      const bytes = new TextEncoder().encode(text);
      const { cid } = await store.add(privacy.storedResult(taskId, taskKey, bytes));
      const resultHash = contentHash(bytes);
      const salt = toHex(randomBytes(32));
      // The salt is journaled before the commitment is sent: a crash after commit can still reveal.
      journal.set(key, { slot, resultHash, salt, cid, tokens, ...(withhold ? { withhold } : {}) });
      const committed = await batch.commits.add({ taskId, slot, resultHash, tokens, salt, resultCid: cid });
      journalCommitted(journals, taskId, committed.root);
      streams.done({
        type: "done",
        taskId: key,
        nodeId,
        tokens,
        resultCid: cid,
        resultHash,
        ms: result.ms,
      });
      logger.info(
        `Committed result task=${key} tokens=${tokens}${committed.root ? ` root=${committed.root.slice(0, 10)}` : ""} (${Math.round((result.tokens / Math.max(result.ms, 1)) * 1000)} tok/s)`,
      );
      if ((await getTask(client, { network, taskId })).status === "Revealing") await reveal(taskId);
    } catch (err) {
      logger.warn({ err: String((err as Error).message ?? err) }, `Task failed task=${key}`);
    } finally {
      streams.drop(key);
      inFlight.delete(key);
    }
  };

  const onLogs = async (logs: NetworkLog[]) => {
    const final = new Set<string>();
    for (const log of logs) {
      if (log.eventName === "TaskFinalized" || log.eventName === "TaskFailed") final.add(String(log.args.taskId));
    }
    for (const log of logs) {
      const a = log.args;
      const key = a.taskId !== undefined ? String(a.taskId) : "";
      switch (log.eventName) {
        case "SessionCreated": {
          const config = a.config as {
            assignment: number;
            modelId: Hex;
            encrypted?: boolean;
            temperature?: number;
            topK?: number;
            topP?: number;
          };
          sessions.set(Number(a.sessionId), {
            assignment: config.assignment,
            modelId: config.modelId,
            encrypted: config.encrypted,
            sampling: samplingFromConfig(config),
          });
          break;
        }
        case "TaskSubmitted": {
          const info = {
            promptCid: a.promptCid as string,
            promptHash: a.promptHash as Hex,
            maxTokens: Number(a.maxTokens),
            sessionId: Number(a.sessionId),
          };
          submitted.set(key, info);
          const session = sessions.get(info.sessionId);
          if (shouldClaim(session, modelId, behavior, final.has(key))) {
            claimTask(client, { network, taskId: BigInt(key) }).catch((err) =>
              logger.debug(`Claim lost task=${key}: ${String(err.message).split("\n")[0]}`),
            );
          }
          break;
        }
        case "TaskAssigned": {
          if (final.has(key)) break;
          const miners = (a.miners as readonly number[]).map(Number);
          const slot = miners.indexOf(nodeId);
          if (slot >= 0) void work(BigInt(key), slot);
          else dispatch.forget(key); // assigned to others: a dispatch of it is dropped
          break;
        }
        case "TaskPhaseChanged":
          if (Number(a.status) === TaskStatus.Revealing && journal.get(key) && !final.has(key))
            void reveal(BigInt(key));
          break;
        case "TaskFinalized":
        case "TaskFailed":
          submitted.delete(key);
          privacy.forget(key);
          dispatch.forget(key);
          forgetCommitment(journals, key);
          break;
      }
    }
  };

  const follower = followEvents(clients, { fromBlock: BigInt(deployment.startBlock), logger, onLogs });
  ready = true;
  logger.info(`Miner ready model=${engine.modelFile} endpoint=${endpoint} behavior=${behavior}`);

  return {
    nodeId,
    endpoint,
    port: http.port,
    logger,
    stop: async () => {
      follower.stop();
      dispatch.close();
      streams.close();
      await http.close();
      await engine.close();
      await store.close();
    },
  };
};
