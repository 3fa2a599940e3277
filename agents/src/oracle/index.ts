import { loadDeployment } from "@cor-network/sdk/node";
import { erc20Abi, type Hex, maxUint256, parseEther } from "viem";
import { contentHash, NodeStatus, Role, SessionStatus, TaskStatus } from "../../../sdk/src/protocol.ts";
import { createContentStore } from "../../../sdk/src/storage/index.ts";
import { toSessionConfig } from "../../../sdk/src/utils/sessionConfig.ts";
import {
  chainTime,
  createClients,
  createTxSender,
  eventArgs,
  followEvents,
  type NetworkLog,
  networkReader,
} from "../shared/chain.ts";
import { readConfig } from "../shared/config.ts";
import { startHttpServer } from "../shared/health.ts";
import { createLogger } from "../shared/logger.ts";

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

type TaskView = {
  status: number;
  deadline: number;
  committedMask: number;
  revealedMask: number;
  droppedMask: number;
  miners: readonly number[];
};

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
  const read = networkReader(clients);
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

  const scan = async () => {
    if (open.size === 0) return;
    const now = await chainTime(clients);
    for (const key of [...open]) {
      const taskId = BigInt(key);
      const t = await read<TaskView>("getTask", [taskId]);
      if (t.status === TaskStatus.Finalized || t.status === TaskStatus.Failed) {
        open.delete(key);
        continue;
      }
      if (BigInt(t.deadline) >= now) continue;
      try {
        if (t.status === TaskStatus.Validating) {
          await tx.write("finalize", [taskId], `finalize task=${key}`);
          finalized++;
          logger.info(`Finalized task=${key} after attest deadline`);
          continue;
        }
        for (let slot = 0; slot < t.miners.length; slot++) {
          const bit = 1 << slot;
          const late =
            t.status === TaskStatus.Revealing
              ? !(t.revealedMask & bit) && !(t.droppedMask & bit)
              : !(t.committedMask & bit);
          if (!late) continue;
          await tx.write("expire", [taskId, slot], `expire task=${key} slot=${slot}`);
          expired++;
          logger.info(`Expired task=${key} slot=${slot} node=${t.miners[slot]} phase=${t.status}`);
          break; // re-read the task: an expiry can reassign, settle or fail it
        }
      } catch (err) {
        logger.debug(`Keeper action skipped task=${key}: ${String((err as Error).message).split("\n")[0]}`);
      }
    }
  };

  // Health checks: a Router-mode session owned by the oracle (it assigns as owner), R=1, ExactMatch.
  let healthSession = 0;
  let nextMiner = 0;
  const store =
    Number(cfg.healthCheckSeconds) > 0
      ? await createContentStore({ ipfsApi: cfg.ipfsApi, directory: cfg.ipfsDir })
      : undefined;
  /** The newest open health-check session this oracle owns with enough deposit for a check, if any. */
  const reusableSession = async (): Promise<number> => {
    await follower.caughtUp;
    for (const id of [...ownSessions].reverse()) {
      const s = await read<{ status: number; deposit: bigint; pricePerToken: bigint }>("getSession", [id]);
      if (Number(s.status) === SessionStatus.Open && s.deposit >= 16n * s.pricePerToken) {
        logger.info(`Reusing health-check session=${id}`);
        return id;
      }
    }
    return 0;
  };
  const healthCheck = async () => {
    if (!store || open.size > 0 || Date.now() - lastActivity < Number(cfg.healthCheckSeconds) * 1000) return;
    const candidates: number[] = [];
    for (const [id, models] of miners) {
      if (!models.includes(deployment.modelId)) continue;
      const node = await read<{ status: number }>("getNode", [id]);
      if (node.status === NodeStatus.Active) candidates.push(id);
    }
    if (!candidates.length) return;
    if (!healthSession) healthSession = await reusableSession();
    if (!healthSession) {
      const budget = parseEther(cfg.healthCheckBudget);
      await tx.writeTo(deployment.token, erc20Abi, "approve", [deployment.network, maxUint256], "approve");
      const hash = await tx.write(
        "createSession",
        [
          toSessionConfig({
            modelId: deployment.modelId,
            redundancy: 1,
            validation: "ExactMatch",
            assignment: "Router",
            pricePerToken: 10n ** 12n,
            maxTokens: 16,
            retryLimit: 0,
            windows: { precommit: 30, reveal: 30, attest: 30 },
          }),
          budget,
        ],
        "create health-check session",
      );
      const receipt = await clients.publicClient.getTransactionReceipt({ hash });
      healthSession = Number(eventArgs(receipt.logs, "SessionCreated").sessionId);
      logger.info(`Opened health-check session=${healthSession}`);
    }
    const miner = candidates[nextMiner++ % candidates.length];
    const prompt = new TextEncoder().encode("Once upon a time");
    const { cid } = await store.add(prompt);
    const session = await read<{ taskCount: number }>("getSession", [healthSession]);
    await tx.write("submitTask", [healthSession, contentHash(prompt), cid, 16], "submit health check");
    const taskId = (BigInt(healthSession) << 32n) | BigInt(Number(session.taskCount) + 1);
    await tx.write("assignTask", [taskId, [miner]], `health check task=${taskId} node=${miner}`);
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
