import { join } from "node:path";
import { parseArgs } from "node:util";
import { openDb } from "./db.ts";
import { type ApiKey, createKey, findKey, KeyInputError, listKeys, revokeKey } from "./keys.ts";
import { type UsageRow, type UsageSummary, usageOf } from "./usage.ts";

export const KEYS_HELP = `Usage: cor keys <create|list|revoke|usage> [flags]
  cor keys create --name NAME [--rpm N] [--tokens-per-day N] [--models a,b]   prints the new key (cor-...) on its own line
  cor keys list
  cor keys revoke NAME
  cor keys usage NAME [--limit N]
Storage (the gateway's): --database-url URL [DATABASE_URL] or --data-dir DIR [COR_DATA_DIR, default .data/gateway]
(embedded PGlite). With embedded storage and a running gateway, go through it instead:
  --gateway URL [COR_GATEWAY_URL] --admin-key KEY [COR_GATEWAY_ADMIN_KEY]
Keys are stored as SHA-256 hashes: the secret is shown once, at creation.`;

/** The key operations, against the database directly or a running gateway's admin API. */
type KeyStore = {
  create: (p: {
    name: string;
    rpm?: number;
    tokensPerDay?: number;
    models?: string[];
  }) => Promise<ApiKey & { key: string }>;
  list: () => Promise<ApiKey[]>;
  revoke: (name: string) => Promise<ApiKey>;
  usage: (name: string, limit: number) => Promise<{ key: ApiKey; summary: UsageSummary; rows: UsageRow[] }>;
  close: () => Promise<void>;
};

const viaGateway = (base: string, adminKey: string): KeyStore => {
  const call = async <T>(method: string, path: string, body?: unknown): Promise<T> => {
    let res: Response;
    try {
      res = await fetch(`${base.replace(/\/$/, "")}${path}`, {
        method,
        headers: { authorization: `Bearer ${adminKey}`, "content-type": "application/json" },
        body: body === undefined ? undefined : JSON.stringify(body),
      });
    } catch (err) {
      throw new KeyInputError(`cannot reach the gateway at ${base}: ${(err as Error).message}`);
    }
    const json = (await res.json().catch(() => ({}))) as { error?: { message?: string } };
    if (!res.ok) throw new KeyInputError(`gateway answered ${res.status}: ${json.error?.message ?? "no message"}`);
    return json as T;
  };
  return {
    create: (p) =>
      call("POST", "/admin/keys", { name: p.name, rpm: p.rpm, tokens_per_day: p.tokensPerDay, models: p.models }),
    list: async () => (await call<{ data: ApiKey[] }>("GET", "/admin/keys")).data,
    revoke: (name) => call("DELETE", `/admin/keys/${encodeURIComponent(name)}`),
    usage: (name, limit) => call("GET", `/admin/keys/${encodeURIComponent(name)}/usage?limit=${limit}`),
    close: async () => undefined,
  };
};

const direct = async (databaseUrl: string | undefined, dataDir: string): Promise<KeyStore> => {
  const db = await openDb({ databaseUrl, dataDir: join(dataDir, "pglite") });
  return {
    create: (p) => createKey(db, p),
    list: () => listKeys(db),
    revoke: (name) => revokeKey(db, name),
    usage: async (name, limit) => {
      const key = await findKey(db, name);
      if (!key) throw new KeyInputError(`no key named '${name}'`);
      return { key, ...(await usageOf(db, key.id, { limit })) };
    },
    close: () => db.close(),
  };
};

const int = (v: string | undefined, flag: string): number | undefined => {
  if (v === undefined) return undefined;
  if (!/^\d+$/.test(v) || Number(v) < 1) throw new KeyInputError(`${flag} must be a positive whole number, got "${v}"`);
  return Number(v);
};

/** `cor keys ...`: writes results to stdout; throws KeyInputError (one line) on bad input. */
export const runKeys = async (argv: string[], out: (s: string) => void, err: (s: string) => void): Promise<void> => {
  const { values, positionals } = parseArgs({
    args: argv,
    allowPositionals: true,
    strict: true,
    options: {
      name: { type: "string" },
      rpm: { type: "string" },
      "tokens-per-day": { type: "string" },
      models: { type: "string" },
      limit: { type: "string", default: "20" },
      "database-url": { type: "string" },
      "data-dir": { type: "string" },
      gateway: { type: "string" },
      "admin-key": { type: "string" },
      help: { type: "boolean" },
    },
  });
  const [sub, arg] = positionals;
  if (values.help || !sub) {
    if (!sub && !values.help) throw new KeyInputError(`a subcommand is required\n${KEYS_HELP}`);
    out(`${KEYS_HELP}\n`);
    return;
  }
  if (!["create", "list", "revoke", "usage"].includes(sub))
    throw new KeyInputError(`unknown subcommand '${sub}' (create, list, revoke, usage)`);
  const rpm = int(values.rpm, "--rpm");
  const tokensPerDay = int(values["tokens-per-day"], "--tokens-per-day");
  const limit = int(values.limit, "--limit") ?? 20;
  if (sub === "create" && !values.name) throw new KeyInputError("--name is required");
  if ((sub === "revoke" || sub === "usage") && !arg) throw new KeyInputError(`cor keys ${sub} needs the key's NAME`);
  const gateway = values.gateway ?? process.env.COR_GATEWAY_URL;
  const adminKey = values["admin-key"] ?? process.env.COR_GATEWAY_ADMIN_KEY;
  if (gateway && !adminKey) throw new KeyInputError("--gateway needs --admin-key (COR_GATEWAY_ADMIN_KEY)");
  const store = gateway
    ? viaGateway(gateway, adminKey as string)
    : await direct(
        values["database-url"] ?? process.env.DATABASE_URL,
        values["data-dir"] ?? process.env.COR_DATA_DIR ?? ".data/gateway",
      );
  try {
    if (sub === "create") {
      const models = values.models?.split(",").map((m) => m.trim());
      const k = await store.create({ name: values.name as string, rpm, tokensPerDay, models });
      out(`${k.key}\n`);
      err(
        `created key name=${k.name} id=${k.id} rpm=${k.rpm ?? "unlimited"} tokens/day=${k.tokensPerDay ?? "unlimited"} models=${k.models?.join(",") ?? "all"} (shown once; stored hashed)\n`,
      );
    } else if (sub === "list") {
      const keys = await store.list();
      out(`${["NAME", "ID", "RPM", "TOKENS/DAY", "MODELS", "CREATED", "REVOKED"].join("\t")}\n`);
      for (const k of keys)
        out(
          `${[k.name, k.id, k.rpm ?? "-", k.tokensPerDay ?? "-", k.models?.join(",") ?? "*", k.createdAt, k.revokedAt ?? "-"].join("\t")}\n`,
        );
    } else if (sub === "revoke") {
      const k = await store.revoke(arg);
      out(`revoked ${k.name} (${k.id}) at ${k.revokedAt}\n`);
    } else {
      const { key, summary, rows } = await store.usage(arg, limit);
      out(
        `key ${key.name} (${key.id}): ${summary.requests} requests ${JSON.stringify(summary.byState)}, prompt tokens ${summary.promptTokens}, completion tokens ${summary.completionTokens}, cost ${summary.costWei} wei\n`,
      );
      for (const r of rows) {
        out(
          `${[r.createdAt, r.requestId, r.route, r.model ?? "-", r.state, r.status ?? "-", `${r.promptTokens ?? 0}+${r.completionTokens ?? 0}`, r.costWei ?? "-", `${r.latencyMs ?? "-"}ms`, r.taskId ?? "-"].join("\t")}\n`,
        );
      }
    }
  } finally {
    await store.close();
  }
};

const GATEWAY_FLAGS = {
  port: "port",
  host: "host",
  "database-url": "databaseUrl",
  "data-dir": "dataDir",
  pools: "pools",
  routers: "routers",
  models: "models",
  nginx: "nginx",
  "nginx-port": "nginxPort",
  "rpc-url": "rpcUrl",
  deployment: "deployment",
  retries: "retries",
} as const;

export const GATEWAY_HELP = `Usage: cor gateway [flags]   (each flag also reads the env var in brackets)
  --routers URL,URL      routers of the pool 'default'                     [COR_GATEWAY_ROUTERS]
  --models A[=M],...     model aliases of the default pool                 [COR_GATEWAY_MODELS, default stories260K]
  --pools FILE           pool definition JSON (instead of --routers)       [COR_GATEWAY_POOLS]
  --port N               HTTP port                                         [COR_PORT, default 8000]
  --database-url URL     PostgreSQL (default: embedded PGlite)             [DATABASE_URL]
  --data-dir DIR         PGlite + nginx directory                          [COR_DATA_DIR, default .data/gateway]
  --nginx auto|off|PATH  nginx in front of the pools                       [COR_GATEWAY_NGINX, default auto]
  --nginx-port N         nginx port (0 = free port)                        [COR_GATEWAY_NGINX_PORT]
  --rpc-url URL --deployment FILE|ID   chain for session-owner checks      [COR_RPC_URL, COR_DEPLOYMENT]
  --retries N            attempts on other routers before submission       [COR_GATEWAY_RETRIES, default 2]
Secrets only from the environment: COR_GATEWAY_SECRET (sent to routers), COR_GATEWAY_ADMIN_KEY (admin API).`;

/** Parses `cor gateway` flags into config overrides; undefined after printing help. */
export const gatewayOverrides = (argv: string[], out: (s: string) => void): Record<string, string> | undefined => {
  const options = Object.fromEntries(Object.keys(GATEWAY_FLAGS).map((k) => [k, { type: "string" as const }]));
  const { values } = parseArgs({ args: argv, options: { ...options, help: { type: "boolean" } }, strict: true });
  if (values.help) {
    out(`${GATEWAY_HELP}\n`);
    return undefined;
  }
  const overrides: Record<string, string> = {};
  for (const [flag, key] of Object.entries(GATEWAY_FLAGS)) {
    const v = (values as Record<string, unknown>)[flag];
    if (typeof v === "string") overrides[key] = v;
  }
  return overrides;
};
