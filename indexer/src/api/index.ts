/**
 * HTTP API of the indexer (ponder serves /health, /ready, /status, /metrics itself):
 * - POST /graphql and / — GraphQL over every table (GraphiQL on GET)
 * - GET  /sql/db?sql=…  — SQL over HTTP, read-only (what @ponder/client speaks)
 * - GET  /stats, /leaderboard, /sessions/:id/summary — JSON for dashboards; amounts are decimal strings
 * - GET  /readiness — lag behind the chain head, 503 when not serving fresh data (health.ts)
 */
import { db } from "ponder:api";
import schema, { dailyStat, network, networkStat, node, session, task } from "ponder:schema";
import { Hono } from "hono";
import { and, asc, client, count, desc, eq, graphql, ne, replaceBigInts, sql } from "ponder";
import { health } from "./health.ts";

const app = new Hono();

// GET /readiness: lag behind the chain head, 503 when stalled (see health.ts).
app.route("/", health);

app.use("/sql/*", client({ db, schema }));
app.use("/graphql", graphql({ db, schema }));
app.use("/", graphql({ db, schema }));

/** JSON with bigints as decimal strings (COR wei do not fit a JS number). */
const json = <T>(value: T) => replaceBigInts(value, (v) => String(v));

const intParam = (raw: string | undefined, fallback: number, max: number): number => {
  const n = raw === undefined ? Number.NaN : Number(raw);
  return Number.isInteger(n) && n > 0 ? Math.min(n, max) : fallback;
};

/** Percentile `p` (0..1, interpolated) of task.finality_seconds over finalized tasks (optionally one session's). */
const finalityPercentile = async (p: number, sessionId?: number): Promise<number | null> => {
  const finalized = eq(task.status, "Finalized");
  const [row] = await db
    .select({ value: sql<string | null>`percentile_cont(${p}) within group (order by ${task.finalitySeconds})` })
    .from(task)
    .where(sessionId === undefined ? finalized : and(finalized, eq(task.sessionId, sessionId)));
  return row?.value == null ? null : Number(row.value);
};
const medianFinality = (sessionId?: number) => finalityPercentile(0.5, sessionId);

/** Task counts by status, every status present (0 when none). */
const countsByStatus = async (sessionId?: number) => {
  const rows = await db
    .select({ status: task.status, count: count() })
    .from(task)
    .where(sessionId === undefined ? undefined : eq(task.sessionId, sessionId))
    .groupBy(task.status);
  const counts: Record<string, number> = {};
  for (const status of ["Queued", "Committing", "Revealing", "Validating", "Finalized", "Failed"]) counts[status] = 0;
  for (const row of rows) counts[row.status] = row.count;
  return counts;
};

app.get("/stats", async (c) => {
  const days = intParam(c.req.query("days"), 30, 3650);
  const [params] = await db.select().from(network).limit(1);
  // The totals are sums over the tables (the network_stat view), computed now.
  const [totals] = await db.select().from(networkStat).limit(1);
  const perDay = await db.select().from(dailyStat).orderBy(desc(dailyStat.day)).limit(days);
  const nodes = await db
    .select({ role: node.role, status: node.status, count: count() })
    .from(node)
    .groupBy(node.role, node.status);
  return c.json(
    json({
      tasks: totals?.taskCount ?? 0,
      tokensServed: totals?.tokensServed ?? 0n,
      medianTimeToFinalitySeconds: await medianFinality(),
      p90TimeToFinalitySeconds: await finalityPercentile(0.9),
      tasksByStatus: await countsByStatus(),
      nodes,
      network: params && totals ? { ...params, ...totals } : null,
      tasksPerDay: perDay
        .reverse()
        .map((d) => ({ date: new Date(Number(d.day) * 1000).toISOString().slice(0, 10), ...d })),
    }),
  );
});

app.get("/leaderboard", async (c) => {
  const limit = intParam(c.req.query("limit"), 50, 1000);
  const bySpeed = c.req.query("by") === "speed";
  const rows = await db
    .select({
      id: node.id,
      account: node.account,
      status: node.status,
      score: node.score,
      speed: node.speed,
      accepted: node.accepted,
      rejected: node.rejected,
      timedOut: node.timedOut,
      unverified: node.unverified,
      tokensServed: node.tokensServed,
      rewardsEarned: node.rewardsEarned,
      stake: node.stake,
      endpoint: node.endpoint,
      // The work it consents to and how much of its capacity is taken (routers pick within offers).
      offerMinPrice: node.offerMinPrice,
      offerCapacity: node.offerCapacity,
      offerModes: node.offerModes,
      open: node.open,
    })
    .from(node)
    .where(and(eq(node.role, "Miner"), ne(node.status, "Unregistered")))
    .orderBy(...(bySpeed ? [desc(node.speed), desc(node.score)] : [desc(node.score), desc(node.speed)]), asc(node.id))
    .limit(limit);
  return c.json(
    json(
      rows.map((r, i) => {
        const settled = r.accepted + r.rejected + r.timedOut;
        return { rank: i + 1, ...r, acceptanceRate: settled === 0 ? null : r.accepted / settled };
      }),
    ),
  );
});

app.get("/sessions/:id/summary", async (c) => {
  const id = Number(c.req.param("id"));
  if (!Number.isInteger(id) || id <= 0 || id > 0xffffffff) return c.json({ error: "invalid session id" }, 400);
  const [row] = await db.select().from(session).where(eq(session.id, id));
  if (!row) return c.json({ error: `session ${id} not found` }, 404);
  const recent = await db
    .select({
      id: task.id,
      status: task.status,
      outputTokens: task.outputTokens,
      paid: task.paid,
      resultCid: task.resultCid,
      failReason: task.failReason,
      submittedTime: task.submittedTime,
      finalitySeconds: task.finalitySeconds,
    })
    .from(task)
    .where(eq(task.sessionId, id))
    .orderBy(desc(task.index))
    .limit(intParam(c.req.query("limit"), 20, 1000));
  return c.json(
    json({
      session: row,
      tasksByStatus: await countsByStatus(id),
      medianTimeToFinalitySeconds: await medianFinality(id),
      averageCostPerTask: row.tasksFinalized === 0 ? null : row.spent / BigInt(row.tasksFinalized),
      recentTasks: recent,
    }),
  );
});

export default app;
