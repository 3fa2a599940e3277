/**
 * The dashboard next to `npm start`'s local network (scripts/start.ts calls this after runNetwork): same flags
 * for the ports, the network's deployment file and IPFS directory under .data/, anvil's first account as the
 * "Try it" dev wallet (it holds the COR the deployer did not hand out). COR_DASHBOARD=0 skips it;
 * COR_DASHBOARD_PORT picks the port (default 5173).
 */
import { join } from "node:path";
import { parseArgs } from "node:util";
import pino from "pino";
import { loadDeployment } from "../../sdk/src/node.ts";
import { createContentStore } from "../../sdk/src/storage/index.ts";
import type { Address } from "../src/runtimeConfig.ts";
import { dashboardDir, distDir, ensureDashboardBuilt } from "./build.ts";
import { startDashboard } from "./serve.ts";

export async function startDashboardForNetwork(argv: string[]): Promise<string | undefined> {
  if (process.env.COR_DASHBOARD === "0") return undefined;
  const logger = pino({ name: "cor-dashboard", level: process.env.COR_LOG_LEVEL ?? "info" });
  const { values } = parseArgs({
    args: argv,
    strict: false,
    options: {
      "router-port": { type: "string", default: "8080" },
      "rpc-port": { type: "string", default: "8545" },
      "no-indexer": { type: "boolean", default: false },
    },
  });
  if (values["no-indexer"]) {
    logger.warn("Dashboard not started: it reads the indexer (started without --no-indexer)");
    return undefined;
  }
  const dataDir = join(dashboardDir(), "..", ".data");
  const rpcUrl = `http://127.0.0.1:${values["rpc-port"]}`;
  const started = Date.now();
  const built = await ensureDashboardBuilt();
  const deployment = loadDeployment(join(dataDir, "deployment.json"));
  const accounts = await fetch(rpcUrl, {
    method: "POST",
    headers: { "content-type": "application/json" },
    body: JSON.stringify({ jsonrpc: "2.0", id: 1, method: "eth_accounts", params: [] }),
  })
    .then((r) => r.json() as Promise<{ result?: Address[] }>)
    .catch(() => ({ result: [] as Address[] }));
  const server = await startDashboard({
    distDir: distDir(),
    upstreams: { rpcUrl, indexerUrl: "http://127.0.0.1:42069", routerUrl: `http://127.0.0.1:${values["router-port"]}` },
    deployment,
    store: await createContentStore({ directory: join(dataDir, "ipfs") }),
    devAccounts: (accounts.result ?? []).slice(0, 1),
    port: Number(process.env.COR_DASHBOARD_PORT ?? 5173),
    logger,
  });
  process.stdout.write(
    `  dashboard         ${server.url}   (${built ? "built" : "cached build"}, ${Date.now() - started} ms)\n\n`,
  );
  return server.url;
}
