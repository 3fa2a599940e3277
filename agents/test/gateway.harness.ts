import { type ChildProcess, spawn } from "node:child_process";
import { mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { Deployment } from "@cor-network/sdk";
import { type Anvil, anvilKey, deployCore, freePort, repoRoot, startAnvil } from "@cor-network/sdk/testing";
import { createPublicClient, createWalletClient, erc20Abi, type Hex, http, parseEther } from "viem";
import { privateKeyToAccount } from "viem/accounts";
import { foundry } from "viem/chains";
import { startMiner } from "../src/miner/index.ts";
import { startRouter } from "../src/router/index.ts";

/**
 * A real network for the gateway tests: anvil (automine) with the forge-deployed contracts, miners on
 * node-llama-cpp with stories260K (in this process, threads 1), and routers (in this process, or as `cor router`
 * child processes that a test can kill -9) that only take requests carrying the gateway secret.
 */
export type Cluster = {
  anvil: Anvil;
  deployment: Deployment;
  deploymentFile: string;
  root: string;
  ipfsDir: string;
  routers: { url: string; nodeId?: number; process?: ChildProcess; stop: () => Promise<void> }[];
  secret: string;
  keys: { client: Hex; routers: Hex[] };
  stop: () => Promise<void>;
};

export const waitFor = async <T>(fn: () => Promise<T | undefined>, what: string, timeoutMs = 60_000): Promise<T> => {
  const started = Date.now();
  for (;;) {
    const v = await fn().catch(() => undefined);
    if (v !== undefined) return v;
    if (Date.now() - started > timeoutMs) throw new Error(`Timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 200));
  }
};

/** Waits until a router answers /health with at least `miners` live miner links. */
export const routerReady = (url: string, miners: number) =>
  waitFor(
    async () => {
      const h = (await (await fetch(`${url}/health`)).json()) as { miners: number };
      return h.miners >= miners ? true : undefined;
    },
    `router ${url} with ${miners} miners`,
    120_000,
  );

export const startCluster = async (opts: {
  miners: number;
  routers: number;
  childRouters: boolean;
  redundancy?: number;
}): Promise<Cluster> => {
  process.env.COR_LOG_LEVEL ??= "warn";
  const root = mkdtempSync(join(tmpdir(), "cor-gw-"));
  const ipfsDir = join(root, "ipfs");
  const deploymentFile = join(root, "deployment.json");
  const anvil = await startAnvil();
  const deployment = await deployCore({ rpcUrl: anvil.rpcUrl, file: deploymentFile });
  const chain = { ...foundry, rpcUrls: { default: { http: [anvil.rpcUrl] } } };
  const publicClient = createPublicClient({ chain, transport: http(anvil.rpcUrl) });
  const owner = createWalletClient({ account: privateKeyToAccount(anvilKey(0)), chain, transport: http(anvil.rpcUrl) });
  const minerKeys = Array.from({ length: opts.miners }, (_, i) => anvilKey(1 + i));
  const routerKeys = Array.from({ length: opts.routers }, (_, i) => anvilKey(10 + i));
  const client = anvilKey(19);
  for (const key of [...minerKeys, ...routerKeys, client]) {
    const hash = await owner.writeContract({
      address: deployment.token,
      abi: erc20Abi,
      functionName: "transfer",
      args: [privateKeyToAccount(key).address, parseEther("100000")],
    });
    await publicClient.waitForTransactionReceipt({ hash });
  }
  const secret = `gw-secret-${Math.random().toString(36).slice(2)}`;
  const stops: (() => Promise<void>)[] = [];
  const common = { rpcUrl: anvil.rpcUrl, deployment: deploymentFile, ipfsDir };
  for (const [i, key] of minerKeys.entries()) {
    const m = await startMiner({ ...common, privateKey: key, dataDir: join(root, `miner-${i}`), port: "0" });
    stops.push(m.stop);
  }
  const routers: Cluster["routers"] = [];
  const routerFlags = {
    redundancy: String(opts.redundancy ?? 1),
    validation: "ExactMatch",
    maxTokens: "64",
    maxPromptBytes: "4000",
  };
  for (const [i, key] of routerKeys.entries()) {
    const port = await freePort();
    const dataDir = join(root, `router-${i}`);
    if (opts.childRouters) {
      const args = [
        join(repoRoot(), "agents/bin/cor.js"),
        "router",
        "--rpc-url",
        anvil.rpcUrl,
        "--private-key",
        key,
        "--deployment",
        deploymentFile,
        "--ipfs-dir",
        ipfsDir,
        "--data-dir",
        dataDir,
        "--port",
        String(port),
        "--redundancy",
        routerFlags.redundancy,
        "--validation",
        routerFlags.validation,
      ];
      const child = spawn(process.execPath, args, {
        stdio: ["ignore", "ignore", "inherit"],
        env: {
          ...process.env,
          COR_GATEWAY_SECRET: secret,
          COR_MAX_TOKENS: routerFlags.maxTokens,
          COR_LOG_LEVEL: "warn",
        },
      });
      const url = `http://127.0.0.1:${port}`;
      const stop = async () => {
        if (child.exitCode !== null || child.signalCode !== null) return;
        const exited = new Promise((r) => child.once("exit", r));
        child.kill("SIGTERM");
        await Promise.race([exited, new Promise((r) => setTimeout(r, 5000))]);
        if (child.exitCode === null && child.signalCode === null) child.kill("SIGKILL");
      };
      routers.push({ url, process: child, stop });
    } else {
      process.env.COR_GATEWAY_SECRET = secret;
      const r = await startRouter({ ...common, ...routerFlags, privateKey: key, port: String(port), dataDir });
      routers.push({ url: r.url, nodeId: r.nodeId, stop: r.stop });
    }
  }
  for (const r of routers) await routerReady(r.url, opts.miners);
  return {
    anvil,
    deployment,
    deploymentFile,
    root,
    ipfsDir,
    routers,
    secret,
    keys: { client, routers: routerKeys },
    stop: async () => {
      for (const r of routers) await r.stop().catch(() => undefined);
      for (const s of stops.reverse()) await s().catch(() => undefined);
      await anvil.stop();
    },
  };
};

/** A `cor gateway` child process over the cluster's routers (it starts its own nginx); PGlite unless `databaseUrl`. */
export const spawnGateway = async (
  cluster: Cluster,
  opts: { name: string; adminKey: string; databaseUrl?: string },
) => {
  const port = await freePort();
  const args = [
    join(repoRoot(), "agents/bin/cor.js"),
    "gateway",
    "--port",
    String(port),
    "--routers",
    cluster.routers.map((r) => r.url).join(","),
    "--models",
    cluster.deployment.modelName,
    "--data-dir",
    join(cluster.root, opts.name),
    "--rpc-url",
    cluster.anvil.rpcUrl,
    "--deployment",
    cluster.deploymentFile,
  ];
  const child = spawn(process.execPath, args, {
    stdio: ["ignore", "ignore", "inherit"],
    env: {
      ...process.env,
      DATABASE_URL: opts.databaseUrl ?? "",
      COR_GATEWAY_SECRET: cluster.secret,
      COR_GATEWAY_ADMIN_KEY: opts.adminKey,
      COR_LOG_LEVEL: "error",
    },
  });
  const url = `http://127.0.0.1:${port}`;
  const health = await waitFor(
    async () => {
      const r = await fetch(`${url}/health`);
      return r.ok ? ((await r.json()) as { nginx: string | null; db: string }) : undefined;
    },
    `gateway ${opts.name}`,
    60_000,
  );
  const stop = async () => {
    if (child.exitCode !== null || child.signalCode !== null) return;
    const exited = new Promise((r) => child.once("exit", r));
    child.kill("SIGTERM");
    await exited;
  };
  return { url, nginx: health.nginx, db: health.db, process: child, stop };
};

/** A `cor` CLI run: stdout, stderr and exit code. */
export const runCor = (
  args: string[],
  env: NodeJS.ProcessEnv = {},
): Promise<{ code: number; stdout: string; stderr: string }> =>
  new Promise((resolve) => {
    const child = spawn(process.execPath, [join(repoRoot(), "agents/bin/cor.js"), ...args], {
      env: { ...process.env, ...env },
      stdio: ["ignore", "pipe", "pipe"],
    });
    let stdout = "";
    let stderr = "";
    child.stdout.on("data", (d) => {
      stdout += d;
    });
    child.stderr.on("data", (d) => {
      stderr += d;
    });
    child.on("exit", (code) => resolve({ code: code ?? -1, stdout, stderr }));
  });
