/**
 * The API gateway next to `npm start`'s local network (scripts/start.ts calls this after runNetwork): a second
 * router on --router-port + 1 so the pool has two, then `cor gateway` over both (nginx in front of them when
 * installed, embedded PGlite under .data/gateway), both supervised like the other agents. Prints the gateway URL,
 * its admin key and a development API key. COR_GATEWAY=0 skips it; COR_GATEWAY_PORT picks the port (8000).
 */
import { randomBytes } from "node:crypto";
import { join } from "node:path";
import { parseArgs } from "node:util";
import { loadDeployment } from "@cor-network/sdk/node";
import { anvilKey, repoRoot } from "@cor-network/sdk/testing";
import { agentArgs, fundAccounts, unhealthy, waitHealthy } from "./index.ts";
import { supervise, supervisorLogger } from "./supervisor.ts";

export async function startGatewayForNetwork(argv: string[]): Promise<string | undefined> {
  if (process.env.COR_GATEWAY === "0") return undefined;
  const { values } = parseArgs({
    args: argv,
    strict: false,
    options: {
      "router-port": { type: "string", default: "8080" },
      "rpc-port": { type: "string", default: "8545" },
      miners: { type: "string", default: "3" },
    },
  });
  const root = repoRoot();
  const dataDir = join(root, ".data");
  const logsDir = join(dataDir, "logs");
  const logger = supervisorLogger(join(logsDir, "supervisor.log"));
  const rpcUrl = `http://127.0.0.1:${values["rpc-port"]}`;
  const deploymentFile = join(dataDir, "deployment.json");
  const deployment = loadDeployment(deploymentFile);

  // A second router, funded like the first (anvil accounts after the miners, validator, oracle and router).
  const routerKey = anvilKey(Number(values.miners) + 4);
  await fundAccounts(rpcUrl, deployment, [routerKey]);
  const firstRouter = `http://127.0.0.1:${values["router-port"]}`;
  const secondPort = String(Number(values["router-port"]) + 1);
  const secondRouter = `http://127.0.0.1:${secondPort}`;
  const common = { "rpc-url": rpcUrl, deployment: deploymentFile, "ipfs-dir": join(dataDir, "ipfs") };
  const supervised = [
    supervise({
      name: "router-2",
      command: process.execPath,
      args: agentArgs("router", {
        ...common,
        "private-key": routerKey,
        port: secondPort,
        "data-dir": join(dataDir, "router-2"),
        redundancy: String(Math.min(3, Number(values.miners))),
        validation: "Embedding",
      }),
      cwd: root,
      env: process.env,
      logFile: join(logsDir, "router-2.log"),
      logger,
      watchdog: { unhealthy: () => unhealthy(`${secondRouter}/health`), afterMs: 30_000 },
    }),
  ];
  await waitHealthy(`${secondRouter}/health`, 120_000);

  const port = process.env.COR_GATEWAY_PORT ?? "8000";
  const url = `http://127.0.0.1:${port}`;
  const adminKey = process.env.COR_GATEWAY_ADMIN_KEY ?? `admin-${randomBytes(12).toString("hex")}`;
  supervised.push(
    supervise({
      name: "gateway",
      command: process.execPath,
      args: agentArgs("gateway", {
        port,
        routers: `${firstRouter},${secondRouter}`,
        models: deployment.modelName,
        "data-dir": join(dataDir, "gateway"),
        "rpc-url": rpcUrl,
        deployment: deploymentFile,
      }),
      cwd: root,
      env: { ...process.env, COR_GATEWAY_ADMIN_KEY: adminKey },
      logFile: join(logsDir, "gateway.log"),
      logger,
      watchdog: { unhealthy: () => unhealthy(`${url}/health`), afterMs: 30_000 },
    }),
  );
  const stop = () => void Promise.all(supervised.map((s) => s.stop()));
  process.once("SIGINT", stop);
  process.once("SIGTERM", stop);
  await waitHealthy(`${url}/health`, 120_000);
  const health = (await (await fetch(`${url}/health`)).json()) as { nginx: string | null };
  const created = await fetch(`${url}/admin/keys`, {
    method: "POST",
    headers: { authorization: `Bearer ${adminKey}`, "content-type": "application/json" },
    body: JSON.stringify({ name: `dev-${Date.now()}` }),
  });
  const devKey = created.ok
    ? ((await created.json()) as { key: string }).key
    : "(could not create: see .data/logs/gateway.log)";
  process.stdout.write(
    [
      `  gateway (OpenAI)  ${url}/v1   pool: ${firstRouter}, ${secondRouter}${health.nginx ? ` behind nginx ${health.nginx}` : " (nginx not installed)"}`,
      `  gateway keys      dev key ${devKey}   admin key ${adminKey}`,
      `                    cor keys create --name NAME --gateway ${url} --admin-key ${adminKey}`,
      `  Try:  curl ${url}/v1/chat/completions -H "Authorization: Bearer ${devKey}" -H 'content-type: application/json' \\`,
      `          -d '{"model":"${deployment.modelName}","messages":[{"role":"user","content":"Once upon a time"}],"max_tokens":32}'`,
      "",
    ].join("\n") + "\n",
  );
  return url;
}
