/**
 * Truthful readiness for operators and load balancers: GET /readiness compares the block ponder has indexed
 * (its own /status) with the chain head read straight from the RPC (not through ponder's request queue, which
 * is what stalls), and tracks whether the indexed block still advances.
 *
 * 200 {status:"ok"}               indexed within COR_INDEXER_MAX_LAG_BLOCKS of the head
 * 503 {status:"backfilling"}      ponder's historical sync is not done (/ready is 503)
 * 503 {status:"catching_up"}      behind the head but advancing
 * 503 {status:"stalled"}          behind the head and no progress for COR_INDEXER_STALL_SECONDS: restart it
 * 503 {status:"rpc_unreachable"}  the chain head cannot be read, so freshness is unknown
 *
 * Every answer carries indexedBlock, headBlock, lagBlocks, lagSeconds and secondsSinceProgress.
 */
import { Hono } from "hono";
import { createPublicClient, http } from "viem";

const envInt = (name: string, fallback: number): number => {
  const n = Number(process.env[name]);
  return Number.isInteger(n) && n >= 0 && process.env[name] !== "" ? n : fallback;
};
const maxLagBlocks = envInt("COR_INDEXER_MAX_LAG_BLOCKS", 5);
const stallSeconds = envInt("COR_INDEXER_STALL_SECONDS", 15);

const rpcUrl = (): string => {
  const perChain = Object.keys(process.env).find((k) => /^PONDER_RPC_URL_\d+$/.test(k));
  return (perChain && process.env[perChain]) || process.env.COR_RPC_URL || "http://127.0.0.1:8545";
};
const chain = createPublicClient({ transport: http(rpcUrl(), { timeout: 3_000, retryCount: 0 }) });

/** Last indexed block seen and when it last changed (module state: one ponder server process). */
let progress = { block: -1, changedAt: Date.now() };

const withTimeout = async (url: string): Promise<Response> => fetch(url, { signal: AbortSignal.timeout(3_000) });

export const health = new Hono();

health.get("/readiness", async (c) => {
  const self = new URL(c.req.url);
  let indexed: { number: number; timestamp: number } | undefined;
  let ponderReady = false;
  try {
    const [status, ready] = await Promise.all([
      withTimeout(`${self.origin}/status`),
      withTimeout(`${self.origin}/ready`),
    ]);
    ponderReady = ready.ok;
    const body = (await status.json()) as Record<string, { block?: { number: number; timestamp: number } }>;
    const blocks = Object.values(body)
      .map((s) => s.block)
      .filter((b): b is { number: number; timestamp: number } => b !== undefined);
    indexed = blocks.sort((a, b) => a.number - b.number)[0];
  } catch {
    // ponder's own server did not answer in time: reported below as not ready
  }
  const now = Date.now();
  if (indexed && indexed.number !== progress.block) progress = { block: indexed.number, changedAt: now };
  const secondsSinceProgress = Math.round((now - progress.changedAt) / 1000);
  let head: { number: number; timestamp: number } | undefined;
  try {
    const block = await chain.getBlock({ blockTag: "latest" });
    head = { number: Number(block.number), timestamp: Number(block.timestamp) };
  } catch {
    // RPC down: freshness unknown
  }
  const lagBlocks = head && indexed ? Math.max(0, head.number - indexed.number) : null;
  const report = {
    indexedBlock: indexed?.number ?? null,
    headBlock: head?.number ?? null,
    lagBlocks,
    lagSeconds: head && indexed ? Math.max(0, head.timestamp - indexed.timestamp) : null,
    secondsSinceProgress,
    maxLagBlocks,
    stallSeconds,
  };
  let status: "ok" | "backfilling" | "catching_up" | "stalled" | "rpc_unreachable";
  if (!head) status = "rpc_unreachable";
  else if (!ponderReady || !indexed)
    status = secondsSinceProgress > stallSeconds && indexed ? "stalled" : "backfilling";
  else if ((lagBlocks ?? 0) <= maxLagBlocks) status = "ok";
  else status = secondsSinceProgress > stallSeconds ? "stalled" : "catching_up";
  return c.json({ status, ...report }, status === "ok" ? 200 : 503);
});
