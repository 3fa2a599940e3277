/**
 * `cor network` (and `npm start`, scripts/start.ts): a complete local network on real parts. anvil, the contracts
 * deployed by the forge script, miners, router, validator, oracle and the Ponder indexer, each its own process under
 * the supervisor (supervisor.ts), logging to .data/logs/. The chaos suite and the benchmarks reuse its helpers.
 */
import { type ChildProcess, spawn } from "node:child_process";
import { copyFileSync, existsSync, mkdirSync, rmSync } from "node:fs";
import { join } from "node:path";
import { parseArgs } from "node:util";
import { type Deployment, parseCor, transferCor } from "@cor-network/sdk";
import { anvilKey, deployCore, repoRoot, startAnvil } from "@cor-network/sdk/testing";
import type { Logger } from "pino";
import { createWalletClient, type Hex, http, publicActions } from "viem";
import { privateKeyToAccount } from "viem/accounts";
import { foundry } from "viem/chains";
import { type Supervised, supervise, supervisorLogger } from "./supervisor.ts";

type Child = { name: string; url: string; sup: Supervised };

/** The `cor <role>` command line for one agent. */
export const agentArgs = (role: string, flags: Record<string, string>): string[] => {
  const args = [join(repoRoot(), "agents/bin/cor.js"), role];
  for (const [k, v] of Object.entries(flags)) args.push(`--${k}`, v);
  return args;
};

/** Spawns one agent role through the `cor` CLI as its own process (so it can be killed and restarted). */
export const spawnAgent = (role: string, flags: Record<string, string>, env: NodeJS.ProcessEnv = {}): ChildProcess =>
  spawn(process.execPath, agentArgs(role, flags), {
    cwd: repoRoot(),
    env: { ...process.env, ...env },
    stdio: ["ignore", process.env.COR_CHILD_STDOUT === "ignore" ? "ignore" : "inherit", "inherit"],
  });

/** True when GET `url` does not answer 200 within 3 s. */
export const unhealthy = async (url: string): Promise<boolean> => {
  const res = await fetch(url, { signal: AbortSignal.timeout(3_000) }).catch(() => undefined);
  return !res?.ok;
};

export const waitHealthy = async (url: string, timeoutMs = 60_000) => {
  const started = Date.now();
  for (;;) {
    try {
      const res = await fetch(url);
      if (res.ok) return;
    } catch {}
    if (Date.now() - started > timeoutMs) throw new Error(`${url} not healthy after ${timeoutMs} ms`);
    await new Promise((r) => setTimeout(r, 250));
  }
};

/** Sends 100k COR from the deployer (anvil account 0, which holds the supply) to each key's account. */
export const fundAccounts = async (rpcUrl: string, deployment: Deployment, keys: readonly Hex[]) => {
  const owner = createWalletClient({
    account: privateKeyToAccount(anvilKey(0)),
    chain: { ...foundry, rpcUrls: { default: { http: [rpcUrl] } } },
    transport: http(rpcUrl),
  }).extend(publicActions);
  for (const key of keys) {
    const to = privateKeyToAccount(key).address;
    await transferCor(owner, { network: deployment.network, token: deployment.token, to, amount: parseCor("100000") });
  }
};

/** `npm start` / `cor network`: a complete local network on real parts, stopped by Ctrl-C. */
export const runNetwork = async (argv: string[]) => {
  const { values } = parseArgs({
    args: argv,
    options: {
      automine: { type: "boolean", default: false },
      "no-indexer": { type: "boolean", default: false },
      model: { type: "string" },
      miners: { type: "string", default: "3" },
      "router-port": { type: "string", default: "8080" },
      "rpc-port": { type: "string", default: "8545" },
    },
  });
  const root = repoRoot();
  const dataDir = join(root, ".data");
  rmSync(dataDir, { recursive: true, force: true }); // a fresh chain needs fresh journals
  mkdirSync(dataDir, { recursive: true });
  // Every component logs to its own file here; the supervisor's restarts go to supervisor.log and stderr.
  const logsDir = join(dataDir, "logs");
  const logger = supervisorLogger(join(logsDir, "supervisor.log"));
  const children: Child[] = [];
  const anvil = await startAnvil({ port: Number(values["rpc-port"]), blockTime: values.automine ? undefined : 1 });
  const stopAll = async () => {
    await Promise.all(children.map((c) => c.sup.stop()));
    await anvil.stop();
  };
  /** A supervised agent: restarted with backoff when it exits, and when its /health fails for 30 s. */
  const agent = (name: string, role: string, flags: Record<string, string>, healthUrl: string): Child => {
    const sup = supervise({
      name,
      command: process.execPath,
      args: agentArgs(role, flags),
      cwd: root,
      env: process.env,
      logFile: join(logsDir, `${name.replace(/\s+/g, "-")}.log`),
      logger,
      watchdog: { unhealthy: () => unhealthy(healthUrl), afterMs: 30_000 },
    });
    return { name, url: healthUrl, sup };
  };
  process.once("SIGINT", () => void stopAll().then(() => process.exit(0)));
  process.once("SIGTERM", () => void stopAll().then(() => process.exit(0)));

  // The agents of this run read .data/deployment.json (nothing else writes it); deployments/31337.json is a
  // copy for the SDK and tools.
  const deploymentFile = join(dataDir, "deployment.json");
  const deployment = await deployCore({ rpcUrl: anvil.rpcUrl, file: deploymentFile });
  copyFileSync(deploymentFile, join(root, "deployments", "31337.json"));
  const minerCount = Number(values.miners);
  const keys = Array.from({ length: minerCount + 3 }, (_, i) => anvilKey(i + 1));
  await fundAccounts(anvil.rpcUrl, deployment, keys);
  const common = { "rpc-url": anvil.rpcUrl, deployment: deploymentFile, "ipfs-dir": join(dataDir, "ipfs") };
  for (let i = 0; i < minerCount; i++) {
    const port = String(8091 + i);
    const flags: Record<string, string> = {
      ...common,
      "private-key": keys[i],
      port,
      "data-dir": join(dataDir, `miner-${i + 1}`),
    };
    if (values.model) flags.model = values.model;
    children.push(agent(`miner ${i + 1}`, "miner", flags, `http://127.0.0.1:${port}/health`));
  }
  children.push(
    agent(
      "validator",
      "validator",
      { ...common, "private-key": keys[minerCount + 1], port: "8094", "data-dir": join(dataDir, "validator") },
      "http://127.0.0.1:8094/health",
    ),
  );
  children.push(
    agent(
      "oracle",
      "oracle",
      { ...common, "private-key": keys[minerCount + 2], port: "8095", "healthcheck-seconds": "60" },
      "http://127.0.0.1:8095/health",
    ),
  );
  for (const c of children) await waitHealthy(c.url, 120_000);
  const routerPort = String(values["router-port"]);
  const routerFlags = {
    ...common,
    "private-key": keys[minerCount],
    port: routerPort,
    "data-dir": join(dataDir, "router"),
    redundancy: String(Math.min(3, minerCount)),
    validation: "Replay", // validators replay the bundled model (docs/verification.md)
  };
  children.push(agent("router", "router", routerFlags, `http://127.0.0.1:${routerPort}/health`));
  await waitHealthy(`http://127.0.0.1:${routerPort}/health`, 120_000);
  let indexerUrl = "";
  if (!values["no-indexer"] && existsSync(join(root, "indexer", "ponder.config.ts"))) {
    // One schema for the life of this network: a restarted indexer resumes from its checkpoint (crash recovery).
    const sup = superviseIndexer({
      port: 42069,
      schema: `cor_${Date.now()}`,
      rpcUrl: anvil.rpcUrl,
      deploymentFile,
      pgliteDir: join(dataDir, "ponder"),
      logFile: join(logsDir, "indexer.log"),
      logger,
    });
    children.push({ name: "indexer", url: "http://127.0.0.1:42069/health", sup });
    await waitHealthy("http://127.0.0.1:42069/health", 120_000).catch(() => undefined);
    indexerUrl = "http://127.0.0.1:42069/graphql";
  }
  const lines = [
    "",
    "COR network is running (Ctrl-C stops everything):",
    `  chain (anvil)     ${anvil.rpcUrl}  chainId 31337${values.automine ? " automine" : ", 1-second blocks"}`,
    `  CorNetwork        ${deployment.network}   COR token ${deployment.token}`,
    `  router (OpenAI)   http://127.0.0.1:${routerPort}/v1   (WebSocket ws://127.0.0.1:${routerPort}/ws)`,
    ...children.filter((c) => c.name.startsWith("miner")).map((c) => `  ${c.name.padEnd(17)} ${c.url}`),
    "  validator         http://127.0.0.1:8094/health",
    "  oracle            http://127.0.0.1:8095/health",
    indexerUrl
      ? `  indexer GraphQL   ${indexerUrl}  (SQL: http://127.0.0.1:42069/sql, lag: /readiness)`
      : "  indexer           (not started)",
    "",
    `Logs: ${logsDir}/<component>.log  (restarts: ${join(logsDir, "supervisor.log")}); crashed agents restart with backoff.`,
    `Try:  npx cor submit "Once upon a time"      or  curl http://127.0.0.1:${routerPort}/v1/models`,
    "",
  ];
  process.stdout.write(`${lines.join("\n")}\n`);
};

/** True when the indexer's /readiness says it stopped advancing (not merely catching up or the RPC down). */
export const indexerStalled = async (baseUrl: string): Promise<boolean> => {
  const res = await fetch(`${baseUrl}/readiness`, { signal: AbortSignal.timeout(5_000) }).catch(() => undefined);
  if (!res) return true;
  const body = (await res.json().catch(() => ({}))) as { status?: string };
  return body.status === "stalled";
};

/**
 * The indexer (`ponder start`, PGlite in `pgliteDir`) under the supervisor. One schema for the life of a network:
 * a restarted indexer resumes from its checkpoint (crash recovery). Ponder can stall after an RPC outage while its
 * /health stays 200: it is restarted when /readiness says "stalled" for `stalledForMs`.
 */
export const superviseIndexer = (o: {
  port: number;
  schema: string;
  rpcUrl: string;
  deploymentFile: string;
  pgliteDir: string;
  logFile: string;
  logger: Logger;
  env?: NodeJS.ProcessEnv;
  stalledForMs?: number;
  checkEveryMs?: number;
  /** How long a starting indexer may take before the watchdog judges it (default 5 min). */
  startupMs?: number;
}): Supervised =>
  supervise({
    name: "indexer",
    command: process.execPath,
    args: [
      join(repoRoot(), "node_modules", "ponder", "dist", "esm", "bin", "ponder.js"),
      "--log-format",
      "json",
      "start",
      "--schema",
      o.schema,
      "--hostname",
      "127.0.0.1",
      "--port",
      String(o.port),
    ],
    cwd: join(repoRoot(), "indexer"),
    env: {
      ...process.env,
      PONDER_TELEMETRY_DISABLED: "1",
      COR_DEPLOYMENT_FILE: o.deploymentFile,
      PONDER_RPC_URL_31337: o.rpcUrl,
      COR_RPC_URL: o.rpcUrl,
      DATABASE_URL: "",
      PONDER_PGLITE_DIR: o.pgliteDir,
      ...o.env,
    },
    logFile: o.logFile,
    logger: o.logger,
    watchdog: {
      unhealthy: () => indexerStalled(`http://127.0.0.1:${o.port}`),
      afterMs: o.stalledForMs ?? 30_000,
      everyMs: o.checkEveryMs,
      // Ponder's start (PGlite setup, migrations, backfill) can take minutes on a loaded machine.
      startupMs: o.startupMs ?? 300_000,
    },
  });
