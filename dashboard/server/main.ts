/**
 * `npm run serve -w @cor-network/dashboard -- --rpc-url … --indexer-url … [--router-url …]`: builds the app if
 * needed and serves it with its runtime config and proxies (see serve.ts). Every flag has an env twin.
 */
import { join, resolve } from "node:path";
import { parseArgs } from "node:util";
import pino from "pino";
import { loadDeployment } from "../../sdk/src/node.ts";
import { type ContentStore, createContentStore } from "../../sdk/src/storage/index.ts";
import type { Address } from "../src/runtimeConfig.ts";
import { dashboardDir, distDir, ensureDashboardBuilt } from "./build.ts";
import { startDashboard } from "./serve.ts";

const logger = pino({ name: "cor-dashboard", level: process.env.COR_LOG_LEVEL ?? "info" });

const fail = (message: string): never => {
  process.stderr.write(`cor-dashboard: ${message}\n`);
  process.exit(2);
};

/** Dev accounts: explicit addresses, or the first N unlocked accounts of the RPC (anvil), or none. */
const devAccountsOf = async (spec: string, rpcUrl: string, chainId: number): Promise<Address[]> => {
  if (spec === "none" || spec === "0") return [];
  if (/^0x/.test(spec)) {
    const list = spec.split(",").map((s) => s.trim());
    for (const a of list) if (!/^0x[0-9a-fA-F]{40}$/.test(a)) fail(`--dev-accounts: '${a}' is not an address`);
    return list as Address[];
  }
  const n = spec === "auto" ? (chainId === 31337 ? 1 : 0) : Number(spec);
  if (!Number.isInteger(n) || n < 0) fail("--dev-accounts takes auto, none, a count, or comma-separated addresses");
  if (n === 0) return [];
  const res = await fetch(rpcUrl, {
    method: "POST",
    headers: { "content-type": "application/json" },
    body: JSON.stringify({ jsonrpc: "2.0", id: 1, method: "eth_accounts", params: [] }),
  }).catch((err) => fail(`cannot reach ${rpcUrl}: ${(err as Error).message}`));
  const body = (await (res as Response).json()) as { result?: Address[] };
  return (body.result ?? []).slice(0, n);
};

const { values } = parseArgs({
  options: {
    "rpc-url": { type: "string", default: process.env.COR_RPC_URL ?? "http://127.0.0.1:8545" },
    "indexer-url": { type: "string", default: process.env.COR_INDEXER_URL ?? "http://127.0.0.1:42069" },
    "router-url": { type: "string", default: process.env.COR_ROUTER_URL ?? "" },
    deployment: { type: "string", default: process.env.COR_DEPLOYMENT ?? "31337" },
    // Default: the local network's store (<repo>/.data/ipfs), whatever the working directory (npm -w runs in dashboard/).
    "ipfs-dir": { type: "string", default: process.env.COR_IPFS_DIR ?? join(dashboardDir(), "..", ".data", "ipfs") },
    "ipfs-api": { type: "string", default: process.env.COR_IPFS_API ?? "" },
    "dev-accounts": { type: "string", default: process.env.COR_DEV_ACCOUNTS ?? "auto" },
    port: { type: "string", default: process.env.COR_DASHBOARD_PORT ?? "5173" },
    host: { type: "string", default: process.env.COR_DASHBOARD_HOST ?? "127.0.0.1" },
    build: { type: "boolean", default: false },
  },
});

const port = Number(values.port);
if (!Number.isInteger(port) || port < 0 || port > 65535) fail(`--port must be 0..65535, got '${values.port}'`);
const deployment = (() => {
  try {
    return loadDeployment(/^\d+$/.test(values.deployment) ? Number(values.deployment) : values.deployment);
  } catch (err) {
    return fail((err as Error).message);
  }
})();
const built = await ensureDashboardBuilt({ force: values.build });
if (built) logger.info("Built the dashboard");
let store: ContentStore | undefined;
if (values["ipfs-api"] || values["ipfs-dir"]) {
  store = await createContentStore({
    ipfsApi: values["ipfs-api"] || undefined,
    directory: resolve(values["ipfs-dir"]),
  });
}
const server = await startDashboard({
  distDir: distDir(),
  upstreams: {
    rpcUrl: values["rpc-url"],
    indexerUrl: values["indexer-url"],
    routerUrl: values["router-url"] || undefined,
  },
  deployment: { ...deployment, chainId: deployment.chainId },
  store,
  devAccounts: await devAccountsOf(values["dev-accounts"], values["rpc-url"], deployment.chainId),
  host: values.host,
  port,
  logger,
});
process.stdout.write(`COR dashboard: ${server.url}\n`);
const shutdown = async () => {
  await server.stop();
  await store?.close();
  process.exit(0);
};
process.once("SIGINT", () => void shutdown());
process.once("SIGTERM", () => void shutdown());
