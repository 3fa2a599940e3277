/**
 * Truthful readiness for operators, load balancers and the supervisor: GET /readiness compares how far ponder's
 * realtime sync got (`ponder_sync_block`, in-memory metrics: it advances on empty blocks too, unlike the
 * checkpoint /status reports) with the chain head read straight from the RPC (not through ponder's request queue,
 * which is what freezes), and tracks whether the synced block still advances.
 *
 * 200 {status:"ok"}               synced within COR_INDEXER_MAX_LAG_BLOCKS of the head
 * 503 {status:"backfilling"}      the historical sync is not done yet
 * 503 {status:"catching_up"}      behind the head but advancing
 * 503 {status:"stalled"}          behind the head (by any number of blocks) and no progress for
 *                                 COR_INDEXER_STALL_SECONDS: restart it
 * 503 {status:"rpc_unreachable"}  the chain head cannot be read, so freshness is unknown
 *
 * Every answer carries syncedBlock, indexedBlock (last checkpoint with events), headBlock, lagBlocks, lagSeconds,
 * secondsSinceProgress and checkedAt. The state is refreshed every 2 s in the background, so the endpoint answers
 * at once even while the RPC or ponder's own database is slow.
 *
 * Why: ponder 0.16 keeps polling a failing RPC for up to 10 minutes and may not resume after an outage (seen after
 * a 20 s anvil pause), while /health and /ready stay 200.
 */
import { Hono } from "hono";
import { createPublicClient, http } from "viem";

const envInt = (name: string, fallback: number): number => {
  const raw = process.env[name];
  const n = Number(raw);
  return raw !== undefined && raw !== "" && Number.isInteger(n) && n >= 0 ? n : fallback;
};
const maxLagBlocks = envInt("COR_INDEXER_MAX_LAG_BLOCKS", 5);
const stallSeconds = envInt("COR_INDEXER_STALL_SECONDS", 15);

const rpcUrl = (): string => {
  const perChain = Object.keys(process.env).find((k) => /^PONDER_RPC_URL_\d+$/.test(k));
  return (perChain && process.env[perChain]) || process.env.COR_RPC_URL || "http://127.0.0.1:8545";
};
const chain = createPublicClient({ transport: http(rpcUrl(), { timeout: 3_000, retryCount: 0 }) });

/** This ponder server's own base URL (its --port flag; ponder's default 42069). */
const selfUrl = (): string => {
  const i = process.argv.indexOf("--port");
  const port = i >= 0 ? process.argv[i + 1] : (process.env.PORT ?? "42069");
  return `http://127.0.0.1:${port}`;
};

type Block = { number: number; timestamp: number };
type Readiness = {
  status: "ok" | "backfilling" | "catching_up" | "stalled" | "rpc_unreachable";
  syncedBlock: number | null;
  indexedBlock: number | null;
  headBlock: number | null;
  lagBlocks: number | null;
  lagSeconds: number | null;
  secondsSinceProgress: number;
  maxLagBlocks: number;
  stallSeconds: number;
  checkedAt: string;
};

const metric = (text: string, name: string): number | undefined => {
  const line = text.split("\n").find((l) => l.startsWith(`${name}{`) || l.startsWith(`${name} `));
  const value = line ? Number(line.slice(line.lastIndexOf(" ") + 1)) : Number.NaN;
  return Number.isFinite(value) ? value : undefined;
};

const get = async (url: string) => fetch(url, { signal: AbortSignal.timeout(3_000) });

let progress = { block: -1, changedAt: Date.now() };
let latest: Readiness | undefined;

/** One evaluation: ponder's metrics and checkpoint, the chain head, and how long since the synced block moved. */
export const evaluate = async (): Promise<Readiness> => {
  const base = selfUrl();
  const [metrics, status, head] = await Promise.all([
    get(`${base}/metrics`)
      .then((r) => r.text())
      .catch(() => ""),
    get(`${base}/status`)
      .then((r) => r.json() as Promise<Record<string, { block?: Block }>>)
      .catch(() => ({}) as Record<string, { block?: Block }>),
    chain
      .getBlock({ blockTag: "latest" })
      .then((b): Block => ({ number: Number(b.number), timestamp: Number(b.timestamp) }))
      .catch(() => undefined),
  ]);
  const synced = metric(metrics, "ponder_sync_block");
  const syncedAt = metric(metrics, "ponder_sync_block_timestamp");
  const realtime = metric(metrics, "ponder_sync_is_realtime") === 1;
  const indexed = Object.values(status)
    .map((s) => s.block?.number)
    .filter((n): n is number => n !== undefined)
    .sort((a, b) => a - b)[0];
  const now = Date.now();
  if (synced !== undefined && synced !== progress.block) progress = { block: synced, changedAt: now };
  const secondsSinceProgress = Math.round((now - progress.changedAt) / 1000);
  const lagBlocks = head && synced !== undefined ? Math.max(0, head.number - synced) : null;
  let state: Readiness["status"];
  if (!head) state = "rpc_unreachable";
  else if (!realtime || synced === undefined)
    state = secondsSinceProgress > stallSeconds * 4 ? "stalled" : "backfilling";
  // Behind the head with no progress for stallSeconds is a stall even within maxLagBlocks: a sync stuck a few
  // blocks short of a chain that stopped producing blocks would otherwise report "ok" forever.
  else if ((lagBlocks ?? 0) > 0 && secondsSinceProgress > stallSeconds) state = "stalled";
  else state = (lagBlocks ?? 0) <= maxLagBlocks ? "ok" : "catching_up";
  latest = {
    status: state,
    syncedBlock: synced ?? null,
    indexedBlock: indexed ?? null,
    headBlock: head?.number ?? null,
    lagBlocks,
    lagSeconds: head && syncedAt !== undefined ? Math.max(0, head.timestamp - syncedAt) : null,
    secondsSinceProgress,
    maxLagBlocks,
    stallSeconds,
    checkedAt: new Date(now).toISOString(),
  };
  return latest;
};

let running = false;
const tick = async () => {
  if (running) return;
  running = true;
  await evaluate().catch(() => undefined);
  running = false;
};
setInterval(tick, 2_000).unref();

export const health = new Hono();

health.get("/readiness", async (c) => {
  const r = latest ?? (await evaluate());
  return c.json(r, r.status === "ok" ? 200 : 503);
});
