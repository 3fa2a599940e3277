import { AssignmentMode, ValidationMode } from "@cor-network/sdk";
import { loadDeployment } from "@cor-network/sdk/node";
import { createContentStore } from "@cor-network/sdk/storage";
import { serve } from "@hono/node-server";
import { type Hex, parseEther } from "viem";
import { createClients, createTxSender } from "../shared/chain.ts";
import { readConfig } from "../shared/config.ts";
import { AgentError } from "../shared/errors.ts";
import { loadNodeKeys } from "../shared/keys.ts";
import { createLogger } from "../shared/logger.ts";
import { ensureRegistered } from "../shared/node.ts";
import { createApi } from "./api.ts";
import { createRouterCore } from "./core.ts";
import { createWsHandler } from "./ws.ts";

export const routerConfigSpec = {
  rpcUrl: { env: "COR_RPC_URL", description: "JSON-RPC URL", default: "http://127.0.0.1:8545", parse: "url" },
  privateKey: { env: "COR_PRIVATE_KEY", description: "router account key", required: true, parse: "hex32" },
  deployment: { env: "COR_DEPLOYMENT", description: "deployment JSON file or chain id", default: "31337" },
  port: { env: "COR_PORT", description: "HTTP port of the API", default: "8080", parse: "int" },
  host: { env: "COR_HOST", description: "bind address", default: "127.0.0.1" },
  dataDir: { env: "COR_DATA_DIR", description: "keys directory", default: ".data/router" },
  ipfsApi: { env: "COR_IPFS_API", description: "Kubo RPC URL (default: embedded store)" },
  ipfsDir: { env: "COR_IPFS_DIR", description: "embedded IPFS block directory", default: ".data/ipfs" },
  stake: { env: "COR_STAKE", description: "stake in COR when registering", default: "1000" },
  redundancy: {
    env: "COR_REDUNDANCY",
    description: "R of the router's house sessions (OpenAI API)",
    default: "1",
    parse: "int",
  },
  validation: {
    env: "COR_VALIDATION",
    description: "None | ExactMatch | Embedding for house sessions",
    default: "Embedding",
  },
  encryptionKey: {
    env: "COR_ENCRYPTION_KEY",
    description: "X25519 secret key (default: the keyring in COR_DATA_DIR)",
    parse: "hex32",
  },
  encrypted: {
    env: "COR_ENCRYPTED",
    description: "house sessions are end-to-end encrypted: true | false (docs/privacy.md)",
    default: "false",
  },
  deposit: { env: "COR_ROUTER_DEPOSIT", description: "COR deposited per house session", default: "1000" },
  price: { env: "COR_PRICE_WEI", description: "COR wei per output token in house sessions", default: "1000000000000" },
  maxTokens: { env: "COR_MAX_TOKENS", description: "max output tokens per request", default: "512", parse: "int" },
  maxPromptBytes: {
    env: "COR_MAX_PROMPT_BYTES",
    description: "longest prompt accepted",
    default: "16384",
    parse: "int",
  },
  windowSeconds: {
    env: "COR_WINDOW_SECONDS",
    description: "precommit, reveal and attest windows of house sessions (seconds)",
    default: "30",
    parse: "int",
  },
  finalTimeoutMs: {
    env: "COR_FINAL_TIMEOUT_MS",
    description: "how long a request waits for finality",
    default: "120000",
    parse: "int",
  },
} as const;

/**
 * Router: wiring only. `core.ts` (chain view, miner pool, stream links and relay), `api.ts` (OpenAI +
 * Cortensor HTTP routes), `ws.ts` (the /ws subscription endpoint).
 */
export const startRouter = async (overrides: Partial<Record<keyof typeof routerConfigSpec, string>> = {}) => {
  const cfg = readConfig(routerConfigSpec, overrides);
  if (!(cfg.validation in ValidationMode)) throw new AgentError(`COR_VALIDATION must be None, ExactMatch or Embedding`);
  if (cfg.encrypted !== "true" && cfg.encrypted !== "false")
    throw new AgentError(`COR_ENCRYPTED must be true or false`);
  const deployment = loadDeployment(/^\d+$/.test(cfg.deployment) ? Number(cfg.deployment) : cfg.deployment);
  const clients = await createClients(cfg.rpcUrl, cfg.privateKey as Hex, deployment);
  let logger = createLogger("router", { account: clients.account.address });
  const tx = createTxSender(clients, logger);
  const store = await createContentStore({ ipfsApi: cfg.ipfsApi, directory: cfg.ipfsDir });
  const publicUrl = `http://${cfg.host}:${cfg.port}`;
  const keys = loadNodeKeys(cfg.dataDir, cfg.encryptionKey); // before registering: the current key is published
  const nodeId = await ensureRegistered(clients, tx, logger, {
    role: "Router",
    stake: parseEther(cfg.stake),
    models: [],
    endpoint: publicUrl,
    dataDir: cfg.dataDir,
  });
  logger = logger.child({ node: nodeId });
  const core = createRouterCore({ clients, tx, store, logger, nodeId, keys });
  const app = createApi({
    core,
    logger,
    nodeId,
    deployment,
    house: {
      redundancy: Number(cfg.redundancy),
      validation: ValidationMode[cfg.validation as keyof typeof ValidationMode],
      deposit: parseEther(cfg.deposit),
      price: BigInt(cfg.price),
      maxTokens: Number(cfg.maxTokens),
      windowSeconds: Number(cfg.windowSeconds),
      encrypted: cfg.encrypted === "true",
    },
    maxTokensCap: Number(cfg.maxTokens),
    maxPromptBytes: Number(cfg.maxPromptBytes),
    finalTimeoutMs: Number(cfg.finalTimeoutMs),
    chainBlock: () => clients.publicClient.getBlockNumber(),
  });

  const server = serve({ fetch: app.fetch, port: Number(cfg.port), hostname: cfg.host });
  server.on("clientError", (_err, socket) => socket.destroy());
  await new Promise<void>((resolve) => server.once("listening", () => resolve()));
  const address = server.address();
  const port = typeof address === "object" && address ? address.port : Number(cfg.port);
  const ws = createWsHandler({ events: core.events, logger, backlog: core.tokenLog });
  server.on("upgrade", ws.upgrade);
  logger.info(`Router ready url=http://${cfg.host}:${port} node=${nodeId}`);
  return {
    nodeId,
    port,
    url: `http://${cfg.host}:${port}`,
    core,
    logger,
    stop: async () => {
      // core.stop() ends every open stream with an error event naming its task, then [DONE]: stop accepting,
      // let those responses finish (up to 3 s), then cut whatever is left.
      // (server.close() would drop them at once: Node counts a connection whose request was fully read as idle.)
      // Tasks accepted but not yet on chain (a speculative stream starts before its submit is mined) get their
      // submit and assign mined first, so "continues on chain" is true for every stream ended below.
      await core.drain(5_000);
      const ended = core.stop();
      ws.close();
      const deadline = Date.now() + 3_000;
      while (Date.now() < deadline && ended.some((k) => core.events.listenerCount(`task:${k}`) > 0)) {
        await new Promise((r) => setTimeout(r, 25));
      }
      await new Promise((r) => setTimeout(r, 50)); // the last writes reach the socket
      const closed = new Promise<void>((r) => server.close(() => r()));
      (server as unknown as { closeAllConnections?: () => void }).closeAllConnections?.();
      await closed;
      await store.close();
    },
  };
};

export { AssignmentMode };
