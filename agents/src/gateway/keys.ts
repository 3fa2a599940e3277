import { createHash, randomBytes } from "node:crypto";
import type { Db } from "./db.ts";

/** An API key as stored: only the SHA-256 of the secret is kept. */
export type ApiKey = {
  id: string;
  name: string;
  rpm: number | null;
  tokensPerDay: number | null;
  /** Model aliases the key may use; null = every alias of the gateway. */
  models: string[] | null;
  createdAt: string;
  revokedAt: string | null;
};

export type CreateKeyParameters = { name: string; rpm?: number; tokensPerDay?: number; models?: string[] };

const KEY_FORMAT = /^cor-([0-9a-f]{12})_[A-Za-z0-9_-]{32}$/;
const NAME_FORMAT = /^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$/;

export const hashKey = (key: string): string => createHash("sha256").update(key).digest("hex");

/** The public id inside a key (`cor-<id>_<secret>`), or undefined when the string is not a key. */
export const keyIdOf = (key: string): string | undefined => KEY_FORMAT.exec(key)?.[1];

type KeyRow = {
  id: string;
  name: string;
  rpm: number | null;
  tokens_per_day: string | number | null;
  models: string[] | null;
  created_at: Date | string;
  revoked_at: Date | string | null;
};
const toKey = (r: KeyRow): ApiKey => ({
  id: r.id,
  name: r.name,
  rpm: r.rpm === null ? null : Number(r.rpm),
  tokensPerDay: r.tokens_per_day === null ? null : Number(r.tokens_per_day),
  models: r.models,
  createdAt: new Date(r.created_at).toISOString(),
  revokedAt: r.revoked_at === null ? null : new Date(r.revoked_at).toISOString(),
});

export class KeyInputError extends Error {
  override readonly name = "KeyInputError";
}

const positive = (value: number | undefined, what: string) => {
  if (value !== undefined && (!Number.isSafeInteger(value) || value < 1))
    throw new KeyInputError(`${what} must be a positive whole number`);
};

/** Creates a key and returns it with its secret: the only time the secret exists outside the caller. */
export const createKey = async (db: Db, p: CreateKeyParameters): Promise<ApiKey & { key: string }> => {
  if (!NAME_FORMAT.test(p.name))
    throw new KeyInputError("name must be 1-64 characters of letters, digits, '.', '_' or '-'");
  positive(p.rpm, "rpm");
  positive(p.tokensPerDay, "tokens-per-day");
  const models = p.models?.map((m) => m.trim()).filter(Boolean);
  if (models && models.length === 0) throw new KeyInputError("models must name at least one model");
  const id = randomBytes(6).toString("hex");
  const key = `cor-${id}_${randomBytes(24).toString("base64url")}`;
  try {
    const [row] = await db.query<KeyRow>(
      "INSERT INTO gateway_keys (id, name, hash, rpm, tokens_per_day, models) VALUES ($1, $2, $3, $4, $5, $6) RETURNING *",
      [id, p.name, hashKey(key), p.rpm ?? null, p.tokensPerDay ?? null, models ?? null],
    );
    return { ...toKey(row), key };
  } catch (err) {
    // SQLSTATE 23505 unique_violation (PostgreSQL and PGlite alike): the name is taken.
    if ((err as { code?: unknown }).code === "23505") throw new KeyInputError(`a key named '${p.name}' exists already`);
    throw err;
  }
};

export const listKeys = async (db: Db): Promise<ApiKey[]> =>
  (await db.query<KeyRow>("SELECT * FROM gateway_keys ORDER BY created_at, name")).map(toKey);

/** Finds a key by name or id (revoked keys included). */
export const findKey = async (db: Db, nameOrId: string): Promise<ApiKey | undefined> => {
  const [row] = await db.query<KeyRow>("SELECT * FROM gateway_keys WHERE name = $1 OR id = $1", [nameOrId]);
  return row ? toKey(row) : undefined;
};

/** Revokes a key; every later request with it is refused (lookups are never cached). */
export const revokeKey = async (db: Db, nameOrId: string): Promise<ApiKey> => {
  const [row] = await db.query<KeyRow>(
    "UPDATE gateway_keys SET revoked_at = COALESCE(revoked_at, now()) WHERE name = $1 OR id = $1 RETURNING *",
    [nameOrId],
  );
  if (!row) throw new KeyInputError(`no key named '${nameOrId}'`);
  return toKey(row);
};

/** The active key for a bearer secret, or undefined (unknown, malformed or revoked). */
export const authenticate = async (db: Db, secret: string): Promise<ApiKey | undefined> => {
  if (!keyIdOf(secret)) return undefined;
  const [row] = await db.query<KeyRow>("SELECT * FROM gateway_keys WHERE hash = $1 AND revoked_at IS NULL", [
    hashKey(secret),
  ]);
  return row ? toKey(row) : undefined;
};
