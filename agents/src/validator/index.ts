import { type Hex, parseEther } from "viem";
import { loadDeployment } from "../../../sdk/src/deployments.ts";
import { TaskStatus, contentHash } from "../../../sdk/src/protocol.ts";
import { createContentStore } from "../../../sdk/src/storage/index.ts";
import { type Embedder, createEmbedder, scoreAgainstMedoid } from "../embedding/index.ts";
import { type NetworkLog, createClients, createTxSender, followEvents, networkAbi } from "../shared/chain.ts";
import { readConfig } from "../shared/config.ts";
import { startHttpServer } from "../shared/health.ts";
import { createLogger } from "../shared/logger.ts";
import { loadNodeKeys } from "../shared/keys.ts";
import { ensureRegistered } from "../shared/node.ts";
import { createValidatorPrivacy } from "./privacy.ts";

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
  threads: { env: "COR_THREADS", description: "llama.cpp threads for a GGUF embedder", default: "1", parse: "int" },
  encryptionKey: { env: "COR_ENCRYPTION_KEY", description: "X25519 secret key (default: the keyring in COR_DATA_DIR)", parse: "hex32" },
} as const;

/**
 * Validator: when a task enters Validating (results differ in Embedding mode), embeds every revealed result,
 * scores each against the medoid (cosine × 10000) and attests once. Rebuilds its work list from the chain.
 */
export const startValidator = async (overrides: Partial<Record<keyof typeof validatorConfigSpec, string>> = {}) => {
  const cfg = readConfig(validatorConfigSpec, overrides);
  const deployment = loadDeployment(/^\d+$/.test(cfg.deployment) ? Number(cfg.deployment) : cfg.deployment);
  const clients = await createClients(cfg.rpcUrl, cfg.privateKey as Hex, deployment);
  let logger = createLogger("validator", { account: clients.account.address });
  const tx = createTxSender(clients, logger);
  const store = await createContentStore({ ipfsApi: cfg.ipfsApi, directory: cfg.ipfsDir });
  const embedder: Embedder = await createEmbedder(
    cfg.embedModel ? { kind: "gguf", modelPath: cfg.embedModel, threads: Number(cfg.threads) } : { kind: "wink" },
  );
  const nodeKeys = loadNodeKeys(cfg.dataDir, cfg.encryptionKey);
  let ready = false;
  let attested = 0;
  let nodeId = 0;
  const http = await startHttpServer({
    port: Number(cfg.port),
    health: () => ({ ready, nodeId, embedder: embedder.name, attested }),
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
  const reveals = new Map<string, Map<number, { cid: string; resultHash: Hex }>>();
  const done = new Set<string>();

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
      const texts: string[] = [];
      for (const slot of slots) {
        const r = reveals.get(key)?.get(slot);
        let text = "";
        if (r) {
          const stored = await store.get(r.cid, { timeoutMs: 15_000 }).catch(() => new Uint8Array());
          // Throws (no attestation) when this validator holds no key for an encrypted task.
          const bytes = await privacy.readResult(taskId, stored);
          // A result whose bytes do not match its revealed hash is treated as empty (scores lowest).
          if (contentHash(bytes) === task.hashes[slot]) text = new TextDecoder().decode(bytes);
        }
        texts.push(text);
      }
      const vectors = await Promise.all(texts.map((t) => embedder.embed(t)));
      const scores = scoreAgainstMedoid(vectors);
      const perSlot = task.miners.map(() => 0);
      slots.forEach((slot, i) => {
        perSlot[slot] = scores[i];
      });
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
      const final = new Set(logs.filter((l) => l.eventName === "TaskFinalized" || l.eventName === "TaskFailed").map((l) => String(l.args.taskId)));
      for (const log of logs) {
        const key = String(log.args.taskId ?? "");
        if (log.eventName === "TaskRevealed") {
          if (!reveals.has(key)) reveals.set(key, new Map());
          reveals.get(key)?.set(Number(log.args.slot), { cid: log.args.resultCid as string, resultHash: log.args.resultHash as Hex });
        } else if (log.eventName === "TaskPhaseChanged" && Number(log.args.status) === TaskStatus.Validating && !final.has(key)) {
          void validate(BigInt(key));
        } else if (final.has(key)) {
          reveals.delete(key);
          privacy.forget(key);
        }
      }
    },
  });
  ready = true;
  logger.info(`Validator ready embedder=${embedder.name}`);
  return {
    nodeId,
    port: http.port,
    stop: async () => {
      follower.stop();
      await http.close();
      await embedder.close();
      await store.close();
    },
  };
};
