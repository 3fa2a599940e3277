import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type Postgres, postgresAvailable, startPostgres } from "../../indexer/test/harness.ts";
import { type Db, openDb } from "../src/gateway/db.ts";
import { type Cluster, runCor, spawnGateway, startCluster, waitFor } from "./gateway.harness.ts";

// Two `cor gateway` processes (each with its own generated nginx) share one real PostgreSQL in front of two
// `cor router` processes and three miners on stories260K. Limits hold across the processes; a router killed
// with SIGKILL under load costs no request more than a clean, documented error, and usage rows match requests.

let cluster: Cluster;
let pg: Postgres;
let db: Db;
const gateways: Awaited<ReturnType<typeof spawnGateway>>[] = [];
const ADMIN = "admin-failover";
let model = "";

beforeAll(async () => {
  if (!postgresAvailable()) throw new Error("PostgreSQL is not installed (apt-get install postgresql)");
  pg = await startPostgres();
  cluster = await startCluster({ miners: 3, routers: 2, childRouters: true });
  model = cluster.deployment.modelName;
  for (const name of ["gateway-0", "gateway-1"])
    gateways.push(await spawnGateway(cluster, { name, adminKey: ADMIN, databaseUrl: pg.url }));
  db = await openDb({ databaseUrl: pg.url, dataDir: "" });
}, 280_000);

afterAll(async () => {
  for (const g of gateways) await g.stop();
  await db?.close();
  await cluster?.stop();
  await pg?.stop();
});

const newKey = async (args: string[]) => {
  const r = await runCor(["keys", "create", ...args, "--database-url", pg.url]);
  expect(r.code, r.stderr).toBe(0);
  return r.stdout.trim();
};

type Outcome = { requestId: string; ok: boolean; status: number; code?: string; taskId?: string; stream: boolean };

/** One request, reading a stream to its end; classifies the result. */
const request = async (gateway: string, key: string, stream: boolean, maxTokens: number): Promise<Outcome> => {
  const res = await fetch(`${gateway}/v1/completions`, {
    method: "POST",
    headers: { "content-type": "application/json", authorization: `Bearer ${key}` },
    body: JSON.stringify({ model, prompt: "Once upon a time, a little", max_tokens: maxTokens, stream }),
  });
  const requestId = res.headers.get("x-request-id") ?? "";
  const text = await res.text();
  if (!stream || res.status !== 200) {
    const body = JSON.parse(text) as { error?: { code: string; task_id?: string }; cor?: { task_id: string } };
    return {
      requestId,
      ok: res.status === 200,
      status: res.status,
      code: body.error?.code,
      taskId: body.error?.task_id ?? body.cor?.task_id,
      stream,
    };
  }
  const events = text
    .split("\n\n")
    .filter((e) => e.startsWith("data: "))
    .map((e) => e.slice(6));
  const error = events
    .map((e) => (e === "[DONE]" ? undefined : (JSON.parse(e) as { error?: { code: string; task_id?: string } }).error))
    .find(Boolean);
  return {
    requestId,
    ok: !error && events.at(-1) === "[DONE]",
    status: 200,
    code: error?.code,
    taskId: error?.task_id ?? undefined,
    stream,
  };
};

describe("gateway processes on one PostgreSQL", () => {
  it("rpm is enforced across both gateway processes: 30 concurrent requests, rpm 10 → exactly 10 admitted", async () => {
    const key = await newKey(["--name", "shared-rpm", "--rpm", "10"]);
    const results = await Promise.all(
      Array.from({ length: 30 }, (_, i) => request(gateways[i % 2].url, key, false, 2)),
    );
    expect(results.filter((r) => r.status === 429)).toHaveLength(20);
    expect(results.filter((r) => r.ok)).toHaveLength(10);
    const [row] = await db.query<{ n: string }>(
      "SELECT count(*) AS n FROM gateway_usage u JOIN gateway_keys k ON k.id = u.key_id WHERE k.name = 'shared-rpm'",
    );
    expect(Number(row.n)).toBe(30);
  });

  it("kill -9 of a router under load: every request completes elsewhere or gets a documented error; usage rows match", async () => {
    const key = await newKey(["--name", "load"]);
    const outcomes: Outcome[] = [];
    let stop = false;
    const clients = Array.from({ length: 8 }, async (_, c) => {
      for (let i = 0; !stop; i++) outcomes.push(await request(gateways[(c + i) % 2].url, key, (c + i) % 2 === 0, 16));
    });
    await new Promise((r) => setTimeout(r, 8_000));
    const before = outcomes.length;
    cluster.routers[0].process?.kill("SIGKILL");
    await new Promise((r) => setTimeout(r, 15_000));
    stop = true;
    await Promise.all(clients);

    const documented = new Set(["stream_interrupted", "routers_unavailable", "stream_lost", "task_failed"]);
    const bad = outcomes.filter((o) => !o.ok && !(o.code && documented.has(o.code)));
    expect(bad, JSON.stringify(bad)).toEqual([]);
    expect(outcomes.slice(before).filter((o) => o.ok).length).toBeGreaterThan(3); // the surviving router carries on
    // A request that was submitted before the cut names its task.
    for (const o of outcomes.filter((x) => x.code === "stream_interrupted")) expect(o.taskId).toMatch(/^\d+$/);

    // Usage: one row per request, none left pending, each task charged at most once.
    await waitFor(
      async () => {
        const [p] = await db.query<{ n: string }>(
          "SELECT count(*) AS n FROM gateway_usage u JOIN gateway_keys k ON k.id = u.key_id WHERE k.name = 'load' AND state = 'pending'",
        );
        return Number(p.n) === 0 ? true : undefined;
      },
      "no pending rows",
      30_000,
    );
    const rows = await db.query<{ request_id: string; state: string; task_id: string | null }>(
      "SELECT request_id, state, task_id FROM gateway_usage u JOIN gateway_keys k ON k.id = u.key_id WHERE k.name = 'load'",
    );
    expect(rows).toHaveLength(outcomes.length);
    const byId = new Map(rows.map((r) => [r.request_id, r]));
    for (const o of outcomes)
      expect(byId.get(o.requestId)?.state, o.requestId).toEqual(
        o.ok ? "complete" : o.code === "routers_unavailable" ? "failed" : expect.stringMatching(/incomplete|failed/),
      );
    const charged = rows.filter((r) => r.state === "complete").map((r) => r.task_id);
    expect(new Set(charged).size).toBe(charged.length);
    process.stderr.write(
      `failover: ${outcomes.length} requests, ${outcomes.filter((o) => o.ok).length} ok, errors ${JSON.stringify(Object.fromEntries([...documented].map((c) => [c, outcomes.filter((o) => o.code === c).length])))}\n`,
    );
  }, 120_000);
});
