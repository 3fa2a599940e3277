import { attest, contentHash, getSession, getTask, type SessionInfo, TaskStatus } from "@cor-network/sdk";
import { loadDeployment } from "@cor-network/sdk/node";
import { createContentStore } from "@cor-network/sdk/storage";
import { type Hex, parseEther } from "viem";
import { createEmbedder, type Embedder } from "../embedding/index.ts";
import { createReplayScorer, type ReplayScorer, resolveModelPath } from "../inference/index.ts";
import { createClients, createTxSender, followEvents, type NetworkLog } from "../shared/chain.ts";
import { readConfig } from "../shared/config.ts";
import { startHttpServer } from "../shared/health.ts";
import { loadNodeKeys } from "../shared/keys.ts";
import { createLogger } from "../shared/logger.ts";
import { ensureRegistered } from "../shared/node.ts";
import { samplingOfSession } from "../shared/sampling.ts";
import { fetchRevealed, revealedResults, scoringPlanOf } from "./attest.ts";
import { createValidatorPrivacy } from "./privacy.ts";
import { scoreByEmbedding, scoreByReplay } from "./score.ts";

export const validatorConfigSpec = {
  rpcUrl: { env: "COR_RPC_URL", description: "JSON-RPC URL", default: "http://127.0.0.1:8545", parse: "url" },
  privateKey: { env: "COR_PRIVATE_KEY", description: "validator account key", required: true, parse: "hex32" },
  deployment: { env: "COR_DEPLOYMENT", description: "deployment JSON file or chain id", default: "31337" },
  port: { env: "COR_PORT", description: "HTTP port for /health", default: "0", parse: "int" },
  dataDir: { env: "COR_DATA_DIR", description: "keys directory", default: ".data/validator" },
  ipfsApi: { env: "COR_IPFS_API", description: "Kubo RPC URL (default: embedded store)" },
  ipfsDir: { env: "COR_IPFS_DIR", description: "embedded IPFS block directory", default: ".data/ipfs" },
  stake: { env: "COR_STAKE", description: "stake in COR when registering", default: "1000" },
  embedModel: { env: "COR_EMBED_MODEL", description: "GGUF embedding model (default: wink word vectors)" },
  threads: {
    env: "COR_THREADS",
    description: "llama.cpp threads (replay model, GGUF embedder)",
    default: "1",
    parse: "int",
  },
  model: {
    env: "COR_MODEL",
    description: "GGUF replayed for Replay sessions on its model id (default: ../shared/models/stories260K.gguf)",
  },
  replay: { env: "COR_REPLAY", description: "on | off: load the model and validate Replay sessions", default: "on" },
  encryptionKey: {
    env: "COR_ENCRYPTION_KEY",
    description: "X25519 secret key (default: the keyring in COR_DATA_DIR)",
    parse: "hex32",
  },
} as const;

/**
 * Validator: when a task enters Validating (results differ, or the fast-path audit picked it), scores every
 * revealed result and attests once (validator/score.ts): Replay sessions on the model this validator loaded (its
 * sha256 is the session's model id) are replayed through it; Embedding sessions are scored against the medoid.
 * A Replay session on another model is left to validators that run it. Rebuilds its work list from the chain.
 */
export const startValidator = async (overrides: Partial<Record<keyof typeof validatorConfigSpec, string>> = {}) => {
  const cfg = readConfig(validatorConfigSpec, overrides);
  if (cfg.replay !== "on" && cfg.replay !== "off") throw new Error(`COR_REPLAY must be on or off (got ${cfg.replay})`);
  const deployment = loadDeployment(/^\d+$/.test(cfg.deployment) ? Number(cfg.deployment) : cfg.deployment);
  const clients = await createClients(cfg.rpcUrl, cfg.privateKey as Hex, deployment);
  let logger = createLogger("validator", { account: clients.account.address });
  const tx = createTxSender(clients, logger);
  const { client, network } = tx;
  const store = await createContentStore({ ipfsApi: cfg.ipfsApi, directory: cfg.ipfsDir });
  const embedder: Embedder = await createEmbedder(
    cfg.embedModel ? { kind: "gguf", modelPath: cfg.embedModel, threads: Number(cfg.threads) } : { kind: "wink" },
  );
  // The replay model is loaded once; its sha256 is the model id of the sessions it can validate.
  const scorer: ReplayScorer | undefined =
    cfg.replay === "on"
      ? await createReplayScorer({ modelPath: await resolveModelPath(cfg.model), threads: Number(cfg.threads) })
      : undefined;
  const replayModelId = scorer ? (`0x${scorer.sha256}` as Hex) : undefined;
  const nodeKeys = loadNodeKeys(cfg.dataDir, cfg.encryptionKey);
  let ready = false;
  let attested = 0;
  let nodeId = 0;
  const http = await startHttpServer({
    port: Number(cfg.port),
    health: () => ({ ready, nodeId, embedder: embedder.name, replayModel: scorer?.modelFile ?? null, attested }),
  });
  nodeId = await ensureRegistered(clients, tx, logger, {
    role: "Validator",
    stake: parseEther(cfg.stake),
    models: [],
    endpoint: `http://127.0.0.1:${http.port}`,
    dataDir: cfg.dataDir,
  });
  logger = logger.child({ node: nodeId });
  // ---- privacy (issue 10, validator/privacy.ts): encrypted results are decrypted with the task key wrapped to us
  const privacy = createValidatorPrivacy({
    client: clients.publicClient,
    network: deployment.network,
    fromBlock: BigInt(deployment.startBlock),
    store,
    keys: () => ({ nodeId, keys: nodeKeys.keys }),
  });
  const reveals = new Map<string, Map<number, { cid: string; resultHash: Hex; tokens: number }>>();
  const submitted = new Map<string, { sessionId: number; promptCid: string; promptHash: Hex; maxTokens: number }>();
  const sessionCache = new Map<number, Promise<SessionInfo>>();
  const sessionOf = (sessionId: number) => {
    let s = sessionCache.get(sessionId);
    if (!s) {
      s = getSession(client, { network, sessionId });
      s.catch(() => sessionCache.delete(sessionId));
      sessionCache.set(sessionId, s);
    }
    return s;
  };
  const done = new Set<string>();

  /** The plaintext prompt of a task: from IPFS checked against its hash, or decrypted (encrypted sessions). */
  const promptOf = async (taskId: bigint, info: { promptCid: string; promptHash: Hex }, encrypted: boolean) => {
    if (encrypted) return new TextDecoder().decode(await privacy.readPrompt(taskId));
    const bytes = await store.get(info.promptCid, { timeoutMs: 15_000 });
    if (contentHash(bytes) !== info.promptHash) throw new Error(`Prompt of task ${taskId} does not match its hash`);
    return new TextDecoder().decode(bytes);
  };

  /** Time kept before a task's attest deadline for the attestation transaction itself. */
  const ATTEST_MARGIN_MS = 8_000;
  /** Attempts per task: a failure (the store or the RPC briefly unreachable) is tried again 2 s later, twice. */
  const ATTEMPTS = 3;
  const validate = async (taskId: bigint, attempt = 1) => {
    const key = taskId.toString();
    if (attempt === 1 && done.has(key)) return;
    done.add(key);
    const started = Date.now();
    try {
      const task = await getTask(client, { network, taskId });
      if (task.status !== "Validating") return;
      // Reads of revealed results stop in time to attest: the attest deadline (chain time) less a margin.
      const head = await client.getBlock();
      const until = performance.now() + (task.deadline - Number(head.timestamp)) * 1_000 - ATTEST_MARGIN_MS;
      const results = await revealedResults(task, async (slot) => {
        const r = reveals.get(key)?.get(slot);
        if (!r) return undefined;
        const stored = await fetchRevealed(store, r.cid, { until });
        // Throws (no attestation) when this validator holds no key for an encrypted task.
        return { bytes: await privacy.readResult(taskId, stored), tokens: r.tokens };
      });
      const session = await sessionOf(task.sessionId);
      const plan = scoringPlanOf(session, replayModelId);
      let scores: number[];
      if (plan.kind === "skip") {
        logger.info(`Skipping task=${key}: ${plan.reason}`);
        return;
      } else if (plan.kind === "replay" && scorer) {
        const info = submitted.get(key);
        if (!info) throw new Error(`No TaskSubmitted event seen for task ${key}`);
        const prompt = await promptOf(taskId, info, session.encrypted);
        const replayed = await scoreByReplay(scorer, {
          prompt,
          maxTokens: info.maxTokens,
          sampling: samplingOfSession(session),
          slots: task.slots.length,
          results,
        });
        scores = replayed.scores;
        const faults = replayed.verdicts.map((v) => (v ? `${v.fault}:${v.score}` : "-")).join(",");
        logger.debug(`Replayed task=${key} verdicts=${faults}`);
      } else {
        scores = await scoreByEmbedding(embedder, task.slots.length, results);
      }
      await attest(client, { network, taskId, scores });
      attested++;
      logger.info(`Attested task=${key} scores=${scores.join(",")} (${Date.now() - started}ms)`);
    } catch (err) {
      const again = attempt < ATTEMPTS;
      logger.warn(
        { err: String((err as Error).message).split("\n")[0], attempt },
        `Attest failed task=${key}${again ? "; trying again in 2 s" : ""}`,
      );
      if (again) setTimeout(() => void validate(taskId, attempt + 1), 2_000).unref();
    }
  };

  const follower = followEvents(clients, {
    fromBlock: BigInt(deployment.startBlock),
    logger,
    onLogs: async (logs: NetworkLog[]) => {
      const final = new Set(
        logs
          .filter((l) => l.eventName === "TaskFinalized" || l.eventName === "TaskFailed")
          .map((l) => String(l.args.taskId)),
      );
      for (const log of logs) {
        const key = String(log.args.taskId ?? "");
        if (log.eventName === "TaskRevealed") {
          if (!reveals.has(key)) reveals.set(key, new Map());
          reveals.get(key)?.set(Number(log.args.slot), {
            cid: log.args.resultCid as string,
            resultHash: log.args.resultHash as Hex,
            tokens: Number(log.args.tokens ?? 0),
          });
        } else if (log.eventName === "TaskSubmitted") {
          submitted.set(key, {
            sessionId: Number(log.args.sessionId),
            promptCid: log.args.promptCid as string,
            promptHash: log.args.promptHash as Hex,
            maxTokens: Number(log.args.maxTokens),
          });
        } else if (
          log.eventName === "TaskPhaseChanged" &&
          Number(log.args.status) === TaskStatus.Validating &&
          !final.has(key)
        ) {
          void validate(BigInt(key));
        } else if (final.has(key)) {
          reveals.delete(key);
          submitted.delete(key);
          privacy.forget(key);
        }
      }
    },
  });
  ready = true;
  logger.info(`Validator ready embedder=${embedder.name} replay=${scorer?.modelFile ?? "off"}`);
  return {
    nodeId,
    port: http.port,
    stop: async () => {
      follower.stop();
      await http.close();
      await embedder.close();
      await scorer?.close();
      await store.close();
    },
  };
};
