import {
  assignTask,
  createSession,
  expireSlot,
  finalizeTask,
  getNode,
  getSession,
  getTask,
  Role,
  submitTask,
} from "@cor-network/sdk";
import { loadDeployment } from "@cor-network/sdk/node";
import { createContentStore } from "@cor-network/sdk/storage";
import { type Hex, parseEther } from "viem";
import { chainTime, createClients, createTxSender, followEvents, type NetworkLog } from "../shared/chain.ts";
import { readConfig } from "../shared/config.ts";
import { startHttpServer } from "../shared/health.ts";
import { createLogger } from "../shared/logger.ts";
import { canFundHealthCheck, HEALTH_CHECK_TOKENS, healthCheckMiner, keeperActionOf } from "./keeper.ts";

export const oracleConfigSpec = {
  rpcUrl: { env: "COR_RPC_URL", description: "JSON-RPC URL", default: "http://127.0.0.1:8545", parse: "url" },
  privateKey: {
    env: "COR_PRIVATE_KEY",
    description: "keeper account key (pays gas, funds health checks)",
    required: true,
    parse: "hex32",
  },
  deployment: { env: "COR_DEPLOYMENT", description: "deployment JSON file or chain id", default: "31337" },
  port: { env: "COR_PORT", description: "HTTP port for /health", default: "0", parse: "int" },
  intervalMs: { env: "COR_ORACLE_INTERVAL_MS", description: "deadline scan period", default: "1000", parse: "int" },
  healthCheckSeconds: {
    env: "COR_HEALTHCHECK_SECONDS",
    description: "idle seconds between health-check tasks (0 = off)",
    default: "0",
    parse: "int",
  },
  healthCheckBudget: { env: "COR_HEALTHCHECK_BUDGET", description: "COR deposited for health checks", default: "100" },
  ipfsApi: { env: "COR_IPFS_API", description: "Kubo RPC URL (default: embedded store)" },
  ipfsDir: { env: "COR_IPFS_DIR", description: "embedded IPFS block directory", default: ".data/ipfs" },
} as const;

/**
 * Oracle / keeper: watches every open task's phase deadline (against chain time) and calls expire for each late
 * slot (late committers are replaced, late revealers dropped) and finalize for Validating tasks past their
 * attest window. When the network is idle it runs health-check tasks (R=1, one miner at a time, round robin)
 * from its own budget session; their outcomes feed reputation like any task.
 */
export const startOracle = async (overrides: Partial<Record<keyof typeof oracleConfigSpec, string>> = {}) => {
  const cfg = readConfig(oracleConfigSpec, overrides);
  const deployment = loadDeployment(/^\d+$/.test(cfg.deployment) ? Number(cfg.deployment) : cfg.deployment);
  const clients = await createClients(cfg.rpcUrl, cfg.privateKey as Hex, deployment);
  const logger = createLogger("oracle", { account: clients.account.address });
  const tx = createTxSender(clients, logger);
  const { client, network } = tx;
  const open = new Set<string>();
  const miners = new Map<number, Hex[]>();
  let expired = 0;
  let finalized = 0;
  let ready = false;
  let lastActivity = Date.now();
  const http = await startHttpServer({
    port: Number(cfg.port),
    health: () => ({ ready, open: open.size, expired, finalized }),
  });
  /** Health-check sessions this oracle opened (rebuilt from SessionCreated on restart, so it reuses its own). */
  const ownSessions: number[] = [];

  const isHealthSession = (a: Record<string, unknown>) => {
    const c = a.config as { redundancy: number; routerId: number; modelId: Hex };
    return (
      String(a.owner).toLowerCase() === clients.account.address.toLowerCase() &&
      Number(c.redundancy) === 1 &&
      Number(c.routerId) === 0 &&
      c.modelId === deployment.modelId
    );
  };

  const follower = followEvents(clients, {
    fromBlock: BigInt(deployment.startBlock),
    logger,
    onLogs: async (logs: NetworkLog[]) => {
      for (const log of logs) {
        const key = String(log.args.taskId ?? "");
        if (log.eventName === "TaskSubmitted") {
          open.add(key);
          lastActivity = Date.now();
        } else if (log.eventName === "TaskFinalized" || log.eventName === "TaskFailed") open.delete(key);
        else if (log.eventName === "SessionCreated" && isHealthSession(log.args))
          ownSessions.push(Number(log.args.sessionId));
        else if (log.eventName === "NodeRegistered" && Number(log.args.role) === Role.Miner) {
          miners.set(Number(log.args.nodeId), log.args.models as Hex[]);
        }
      }
    },
  });

  /** One pass over the open tasks: expire late slots, finalize Validating tasks past their attest window. */
  const scan = async () => {
    if (open.size === 0) return;
    const now = await chainTime(clients);
    for (const key of [...open]) {
      const taskId = BigInt(key);
      const action = keeperActionOf(await getTask(client, { network, taskId }), now);
      try {
        if (action.kind === "forget") open.delete(key);
        else if (action.kind === "finalize") {
          await finalizeTask(client, { network, taskId });
          finalized++;
          logger.info(`Finalized task=${key} after attest deadline`);
        } else if (action.kind === "expire") {
          const { expired: late } = await expireSlot(client, { network, taskId, slot: action.slot });
          expired++;
          // A vacant slot (no miner took it in time) fails the task: there is no late miner then.
          logger.info(`Expired task=${key} slot=${action.slot} node=${action.nodeId} phase=${late?.phase ?? "Queued"}`);
        }
      } catch (err) {
        logger.debug(`Keeper action skipped task=${key}: ${String((err as Error).message).split("\n")[0]}`);
      }
    }
  };

  // Health checks: a Router-mode session owned by the oracle (it assigns as owner), R=1, ExactMatch.
  let healthSession = 0;
  let turn = 0;
  const store =
    Number(cfg.healthCheckSeconds) > 0
      ? await createContentStore({ ipfsApi: cfg.ipfsApi, directory: cfg.ipfsDir })
      : undefined;
  /** The newest open health-check session this oracle owns with enough deposit for a check, if any. */
  const reusableSession = async (): Promise<number> => {
    await follower.caughtUp;
    for (const sessionId of [...ownSessions].reverse()) {
      if (canFundHealthCheck(await getSession(client, { network, sessionId }))) {
        logger.info(`Reusing health-check session=${sessionId}`);
        return sessionId;
      }
    }
    return 0;
  };
  const healthCheck = async () => {
    if (!store || open.size > 0 || Date.now() - lastActivity < Number(cfg.healthCheckSeconds) * 1000) return;
    const candidates: number[] = [];
    for (const [nodeId, models] of miners) {
      if (!models.includes(deployment.modelId)) continue;
      if ((await getNode(client, { network, nodeId })).status === "Active") candidates.push(nodeId);
    }
    const miner = healthCheckMiner(candidates, turn);
    if (miner === undefined) return;
    if (!healthSession) healthSession = await reusableSession();
    if (!healthSession) {
      ({ sessionId: healthSession } = await createSession(client, {
        network,
        token: deployment.token,
        deposit: parseEther(cfg.healthCheckBudget),
        modelId: deployment.modelId,
        redundancy: 1,
        validation: "ExactMatch",
        assignment: "Router",
        pricePerToken: 10n ** 12n,
        maxTokens: HEALTH_CHECK_TOKENS,
        retryLimit: 0,
        windows: { precommit: 30, reveal: 30, attest: 30 },
      }));
      logger.info(`Opened health-check session=${healthSession}`);
    }
    turn++;
    const { taskId } = await submitTask(client, {
      network,
      sessionId: healthSession,
      prompt: "Once upon a time",
      store,
      maxTokens: HEALTH_CHECK_TOKENS,
    });
    await assignTask(client, { network, taskId, nodeIds: [miner] });
    logger.info(`Health check task=${taskId} node=${miner}`);
    lastActivity = Date.now();
  };

  let stopped = false;
  const loop = async () => {
    while (!stopped) {
      await scan().catch((err) => logger.warn({ err: String(err) }, "Deadline scan failed"));
      await healthCheck().catch((err) => logger.warn({ err: String(err).split("\n")[0] }, "Health check failed"));
      await new Promise((r) => setTimeout(r, Number(cfg.intervalMs)));
    }
  };
  const running = loop();
  ready = true;
  logger.info("Oracle ready");
  return {
    port: http.port,
    stop: async () => {
      stopped = true;
      follower.stop();
      await running;
      await http.close();
      await store?.close();
    },
  };
};
