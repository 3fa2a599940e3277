/**
 * The dashboard's HTTP server: the built app (dashboard/dist), its runtime `config.json`, same-origin proxies to
 * the chain RPC, the indexer and the router (none of them needs CORS then), and an IPFS route for "verify".
 *
 *   GET  /config.json      runtime config (URLs point at the proxies below)
 *   POST /rpc              → JSON-RPC of the chain
 *   *    /indexer/*        → Ponder (GraphQL, SQL over HTTP, /stats, /status)
 *   *    /router/*         → router (OpenAI + Cortensor-style API, SSE streams pass through unbuffered)
 *   GET  /ipfs/<cid>       raw bytes from the content store (server/ipfs.ts)
 *   GET  /*                the app; unknown paths get index.html (client-side routes are shareable URLs)
 */
import { existsSync, readFileSync, statSync } from "node:fs";
import type { AddressInfo } from "node:net";
import { extname, join, normalize, resolve } from "node:path";
import { serve } from "@hono/node-server";
import { type Context, Hono } from "hono";
import pino, { type Logger } from "pino";
import type { ContentStore } from "../../sdk/src/storage/index.ts";
import { type Address, type DashboardConfig, parseDashboardConfig } from "../src/runtimeConfig.ts";
import { ipfsGateway } from "./ipfs.ts";

export type DashboardUpstreams = {
  rpcUrl: string;
  indexerUrl: string;
  routerUrl?: string | undefined;
};

export type StartDashboardOptions = {
  /** Built app (vite build output). */
  distDir: string;
  upstreams: DashboardUpstreams;
  deployment: DashboardConfig["deployment"] & { chainId: number };
  chainName?: string | undefined;
  /** Content store for GET /ipfs/<cid>; without it "verify" is unavailable. */
  store?: ContentStore | undefined;
  devAccounts?: Address[] | undefined;
  refreshMs?: number | undefined;
  host?: string | undefined;
  /** 0 = any free port. */
  port?: number | undefined;
  logger?: Logger | undefined;
};

export type DashboardServer = { url: string; port: number; config: DashboardConfig; stop: () => Promise<void> };

const CONTENT_TYPES: Record<string, string> = {
  ".html": "text/html; charset=utf-8",
  ".js": "text/javascript; charset=utf-8",
  ".css": "text/css; charset=utf-8",
  ".json": "application/json",
  ".svg": "image/svg+xml",
  ".png": "image/png",
  ".ico": "image/x-icon",
  ".woff2": "font/woff2",
  ".map": "application/json",
};

/** Request headers worth forwarding upstream (no cookies, no host). */
const FORWARD_REQUEST = ["content-type", "accept", "authorization", "x-request-id"];
/** Response headers that must not be copied (fetch already decoded the body; the server sets its own framing). */
const DROP_RESPONSE = new Set(["content-encoding", "content-length", "transfer-encoding", "connection", "keep-alive"]);

type Upstream = { name: string; code: "rpc" | "indexer" | "router" };

const upstreamError = ({ name, code }: Upstream, base: string, err: unknown) => ({
  error: {
    message: `The ${name} at ${base} is unreachable: ${String((err as Error)?.message ?? err).split("\n")[0]}`,
    type: "upstream_unreachable",
    code: `${code}_unreachable`,
  },
});

/** Forwards the request under `prefix` to `base`, streaming both bodies. */
const proxyTo = (upstream: Upstream, base: string, prefix: string) => async (c: Context) => {
  const url = new URL(c.req.url);
  const target = `${base.replace(/\/+$/, "")}${url.pathname.slice(prefix.length)}${url.search}`;
  const headers = new Headers();
  for (const h of FORWARD_REQUEST) {
    const v = c.req.header(h);
    if (v) headers.set(h, v);
  }
  const method = c.req.method;
  try {
    const res = await fetch(target, {
      method,
      headers,
      body: method === "GET" || method === "HEAD" ? undefined : await c.req.arrayBuffer(),
      signal: c.req.raw.signal,
    });
    const out = new Headers();
    res.headers.forEach((v, k) => {
      if (!DROP_RESPONSE.has(k)) out.set(k, v);
    });
    out.set("cache-control", "no-store");
    return new Response(res.body, { status: res.status, headers: out });
  } catch (err) {
    return c.json(upstreamError(upstream, base, err), 502);
  }
};

/** Starts the dashboard server; resolves once it listens. */
export async function startDashboard(opts: StartDashboardOptions): Promise<DashboardServer> {
  const logger = opts.logger ?? pino({ name: "cor-dashboard", level: process.env.COR_LOG_LEVEL ?? "info" });
  const distDir = resolve(opts.distDir);
  const indexHtml = join(distDir, "index.html");
  if (!existsSync(indexHtml))
    throw new Error(`No built dashboard at ${distDir}: run \`npm run build -w @cor-network/dashboard\``);

  const { chainId, ...deployment } = opts.deployment;
  const config = parseDashboardConfig({
    chainId,
    chainName: opts.chainName ?? (chainId === 31337 ? "Local anvil" : `Chain ${chainId}`),
    rpcUrl: "/rpc",
    indexerUrl: "/indexer",
    routerUrl: opts.upstreams.routerUrl ? "/router" : null,
    ipfsGatewayUrl: opts.store ? "/ipfs" : null,
    deployment,
    devAccounts: opts.devAccounts ?? [],
    refreshMs: opts.refreshMs ?? 3000,
  });

  const app = new Hono();
  app.onError((err, c) => {
    logger.error({ err: String(err), path: c.req.path }, "Request failed");
    return c.json(
      { error: { message: "Internal error of the dashboard server", type: "server_error", code: "internal_error" } },
      500,
    );
  });
  app.get("/config.json", (c) => c.json(config, 200, { "cache-control": "no-store" }));
  app.post("/rpc", proxyTo({ name: "chain RPC", code: "rpc" }, opts.upstreams.rpcUrl, "/rpc"));
  app.all("/indexer/*", proxyTo({ name: "indexer", code: "indexer" }, opts.upstreams.indexerUrl, "/indexer"));
  const notConfigured = (what: string, flag: string) => (c: Context) =>
    c.json(
      {
        error: {
          message: `This dashboard has no ${what} (start it with ${flag})`,
          type: "invalid_request_error",
          code: "not_configured",
        },
      },
      404,
    );
  if (opts.upstreams.routerUrl) {
    app.all("/router/*", proxyTo({ name: "router", code: "router" }, opts.upstreams.routerUrl, "/router"));
  } else {
    app.all("/router/*", notConfigured("router", "--router-url"));
  }
  if (opts.store) app.route("/ipfs", ipfsGateway(opts.store));
  else app.all("/ipfs/*", notConfigured("content store", "--ipfs-dir or --ipfs-api"));
  app.notFound((c) =>
    c.json(
      {
        error: { message: `No route ${c.req.method} ${c.req.path}`, type: "invalid_request_error", code: "not_found" },
      },
      404,
    ),
  );
  app.get("*", (c) => {
    let decoded: string;
    try {
      decoded = decodeURIComponent(new URL(c.req.url).pathname);
    } catch {
      return c.json(
        { error: { message: "Malformed URL escape", type: "invalid_request_error", code: "bad_path" } },
        400,
      );
    }
    const path = normalize(decoded).replace(/^(\.\.[/\\])+/, "");
    const file = join(distDir, path);
    if (file.startsWith(distDir) && existsSync(file) && statSync(file).isFile()) {
      const immutable = path.startsWith("/assets/");
      return c.body(readFileSync(file), 200, {
        "content-type": CONTENT_TYPES[extname(file)] ?? "application/octet-stream",
        "cache-control": immutable ? "public, max-age=31536000, immutable" : "no-cache",
      });
    }
    if (extname(path) && path.startsWith("/assets/")) return c.text("Not found", 404);
    return c.body(readFileSync(indexHtml), 200, {
      "content-type": CONTENT_TYPES[".html"],
      "cache-control": "no-cache",
    });
  });

  const server = serve({ fetch: app.fetch, port: opts.port ?? 0, hostname: opts.host ?? "127.0.0.1" });
  await new Promise<void>((r, reject) => {
    server.once("listening", () => r());
    server.once("error", reject);
  });
  const port = (server.address() as AddressInfo).port;
  const url = `http://${opts.host ?? "127.0.0.1"}:${port}`;
  logger.info(
    `Dashboard ready url=${url} indexer=${opts.upstreams.indexerUrl} router=${opts.upstreams.routerUrl ?? "none"}`,
  );
  return {
    url,
    port,
    config,
    stop: () =>
      new Promise<void>((r) => {
        (server as unknown as { closeAllConnections?: () => void }).closeAllConnections?.();
        server.close(() => r());
      }),
  };
}
