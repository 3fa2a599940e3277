import { type ChildProcess, spawn } from "node:child_process";
import { copyFileSync, existsSync, mkdirSync, rmSync } from "node:fs";
import { join } from "node:path";
import { parseArgs } from "node:util";
import { createWalletClient, erc20Abi, http, parseEther, publicActions } from "viem";
import { privateKeyToAccount } from "viem/accounts";
import { foundry } from "viem/chains";
import { anvilKey, deployCore, repoRoot, startAnvil } from "../sdk/src/testing/anvil.ts";

type Child = { name: string; url: string; process: ChildProcess };

/** Spawns one agent role through the `cor` CLI as its own process (so it can be killed and restarted). */
export const spawnAgent = (role: string, flags: Record<string, string>, env: NodeJS.ProcessEnv = {}): ChildProcess => {
  const args = [join(repoRoot(), "agents/bin/cor.js"), role];
  for (const [k, v] of Object.entries(flags)) args.push(`--${k}`, v);
  return spawn(process.execPath, args, {
    cwd: repoRoot(),
    env: { ...process.env, ...env },
    stdio: ["ignore", process.env.COR_CHILD_STDOUT === "ignore" ? "ignore" : "inherit", "inherit"],
  });
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
  const children: Child[] = [];
  const anvil = await startAnvil({ port: Number(values["rpc-port"]), blockTime: values.automine ? undefined : 1 });
  const stopAll = async () => {
    for (const c of children) c.process.kill("SIGTERM");
    await Promise.all(children.map((c) => new Promise((r) => (c.process.exitCode !== null ? r(null) : c.process.once("exit", r)))));
    await anvil.stop();
  };
  process.once("SIGINT", () => void stopAll().then(() => process.exit(0)));
  process.once("SIGTERM", () => void stopAll().then(() => process.exit(0)));

  // The agents of this run read .data/deployment.json (nothing else writes it); deployments/31337.json is a
  // copy for the SDK and tools.
  const deploymentFile = join(dataDir, "deployment.json");
  const deployment = await deployCore({ rpcUrl: anvil.rpcUrl, file: deploymentFile });
  copyFileSync(deploymentFile, join(root, "deployments", "31337.json"));
  const owner = createWalletClient({ account: privateKeyToAccount(anvilKey(0)), chain: { ...foundry, rpcUrls: { default: { http: [anvil.rpcUrl] } } }, transport: http(anvil.rpcUrl) }).extend(publicActions);
  const minerCount = Number(values.miners);
  const keys = Array.from({ length: minerCount + 3 }, (_, i) => anvilKey(i + 1));
  for (const key of keys) {
    const hash = await owner.writeContract({ address: deployment.token, abi: erc20Abi, functionName: "transfer", args: [privateKeyToAccount(key).address, parseEther("100000")] });
    await owner.waitForTransactionReceipt({ hash });
  }
  const common = { "rpc-url": anvil.rpcUrl, deployment: deploymentFile, "ipfs-dir": join(dataDir, "ipfs") };
  for (let i = 0; i < minerCount; i++) {
    const port = String(8091 + i);
    const flags: Record<string, string> = { ...common, "private-key": keys[i], port, "data-dir": join(dataDir, `miner-${i + 1}`) };
    if (values.model) flags.model = values.model;
    children.push({ name: `miner ${i + 1}`, url: `http://127.0.0.1:${port}/health`, process: spawnAgent("miner", flags) });
  }
  children.push({ name: "validator", url: "http://127.0.0.1:8094/health", process: spawnAgent("validator", { ...common, "private-key": keys[minerCount + 1], port: "8094", "data-dir": join(dataDir, "validator") }) });
  children.push({ name: "oracle", url: "http://127.0.0.1:8095/health", process: spawnAgent("oracle", { ...common, "private-key": keys[minerCount + 2], port: "8095", "healthcheck-seconds": "60" }) });
  for (const c of children) await waitHealthy(c.url, 120_000);
  const routerPort = String(values["router-port"]);
  children.push({
    name: "router",
    url: `http://127.0.0.1:${routerPort}/health`,
    process: spawnAgent("router", { ...common, "private-key": keys[minerCount], port: routerPort, "data-dir": join(dataDir, "router"), redundancy: String(Math.min(3, minerCount)), validation: "Embedding" }),
  });
  await waitHealthy(`http://127.0.0.1:${routerPort}/health`, 120_000);
  let indexerUrl = "";
  if (!values["no-indexer"] && existsSync(join(root, "indexer", "ponder.config.ts"))) {
    const ponder = spawn(join(root, "node_modules", ".bin", "ponder"), ["start", "--schema", `cor_${Date.now()}`, "--hostname", "127.0.0.1", "--port", "42069"], {
      cwd: join(root, "indexer"),
      env: { ...process.env, PONDER_TELEMETRY_DISABLED: "1", COR_DEPLOYMENT_FILE: deploymentFile, PONDER_RPC_URL_31337: anvil.rpcUrl, COR_RPC_URL: anvil.rpcUrl, DATABASE_URL: "", PONDER_PGLITE_DIR: join(dataDir, "ponder") },
      stdio: ["ignore", "ignore", "inherit"],
    });
    children.push({ name: "indexer", url: "http://127.0.0.1:42069/health", process: ponder });
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
    indexerUrl ? `  indexer GraphQL   ${indexerUrl}  (SQL: http://127.0.0.1:42069/sql)` : "  indexer           (not started)",
    "",
    `Try:  npx cor submit "Once upon a time"      or  curl http://127.0.0.1:${routerPort}/v1/models`,
    "",
  ];
  process.stdout.write(`${lines.join("\n")}\n`);
};
