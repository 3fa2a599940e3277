import type { Db } from "./db.ts";
import type { ApiKey } from "./keys.ts";

/**
 * Per-key limits, enforced by single atomic SQL statements so that any number of gateway processes sharing one
 * PostgreSQL agree: a fixed one-minute window of requests (an upsert that only increments below the limit) and
 * a per-UTC-day budget of completion tokens (reserved at max_tokens before the request, settled to the real
 * count after it).
 */
export type LimitState = {
  requests?: { limit: number; remaining: number; resetMs: number };
  tokens?: { limit: number; remaining: number; resetMs: number };
};
export type LimitVerdict = (
  | { ok: true }
  | { ok: false; reason: "requests" | "tokens"; retryAfterS: number; message: string }
) &
  LimitState;

const MINUTE = 60_000;
const DAY = 86_400_000;

export const dayOf = (now: number): string => new Date(now).toISOString().slice(0, 10);

/** Counts one request against the key's requests-per-minute; refuses it (without counting) at the limit. */
export const takeRequest = async (db: Db, key: ApiKey, now = Date.now()): Promise<LimitVerdict> => {
  if (key.rpm === null) return { ok: true };
  const window = Math.floor(now / MINUTE);
  const resetMs = (window + 1) * MINUTE - now;
  const rows = await db.query<{ count: number }>(
    `INSERT INTO gateway_rate (key_id, window_start, count) VALUES ($1, $2, 1)
     ON CONFLICT (key_id, window_start) DO UPDATE SET count = gateway_rate.count + 1 WHERE gateway_rate.count < $3
     RETURNING count`,
    [key.id, window, key.rpm],
  );
  if (!rows.length) {
    return {
      ok: false,
      reason: "requests",
      retryAfterS: Math.max(1, Math.ceil(resetMs / 1000)),
      message: `Rate limit reached for key '${key.name}': ${key.rpm} requests per minute. Retry after ${Math.ceil(resetMs / 1000)} s.`,
      requests: { limit: key.rpm, remaining: 0, resetMs },
    };
  }
  return { ok: true, requests: { limit: key.rpm, remaining: key.rpm - Number(rows[0].count), resetMs } };
};

/** Reserves `tokens` completion tokens of today's budget; refuses (reserving nothing) when they do not fit. */
export const reserveTokens = async (db: Db, key: ApiKey, tokens: number, now = Date.now()): Promise<LimitVerdict> => {
  if (key.tokensPerDay === null) return { ok: true };
  const day = dayOf(now);
  const resetMs = (Math.floor(now / DAY) + 1) * DAY - now;
  const limit = key.tokensPerDay;
  const refuse = (used: number): LimitVerdict => ({
    ok: false,
    reason: "tokens",
    retryAfterS: Math.max(1, Math.ceil(resetMs / 1000)),
    message: `Token quota reached for key '${key.name}': ${used} of ${limit} completion tokens used today (UTC), this request reserves ${tokens} (its max_tokens).`,
    tokens: { limit, remaining: Math.max(0, limit - used), resetMs },
  });
  if (tokens > limit) return refuse(0);
  const rows = await db.query<{ tokens: string | number }>(
    `INSERT INTO gateway_tokens (key_id, day, tokens) VALUES ($1, $2, $3)
     ON CONFLICT (key_id, day) DO UPDATE SET tokens = gateway_tokens.tokens + $3 WHERE gateway_tokens.tokens + $3 <= $4
     RETURNING tokens`,
    [key.id, day, tokens, limit],
  );
  if (!rows.length) return refuse(await tokensUsed(db, key.id, day));
  return { ok: true, tokens: { limit, remaining: limit - Number(rows[0].tokens), resetMs } };
};

/** Moves a reservation to the real count (`delta` = used - reserved, usually negative) on the day it was made. */
export const settleTokens = async (db: Db, keyId: string, day: string, delta: number): Promise<void> => {
  if (delta === 0) return;
  await db.query("UPDATE gateway_tokens SET tokens = GREATEST(0, tokens + $3) WHERE key_id = $1 AND day = $2", [
    keyId,
    day,
    delta,
  ]);
};

export const tokensUsed = async (db: Db, keyId: string, day: string): Promise<number> => {
  const [row] = await db.query<{ tokens: string | number }>(
    "SELECT tokens FROM gateway_tokens WHERE key_id = $1 AND day = $2",
    [keyId, day],
  );
  return row ? Number(row.tokens) : 0;
};

/** Drops request windows older than the current minute (they can never be read again). */
export const pruneWindows = async (db: Db, now = Date.now()): Promise<void> => {
  await db.query("DELETE FROM gateway_rate WHERE window_start < $1", [Math.floor(now / MINUTE) - 1]);
};

/** OpenAI's `x-ratelimit-*` response headers for whatever limits the key has. */
export const rateLimitHeaders = (s: LimitState): Record<string, string> => {
  const h: Record<string, string> = {};
  const dur = (ms: number) => `${Math.max(0, Math.ceil(ms / 1000))}s`;
  if (s.requests) {
    h["x-ratelimit-limit-requests"] = String(s.requests.limit);
    h["x-ratelimit-remaining-requests"] = String(s.requests.remaining);
    h["x-ratelimit-reset-requests"] = dur(s.requests.resetMs);
  }
  if (s.tokens) {
    h["x-ratelimit-limit-tokens"] = String(s.tokens.limit);
    h["x-ratelimit-remaining-tokens"] = String(s.tokens.remaining);
    h["x-ratelimit-reset-tokens"] = dur(s.tokens.resetMs);
  }
  return h;
};
