import { loadDeployment } from "@cor-network/sdk/node";
import { type Hex, parseEther } from "viem";
import { contentHash, sessionIdOfTask, TaskStatus, ValidationMode } from "../../../sdk/src/protocol.ts";
import { createContentStore } from "../../../sdk/src/storage/index.ts";
import { createEmbedder, type Embedder } from "../embedding/index.ts";
import { createReplayScorer, type ReplayScorer, resolveModelPath, samplingFromConfig } from "../inference/index.ts";
import {
  createClients,
  createTxSender,
  followEvents,
  type NetworkLog,
  networkAbi,
  networkReader,
} from "../shared/chain.ts";
import { readConfig } from "../shared/config.ts";
import { startHttpServer } from "../shared/health.ts";
import { loadNodeKeys } from "../shared/keys.ts";
import { createLogger } from "../shared/logger.ts";
import { ensureRegistered } from "../shared/node.ts";
import { createValidatorPrivacy } from "./privacy.ts";
import { type RevealedResult, scoreByEmbedding, scoreByReplay } from "./score.ts";

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
  const read = networkReader(clients);
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
  type SessionView = { validation: number; modelId: Hex; temperature?: number; topK?: number; topP?: number };
  const sessionCache = new Map<number, Promise<SessionView>>();
  const sessionOf = (sessionId: number) => {
    let s = sessionCache.get(sessionId);
    if (!s) {
      s = read<SessionView>("getSession", [sessionId]);
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

  const validate = async (taskId: bigint) => {
    const key = taskId.toString();
    if (done.has(key)) return;
    done.add(key);
    const started = Date.now();
    try {
      const task = (await clients.publicClient.readContract({
        address: deployment.network,
        abi: networkAbi,
        functionName: "getTask",
        args: [taskId],
      })) as { status: number; revealedMask: number; miners: readonly number[]; hashes: readonly Hex[] };
      if (task.status !== TaskStatus.Validating) return;
      const slots = task.miners.map((_, i) => i).filter((i) => task.revealedMask & (1 << i));
      const results: RevealedResult[] = [];
      for (const slot of slots) {
        const r = reveals.get(key)?.get(slot);
        let text: string | undefined;
        if (r) {
          const stored = await store.get(r.cid, { timeoutMs: 15_000 }).catch(() => new Uint8Array());
          // Throws (no attestation) when this validator holds no key for an encrypted task.
          const bytes = await privacy.readResult(taskId, stored);
          // A result whose bytes do not match its revealed hash scores 0.
          if (contentHash(bytes) === task.hashes[slot]) text = new TextDecoder().decode(bytes);
        }
        results.push({ slot, text, tokens: r?.tokens ?? 0 });
      }
      const session = await sessionOf(sessionIdOfTask(taskId));
      let perSlot: number[];
      if (Number(session.validation) === ValidationMode.Replay) {
        const info = submitted.get(key);
        if (!info) throw new Error(`No TaskSubmitted event seen for task ${key}`);
        if (!scorer || session.modelId.toLowerCase() !== replayModelId) {
          logger.info(
            `Skipping task=${key}: Replay session on model ${session.modelId}, which this validator does not run`,
          );
          return;
        }
        const prompt = await promptOf(taskId, info, Boolean((session as { encrypted?: boolean }).encrypted));
        const { scores, verdicts } = await scoreByReplay(scorer, {
          prompt,
          maxTokens: info.maxTokens,
          sampling: samplingFromConfig(session),
          slots: task.miners.length,
          results,
        });
        perSlot = scores;
        const faults = verdicts.map((v) => (v ? `${v.fault}:${v.score}` : "-")).join(",");
        logger.debug(`Replayed task=${key} verdicts=${faults}`);
      } else {
        perSlot = await scoreByEmbedding(embedder, task.miners.length, results);
      }
      await tx.write("attest", [taskId, perSlot], `attest task=${key}`);
      attested++;
      logger.info(`Attested task=${key} scores=${perSlot.join(",")} (${Date.now() - started}ms)`);
    } catch (err) {
      logger.warn({ err: String((err as Error).message).split("\n")[0] }, `Attest failed task=${key}`);
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
