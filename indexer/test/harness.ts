/**
 * Test and benchmark harness for the indexer: a real `ponder start` child process (PGlite in a temp dir, or
 * PostgreSQL) and a throwaway PostgreSQL cluster. Used by indexer/test/*.test.ts and scripts/bench-indexer.ts.
 */
import { type ChildProcess, execFile, spawn } from "node:child_process";
import { chmodSync, chownSync, existsSync, mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { promisify } from "node:util";
import { freePort } from "../../sdk/src/testing/anvil.ts";

const run = promisify(execFile);

export const indexerDir = (): string => dirname(dirname(fileURLToPath(import.meta.url)));
const repoDir = (): string => dirname(indexerDir());

export type Ponder = {
  /** http://127.0.0.1:<port> */
  url: string;
  process: ChildProcess;
  /** Everything ponder logged so far (JSON lines). */
  logs: () => string;
  stop: () => Promise<void>;
};

export type StartPonderOptions = {
  rpcUrl: string;
  deploymentFile: string;
  /** Database schema; unique per run so parallel runs never share tables. */
  schema: string;
  /** PostgreSQL connection string; without it, PGlite in a fresh temp dir. */
  databaseUrl?: string;
  /** Extra env (PONDER_POLLING_MS, PONDER_GETLOGS_RANGE, …). */
  env?: Record<string, string>;
  logLevel?: "info" | "debug" | "warn";
  /** Ponder app directory (config, schema, src/); default this indexer. The benchmark runs variants of it. */
  appDir?: string;
  /** Node options before ponder's script (e.g. `--cpu-prof`, which NODE_OPTIONS may not carry). */
  nodeArgs?: string[];
};

/**
 * Starts `ponder start` for this indexer as a child process and resolves once its HTTP server answers
 * /health. The port is free when picked; ponder moves to the next one if it is taken meanwhile, so the URL is
 * read from its "Created HTTP server" log line.
 */
export const startPonder = async (opts: StartPonderOptions): Promise<Ponder> => {
  const pgliteDir = opts.databaseUrl ? undefined : mkdtempSync(join(tmpdir(), "cor-ponder-pglite-"));
  const port = await freePort();
  const env: NodeJS.ProcessEnv = {
    ...process.env,
    PONDER_TELEMETRY_DISABLED: "1",
    COR_DEPLOYMENT_FILE: opts.deploymentFile,
    COR_RPC_URL: opts.rpcUrl,
    PONDER_RPC_URL_31337: opts.rpcUrl,
    PONDER_LOG_LEVEL: opts.logLevel ?? "info",
    ...opts.env,
  };
  delete env.PORT;
  if (opts.databaseUrl) {
    env.DATABASE_URL = opts.databaseUrl;
  } else {
    delete env.DATABASE_URL;
    delete env.DATABASE_PRIVATE_URL;
    env.PONDER_PGLITE_DIR = pgliteDir;
  }
  const bin = join(repoDir(), "node_modules", "ponder", "dist", "esm", "bin", "ponder.js");
  const args = [
    ...(opts.nodeArgs ?? []),
    bin,
    "--log-format",
    "json",
    "start",
    "--schema",
    opts.schema,
    "--hostname",
    "127.0.0.1",
    "--port",
    String(port),
  ];
  const child = spawn(process.execPath, args, {
    cwd: opts.appDir ?? indexerDir(),
    env,
    stdio: ["ignore", "pipe", "pipe"],
  });
  // Never leave an indexer behind when this process ends without calling stop().
  const killOnExit = () => child.kill("SIGKILL");
  process.once("exit", killOnExit);
  let output = "";
  child.stdout?.on("data", (d) => {
    output += d;
  });
  child.stderr?.on("data", (d) => {
    output += d;
  });

  const stop = async () => {
    process.off("exit", killOnExit);
    if (child.exitCode === null && child.signalCode === null) {
      const exited = new Promise((r) => child.once("exit", r));
      child.kill("SIGTERM");
      await Promise.race([exited, new Promise((r) => setTimeout(r, 5_000))]);
      if (child.exitCode === null && child.signalCode === null) child.kill("SIGKILL");
    }
    if (pgliteDir) rmSync(pgliteDir, { recursive: true, force: true });
  };

  const started = Date.now();
  for (;;) {
    const match = /"msg":"Created HTTP server"[^\n]*"port":(\d+)/.exec(output);
    if (match) {
      const url = `http://127.0.0.1:${match[1]}`;
      try {
        const res = await fetch(`${url}/health`);
        if (res.ok) return { url, process: child, logs: () => output, stop };
      } catch {
        // not listening yet
      }
    }
    if (child.exitCode !== null) {
      await stop();
      throw new Error(`ponder exited (${child.exitCode}):\n${output}`);
    }
    if (Date.now() - started > 180_000) {
      await stop();
      throw new Error(`ponder did not start within 180 s:\n${output}`);
    }
    await new Promise((r) => setTimeout(r, 100));
  }
};

/** Latest block ponder has indexed (GET /status), or -1 before the first checkpoint. */
export const indexedBlock = async (url: string): Promise<number> => {
  try {
    const res = await fetch(`${url}/status`);
    if (!res.ok) return -1;
    const status = (await res.json()) as Record<string, { block?: { number: number } }>;
    const blocks = Object.values(status).map((s) => s.block?.number ?? -1);
    return blocks.length === 0 ? -1 : Math.min(...blocks);
  } catch {
    return -1;
  }
};

/** Polls `check` until it stops throwing (returns its value) or `timeoutMs` passes (rethrows its last error). */
export const eventually = async <T>(check: () => Promise<T>, timeoutMs = 60_000, intervalMs = 200): Promise<T> => {
  const started = Date.now();
  for (;;) {
    try {
      return await check();
    } catch (err) {
      if (Date.now() - started > timeoutMs) throw err;
      await new Promise((r) => setTimeout(r, intervalMs));
    }
  }
};

export const graphql = async <T = Record<string, unknown>>(
  url: string,
  query: string,
  variables?: Record<string, unknown>,
): Promise<T> => {
  const res = await fetch(`${url}/graphql`, {
    method: "POST",
    headers: { "content-type": "application/json" },
    body: JSON.stringify({ query, variables }),
  });
  const body = (await res.json()) as { data?: T; errors?: { message: string }[] };
  if (body.errors?.length) throw new Error(`GraphQL: ${body.errors.map((e) => e.message).join("; ")}`);
  if (!body.data) throw new Error(`GraphQL: no data (HTTP ${res.status})`);
  return body.data;
};

/**
 * SQL over HTTP, the way @ponder/client calls it: GET /sql/db?sql=<superjson of { sql, params }>. With
 * string/number params only, superjson's encoding is just `{ "json": value }`.
 */
export const sqlQuery = async <T = Record<string, unknown>>(
  url: string,
  sql: string,
  params: (string | number | boolean | null)[] = [],
): Promise<T[]> => {
  const payload = JSON.stringify({ json: { sql, params } });
  const res = await fetch(`${url}/sql/db?sql=${encodeURIComponent(payload)}`);
  if (!res.ok) throw new Error(`SQL over HTTP ${res.status}: ${await res.text()}`);
  const body = (await res.json()) as { rows: T[] };
  return body.rows;
};

// ---------------------------------------------------------------------------------------------- PostgreSQL
const PG_BIN = process.env.PG_BIN ?? "/usr/lib/postgresql/15/bin";

export type Postgres = {
  url: string;
  /** Runs one SQL statement with psql (e.g. to drop ponder_sync between benchmark runs). */
  exec: (sql: string) => Promise<void>;
  stop: () => Promise<void>;
};

export const postgresAvailable = (): boolean => existsSync(join(PG_BIN, "initdb"));

/**
 * A throwaway PostgreSQL cluster on a free port of 127.0.0.1 (trust auth, data in a temp dir), with database
 * `cor`. As root, the server runs as the `postgres` user (postgres refuses to run as root).
 */
export const startPostgres = async (): Promise<Postgres> => {
  const dir = mkdtempSync(join(tmpdir(), "cor-pg-"));
  const data = join(dir, "data");
  const port = await freePort();
  const asRoot = process.getuid?.() === 0;
  const pgUser = asRoot ? "postgres" : undefined;
  if (asRoot) {
    const { stdout } = await run("id", ["-u", "postgres"]);
    const { stdout: gid } = await run("id", ["-g", "postgres"]);
    chownSync(dir, Number(stdout.trim()), Number(gid.trim()));
    chmodSync(dir, 0o700);
  }
  const pg = (cmd: string, args: string[]) =>
    asRoot && pgUser ? run("runuser", ["-u", pgUser, "--", join(PG_BIN, cmd), ...args]) : run(join(PG_BIN, cmd), args);

  await pg("initdb", ["-D", data, "-A", "trust", "-U", "postgres", "--no-sync", "-E", "UTF8"]);
  await pg("pg_ctl", [
    "-D",
    data,
    "-l",
    join(dir, "postgres.log"),
    "-o",
    `-p ${port} -k ${dir} -c listen_addresses=127.0.0.1 -c fsync=off -c max_connections=200`,
    "-w",
    "start",
  ]);
  const stop = async () => {
    await pg("pg_ctl", ["-D", data, "-m", "immediate", "-w", "stop"]).catch(() => undefined);
    rmSync(dir, { recursive: true, force: true });
  };
  try {
    await pg("createdb", ["-h", "127.0.0.1", "-p", String(port), "-U", "postgres", "cor"]);
  } catch (err) {
    await stop();
    throw err;
  }
  const url = `postgresql://postgres@127.0.0.1:${port}/cor`;
  const exec = async (sql: string) => {
    await pg("psql", ["-h", "127.0.0.1", "-p", String(port), "-U", "postgres", "-d", "cor", "-q", "-c", sql]);
  };
  return { url, exec, stop };
};
