import type { Db } from "./db.ts";

/**
 * Metering. A row is written before a request is forwarded (state `pending`) and completed after it, so a
 * gateway that dies mid-request leaves a `pending` row that the sweeper of any gateway later marks
 * `incomplete`: a request is never lost from the books.
 *
 * States: pending → complete (answered) | failed (no task was submitted: nothing charged) | incomplete (a task
 * was or may have been submitted but the answer never reached the client) | rejected (refused by the gateway).
 */
export type UsageState = "pending" | "complete" | "failed" | "incomplete" | "rejected";

export type UsageRow = {
  requestId: string;
  keyId: string;
  route: string;
  model: string | null;
  state: UsageState;
  status: number | null;
  stream: boolean;
  reservedTokens: number;
  promptTokens: number | null;
  completionTokens: number | null;
  costWei: string | null;
  latencyMs: number | null;
  router: string | null;
  taskId: string | null;
  attempts: number;
  error: string | null;
  gateway: string;
  createdAt: string;
  finishedAt: string | null;
};

type Raw = Record<string, unknown>;
const num = (v: unknown) => (v === null || v === undefined ? null : Number(v));
const toRow = (r: Raw): UsageRow => ({
  requestId: String(r.request_id),
  keyId: String(r.key_id),
  route: String(r.route),
  model: (r.model as string | null) ?? null,
  state: r.state as UsageState,
  status: num(r.status),
  stream: Boolean(r.stream),
  reservedTokens: Number(r.reserved_tokens),
  promptTokens: num(r.prompt_tokens),
  completionTokens: num(r.completion_tokens),
  costWei: r.cost_wei === null || r.cost_wei === undefined ? null : String(r.cost_wei),
  latencyMs: num(r.latency_ms),
  router: (r.router as string | null) ?? null,
  taskId: (r.task_id as string | null) ?? null,
  attempts: Number(r.attempts),
  error: (r.error as string | null) ?? null,
  gateway: String(r.gateway),
  createdAt: new Date(r.created_at as string).toISOString(),
  finishedAt: r.finished_at ? new Date(r.finished_at as string).toISOString() : null,
});

export const beginUsage = async (
  db: Db,
  r: {
    requestId: string;
    keyId: string;
    route: string;
    model: string | null;
    stream: boolean;
    reservedTokens: number;
    gateway: string;
    state?: UsageState;
    status?: number;
    error?: string;
  },
): Promise<void> => {
  const state = r.state ?? "pending";
  await db.query(
    `INSERT INTO gateway_usage (request_id, key_id, route, model, stream, reserved_tokens, gateway, state, status, error, finished_at)
     VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, CASE WHEN $8 = 'pending' THEN NULL ELSE now() END)`,
    [
      r.requestId,
      r.keyId,
      r.route,
      r.model,
      r.stream,
      r.reservedTokens,
      r.gateway,
      state,
      r.status ?? null,
      r.error ?? null,
    ],
  );
};

export type UsageOutcome = {
  state: Exclude<UsageState, "pending">;
  status: number;
  promptTokens?: number;
  completionTokens?: number;
  costWei?: string;
  latencyMs: number;
  router?: string;
  taskId?: string;
  attempts: number;
  error?: string;
};

/** Completes a pending row (never rewrites a finished one). */
export const finishUsage = async (db: Db, requestId: string, o: UsageOutcome): Promise<void> => {
  await db.query(
    `UPDATE gateway_usage SET state = $2, status = $3, prompt_tokens = $4, completion_tokens = $5, cost_wei = $6, latency_ms = $7,
       router = $8, task_id = $9, attempts = $10, error = $11, finished_at = now()
     WHERE request_id = $1 AND state = 'pending'`,
    [
      requestId,
      o.state,
      o.status,
      o.promptTokens ?? null,
      o.completionTokens ?? null,
      o.costWei ?? null,
      o.latencyMs,
      o.router ?? null,
      o.taskId ?? null,
      o.attempts,
      o.error ?? null,
    ],
  );
};

/** Records which task a pending request submitted, as soon as it is known (a later crash keeps the link). */
export const noteTask = async (db: Db, requestId: string, taskId: string, router: string): Promise<void> => {
  await db.query("UPDATE gateway_usage SET task_id = $2, router = $3 WHERE request_id = $1 AND state = 'pending'", [
    requestId,
    taskId,
    router,
  ]);
};

/** Marks rows left `pending` for longer than `olderThanMs` (their gateway died) as `incomplete`; returns how many. */
export const sweepStale = async (db: Db, olderThanMs: number): Promise<number> => {
  const rows = await db.query(
    `UPDATE gateway_usage SET state = 'incomplete', error = 'gateway stopped before the request finished', finished_at = now()
     WHERE state = 'pending' AND created_at < now() - ($1::double precision * interval '1 millisecond') RETURNING request_id`,
    [olderThanMs],
  );
  return rows.length;
};

export type UsageSummary = {
  requests: number;
  byState: Record<string, number>;
  promptTokens: number;
  completionTokens: number;
  costWei: string;
};

/** Totals and the latest rows of one key since `since`. */
export const usageOf = async (
  db: Db,
  keyId: string,
  opts: { since?: Date; limit?: number } = {},
): Promise<{ summary: UsageSummary; rows: UsageRow[] }> => {
  const since = opts.since ?? new Date(0);
  const totals = await db.query<Raw>(
    `SELECT state, count(*) AS n, COALESCE(sum(prompt_tokens), 0) AS p, COALESCE(sum(completion_tokens), 0) AS c, COALESCE(sum(cost_wei), 0) AS w
     FROM gateway_usage WHERE key_id = $1 AND created_at >= $2 GROUP BY state`,
    [keyId, since.toISOString()],
  );
  const summary: UsageSummary = { requests: 0, byState: {}, promptTokens: 0, completionTokens: 0, costWei: "0" };
  let cost = 0n;
  for (const t of totals) {
    summary.byState[String(t.state)] = Number(t.n);
    summary.requests += Number(t.n);
    summary.promptTokens += Number(t.p);
    summary.completionTokens += Number(t.c);
    cost += BigInt(String(t.w).split(".")[0]);
  }
  summary.costWei = cost.toString();
  const rows = await db.query<Raw>(
    "SELECT * FROM gateway_usage WHERE key_id = $1 AND created_at >= $2 ORDER BY created_at DESC LIMIT $3",
    [keyId, since.toISOString(), opts.limit ?? 100],
  );
  return { summary, rows: rows.map(toRow) };
};

export const getUsage = async (db: Db, requestId: string): Promise<UsageRow | undefined> => {
  const [row] = await db.query<Raw>("SELECT * FROM gateway_usage WHERE request_id = $1", [requestId]);
  return row ? toRow(row) : undefined;
};
