import { parseArgs } from "node:util";
import { type Cluster, spawnGateway, startCluster, waitFor } from "../agents/test/gateway.harness.ts";
import { startPostgres } from "../indexer/test/harness.ts";

const { values } = parseArgs({
  options: {
    seconds: { type: "string", default: "60" },
    clients: { type: "string", default: "32" },
    tokens: { type: "string", default: "64" },
    samples: { type: "string", default: "200" },
    redundancy: { type: "string", default: "1,3" },
    db: { type: "string", default: "pglite" },
  },
});
const SECONDS = Number(values.seconds);
const CLIENTS = Number(values.clients);
const TOKENS = Number(values.tokens);
const SAMPLES = Number(values.samples);
const ADMIN = "bench-admin";
const out = (s: string) => process.stdout.write(`${s}\n`);

const pct = (xs: number[], p: number) => {
  if (!xs.length) return Number.NaN;
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.floor((p / 100) * s.length))];
};
const fmt = (ms: number) => `${ms.toFixed(2)} ms`;
const timed = async (fn: () => Promise<Response>): Promise<{ ms: number; res: Response; body: string }> => {
  const t = performance.now();
  const res = await fn();
  const body = await res.text();
  return { ms: performance.now() - t, res, body };
};

const createKey = async (gateway: string, name: string) => {
  const res = await fetch(`${gateway}/admin/keys`, {
    method: "POST",
    headers: { authorization: `Bearer ${ADMIN}`, "content-type": "application/json" },
    body: JSON.stringify({ name }),
  });
  if (!res.ok) throw new Error(`key: ${res.status} ${await res.text()}`);
  return ((await res.json()) as { key: string }).key;
};

const latency = async (cluster: Cluster, gw: { url: string; nginx: string | null }, key: string) => {
  const router = cluster.routers[0].url;
  const secret = { "x-cor-gateway-secret": cluster.secret };
  const auth = { authorization: `Bearer ${key}` };
  const pairs = async (n: number, direct: () => Promise<Response>, via: () => Promise<Response>) => {
    const a: number[] = [];
    const b: number[] = [];
    const own: number[] = [];
    for (let i = 0; i < n; i++) {
      const d = await timed(direct);
      const g = await timed(via);
      if (!d.res.ok || !g.res.ok)
        throw new Error(`latency sample failed: ${d.res.status} ${g.res.status} ${g.body.slice(0, 200)}`);
      a.push(d.ms);
      b.push(g.ms);
      const st = /gateway;dur=([\d.]+)/.exec(g.res.headers.get("server-timing") ?? "");
      if (st) own.push(Number(st[1]));
    }
    return { a, b, own };
  };
  const row = (name: string, r: { a: number[]; b: number[] }) =>
    out(
      `  ${name.padEnd(34)} router ${fmt(pct(r.a, 50))} / ${fmt(pct(r.a, 99))}   via ${fmt(pct(r.b, 50))} / ${fmt(pct(r.b, 99))}   added p50 ${fmt(pct(r.b, 50) - pct(r.a, 50))}, p99 ${fmt(pct(r.b, 99) - pct(r.a, 99))}`,
    );
  // Warm up: connections, the house session, the tokenizer.
  for (let i = 0; i < 3; i++) {
    await fetch(`${gw.url}/v1/completions`, {
      method: "POST",
      headers: { ...auth, "content-type": "application/json" },
      body: JSON.stringify({ model: cluster.deployment.modelName, prompt: "Hi", max_tokens: 2 }),
    }).then((r) => r.text());
  }
  out("\nAdded latency (same run, alternating requests; p50 / p99):");
  const nginxOnly = await pairs(
    SAMPLES,
    () => fetch(`${router}/health`),
    () => fetch(`${gw.nginx}/pools/default/health`),
  );
  row("nginx alone (GET /health)", nginxOnly);
  const read = await pairs(
    SAMPLES,
    () => fetch(`${router}/api/v1/status`, { headers: secret }),
    () => fetch(`${gw.url}/api/v1/status`, { headers: auth }),
  );
  row("gateway+nginx (GET /api/v1/status)", read);
  const body = JSON.stringify({ model: cluster.deployment.modelName, prompt: "Once upon a time", max_tokens: 8 });
  const n = Math.max(20, Math.floor(SAMPLES / 5));
  const comp = await pairs(
    n,
    () =>
      fetch(`${router}/v1/completions`, {
        method: "POST",
        headers: { ...secret, "content-type": "application/json" },
        body,
      }),
    () =>
      fetch(`${gw.url}/v1/completions`, {
        method: "POST",
        headers: { ...auth, "content-type": "application/json" },
        body,
      }),
  );
  row(`completions, 8 tokens (n=${n})`, comp);
  out(
    `  ${"gateway's own time per completion".padEnd(34)} p50 ${fmt(pct(comp.own, 50))}, p99 ${fmt(pct(comp.own, 99))}  (server-timing: auth, limits, usage row, relay; excludes nginx+router)`,
  );
};

const load = async (cluster: Cluster, gw: { url: string }, r: number) => {
  const name = `load-r${r}`;
  const key = await createKey(gw.url, name);
  const lat: number[] = [];
  const errors: Record<string, number> = {};
  let requests = 0;
  const body = JSON.stringify({
    model: cluster.deployment.modelName,
    prompt: "Once upon a time, there was a",
    max_tokens: TOKENS,
  });
  const until = Date.now() + SECONDS * 1000;
  const started = Date.now();
  await Promise.all(
    Array.from({ length: CLIENTS }, async () => {
      while (Date.now() < until) {
        requests++;
        try {
          const t = await timed(() =>
            fetch(`${gw.url}/v1/completions`, {
              method: "POST",
              headers: { authorization: `Bearer ${key}`, "content-type": "application/json" },
              body,
            }),
          );
          if (t.res.ok) lat.push(t.ms);
          else {
            const code = (JSON.parse(t.body) as { error?: { code?: string } }).error?.code ?? String(t.res.status);
            errors[code] = (errors[code] ?? 0) + 1;
          }
        } catch {
          errors.network = (errors.network ?? 0) + 1;
          await new Promise((res) => setTimeout(res, 100));
        }
      }
    }),
  );
  const elapsed = (Date.now() - started) / 1000;
  const usage = await waitFor(
    async () => {
      const u = (await (
        await fetch(`${gw.url}/admin/keys/${name}/usage?limit=1`, { headers: { authorization: `Bearer ${ADMIN}` } })
      ).json()) as { summary: { requests: number; byState: Record<string, number> } };
      return u.summary.byState.pending ? undefined : u.summary;
    },
    "usage rows settled",
    60_000,
  );
  const ok = lat.length;
  out(
    `  R=${r}: ${CLIENTS} clients × ${SECONDS}s, ${TOKENS} tokens: ${requests} requests, ${(ok / elapsed).toFixed(2)} req/s ok, p50 ${fmt(pct(lat, 50))}, p99 ${fmt(pct(lat, 99))}, errors ${JSON.stringify(errors)}; usage rows ${usage.requests} (${usage.requests === requests ? "==" : "!="} requests) ${JSON.stringify(usage.byState)}`,
  );
};

const main = async () => {
  process.env.COR_LOG_LEVEL = "error";
  for (const r of String(values.redundancy).split(",").map(Number)) {
    out(`\n=== R=${r}: starting anvil, 3 miners, 2 routers (redundancy ${r}), gateway + nginx ===`);
    const cluster = await startCluster({ miners: 3, routers: 2, childRouters: true, redundancy: r });
    // --db postgres: a throwaway PostgreSQL server (as several gateway processes would share); default PGlite.
    const pg = values.db === "postgres" ? await startPostgres() : undefined;
    const gw = await spawnGateway(cluster, { name: "gateway", adminKey: ADMIN, databaseUrl: pg?.url });
    if (!gw.nginx)
      throw new Error("nginx is not installed: the benchmark measures gateway + nginx (apt-get install nginx)");
    out(`gateway ${gw.url} (db ${gw.db}), nginx ${gw.nginx}`);
    try {
      if (r === 1) await latency(cluster, gw, await createKey(gw.url, "latency"));
      out(`\nSustained load (R=${r}):`);
      await load(cluster, gw, r);
    } finally {
      await gw.stop();
      await cluster.stop();
      await pg?.stop();
    }
  }
};

main().then(
  () => process.exit(0),
  (err) => {
    process.stderr.write(`bench-gateway: ${String((err as Error).stack ?? err)}\n`);
    process.exit(1);
  },
);
