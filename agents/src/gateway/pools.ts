import { readFileSync } from "node:fs";
import { ConfigError } from "../shared/errors.ts";

/**
 * A router pool: routers that serve the same models, reached through one upstream (nginx in front of them, or
 * the gateway's own failover when nginx is absent). Model aliases are what clients ask for; each maps to the
 * model name the pool's routers know.
 */
export type PoolDef = {
  name: string;
  routers: string[];
  /** alias → router model name */
  models: Record<string, string>;
};

export type PoolsFile = { pools: PoolDef[]; cortensorPool?: string };

const NAME = /^[a-z0-9][a-z0-9_-]{0,31}$/;

const normalizeUrl = (u: string, where: string): string => {
  let url: URL;
  try {
    url = new URL(u);
  } catch {
    throw new ConfigError(`${where}: '${u}' is not a URL`);
  }
  if (url.protocol !== "http:") throw new ConfigError(`${where}: router URLs must be http:// (got '${u}')`);
  if (url.pathname !== "/" || url.search)
    throw new ConfigError(`${where}: router URLs are origins without a path (got '${u}')`);
  return url.origin;
};

/** Validates a pool definition: unique names and aliases, at least one router each, http origins. */
export const validatePools = (def: unknown): PoolsFile => {
  const d = def as Partial<PoolsFile>;
  if (!d || !Array.isArray(d.pools) || d.pools.length === 0)
    throw new ConfigError("pool definition needs a non-empty `pools` array");
  const names = new Set<string>();
  const aliases = new Map<string, string>();
  const pools = d.pools.map((p, i): PoolDef => {
    const where = `pools[${i}]`;
    if (!p || typeof p.name !== "string" || !NAME.test(p.name))
      throw new ConfigError(`${where}.name must match ${NAME}`);
    if (names.has(p.name)) throw new ConfigError(`pool '${p.name}' is defined twice`);
    names.add(p.name);
    if (!Array.isArray(p.routers) || p.routers.length === 0)
      throw new ConfigError(`pool '${p.name}' needs at least one router URL`);
    const routers = p.routers.map((u) => normalizeUrl(String(u), `pool '${p.name}'`));
    if (!p.models || typeof p.models !== "object" || Object.keys(p.models).length === 0) {
      throw new ConfigError(`pool '${p.name}' needs \`models\`: { "alias": "router model name" }`);
    }
    for (const [alias, model] of Object.entries(p.models)) {
      if (typeof model !== "string" || !model)
        throw new ConfigError(`pool '${p.name}': alias '${alias}' must map to a model name`);
      const other = aliases.get(alias);
      if (other) throw new ConfigError(`model alias '${alias}' is in pools '${other}' and '${p.name}'`);
      aliases.set(alias, p.name);
    }
    return { name: p.name, routers, models: { ...p.models } };
  });
  if (d.cortensorPool !== undefined && !names.has(d.cortensorPool))
    throw new ConfigError(`cortensorPool '${d.cortensorPool}' is not a pool`);
  return { pools, cortensorPool: d.cortensorPool ?? pools[0].name };
};

/**
 * Reads pools from a JSON file, or builds the single pool `default` from `--routers a,b` and `--models
 * alias=model,...` (an alias without `=` maps to itself).
 */
export const loadPools = (opts: { file?: string; routers?: string; models?: string }): PoolsFile => {
  if (opts.file) {
    let raw: unknown;
    try {
      raw = JSON.parse(readFileSync(opts.file, "utf8"));
    } catch (err) {
      throw new ConfigError(`cannot read pool definition ${opts.file}: ${(err as Error).message}`);
    }
    return validatePools(raw);
  }
  if (!opts.routers)
    throw new ConfigError(
      "the gateway needs routers: COR_GATEWAY_POOLS (a pool file) or COR_GATEWAY_ROUTERS (url,url)",
    );
  const models = Object.fromEntries(
    (opts.models ?? "stories260K")
      .split(",")
      .map((m) => m.trim())
      .filter(Boolean)
      .map((m) => (m.includes("=") ? (m.split("=", 2) as [string, string]) : [m, m])),
  );
  return validatePools({ pools: [{ name: "default", routers: opts.routers.split(",").map((u) => u.trim()), models }] });
};

/** alias → pool and router model name. */
export const aliasTable = (pools: PoolsFile): Map<string, { pool: PoolDef; model: string }> => {
  const table = new Map<string, { pool: PoolDef; model: string }>();
  for (const pool of pools.pools)
    for (const [alias, model] of Object.entries(pool.models)) table.set(alias, { pool, model });
  return table;
};
