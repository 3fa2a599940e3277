import { mkdirSync } from "node:fs";
import type { Logger } from "../shared/logger.ts";

/**
 * The gateway's storage: PostgreSQL through `pg` when DATABASE_URL is set (several gateway processes share it),
 * PGlite in a data directory otherwise (one process). Every statement the gateway runs is a single SQL statement
 * that is atomic on its own, so the same code is correct on both.
 */
export type Db = {
  kind: "postgres" | "pglite";
  query: <T = Record<string, unknown>>(sql: string, params?: readonly unknown[]) => Promise<T[]>;
  close: () => Promise<void>;
};

const SCHEMA = `
CREATE TABLE IF NOT EXISTS gateway_keys (
  id             text PRIMARY KEY,
  name           text NOT NULL UNIQUE,
  hash           text NOT NULL UNIQUE,
  rpm            integer,
  tokens_per_day bigint,
  models         text[],
  created_at     timestamptz NOT NULL DEFAULT now(),
  revoked_at     timestamptz
);
CREATE TABLE IF NOT EXISTS gateway_rate (
  key_id       text NOT NULL,
  window_start bigint NOT NULL,
  count        integer NOT NULL,
  PRIMARY KEY (key_id, window_start)
);
CREATE TABLE IF NOT EXISTS gateway_tokens (
  key_id text NOT NULL,
  day    date NOT NULL,
  tokens bigint NOT NULL,
  PRIMARY KEY (key_id, day)
);
CREATE TABLE IF NOT EXISTS gateway_usage (
  request_id        text PRIMARY KEY,
  key_id            text NOT NULL,
  route             text NOT NULL,
  model             text,
  state             text NOT NULL,
  status            integer,
  stream            boolean NOT NULL DEFAULT false,
  reserved_tokens   integer NOT NULL DEFAULT 0,
  prompt_tokens     integer,
  completion_tokens integer,
  cost_wei          numeric(78, 0),
  latency_ms        integer,
  router            text,
  task_id           text,
  attempts          integer NOT NULL DEFAULT 0,
  error             text,
  gateway           text NOT NULL,
  created_at        timestamptz NOT NULL DEFAULT now(),
  finished_at       timestamptz
);
CREATE INDEX IF NOT EXISTS gateway_usage_key_time ON gateway_usage (key_id, created_at);
CREATE INDEX IF NOT EXISTS gateway_usage_pending ON gateway_usage (created_at) WHERE state = 'pending';
CREATE TABLE IF NOT EXISTS gateway_bindings (
  key_id     text NOT NULL,
  session_id bigint NOT NULL,
  owner      text NOT NULL,
  expires_at bigint NOT NULL,
  signature  text NOT NULL,
  created_at timestamptz NOT NULL DEFAULT now(),
  PRIMARY KEY (key_id, session_id)
);
`;

/** Serialises schema creation across processes sharing one PostgreSQL (CREATE ... IF NOT EXISTS races otherwise). */
const MIGRATION_LOCK = 0x636f7267; // "corg"

/** Opens the gateway database and creates its tables if needed. */
export const openDb = async (opts: { databaseUrl?: string; dataDir: string; logger?: Logger }): Promise<Db> => {
  if (opts.databaseUrl) {
    const { default: pg } = await import("pg");
    const pool = new pg.Pool({ connectionString: opts.databaseUrl, max: 16 });
    pool.on("error", (err) => opts.logger?.warn({ err: String(err) }, "PostgreSQL client error"));
    const client = await pool.connect();
    try {
      await client.query("BEGIN");
      await client.query("SELECT pg_advisory_xact_lock($1)", [MIGRATION_LOCK]);
      await client.query(SCHEMA);
      await client.query("COMMIT");
    } catch (err) {
      await client.query("ROLLBACK").catch(() => undefined);
      throw err;
    } finally {
      client.release();
    }
    return {
      kind: "postgres",
      query: async (sql, params) => (await pool.query(sql, params as unknown[])).rows,
      close: () => pool.end(),
    };
  }
  const { PGlite } = await import("@electric-sql/pglite");
  mkdirSync(opts.dataDir, { recursive: true });
  const db = await PGlite.create(opts.dataDir);
  await db.exec(SCHEMA);
  return {
    kind: "pglite",
    query: async <T>(sql: string, params?: readonly unknown[]) => (await db.query<T>(sql, params as unknown[])).rows,
    close: () => db.close(),
  };
};
