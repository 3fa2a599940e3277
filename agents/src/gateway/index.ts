import { randomBytes, timingSafeEqual } from "node:crypto";
import { hostname } from "node:os";
import { join } from "node:path";
import { getSession } from "@cor-network/sdk";
import { loadDeployment } from "@cor-network/sdk/node";
import { serve } from "@hono/node-server";
import { type Context, Hono } from "hono";
import { type Address, createPublicClient, type Hex, http } from "viem";
import { readConfig } from "../shared/config.ts";
import { createLogger } from "../shared/logger.ts";
import { findBinding, saveBinding, verifyBinding } from "./binding.ts";
import { type Db, openDb } from "./db.ts";
import { badRequest, GatewayError } from "./errors.ts";
import { type ApiKey, authenticate, createKey, findKey, KeyInputError, listKeys, revokeKey } from "./keys.ts";
import {
  dayOf,
  type LimitState,
  pruneWindows,
  rateLimitHeaders,
  reserveTokens,
  settleTokens,
  takeRequest,
} from "./limits.ts";
import { findNginx, freePort, type Nginx, startNginx } from "./nginx.ts";
import { aliasTable, loadPools, type PoolDef } from "./pools.ts";
import { completionFromTally, newTally, observe, sseData, type Tally } from "./relay.ts";
import { beginUsage, finishUsage, noteTask, sweepStale, type UsageOutcome, usageOf } from "./usage.ts";

export const gatewayConfigSpec = {
  port: { env: "COR_PORT", description: "HTTP port of the gateway", default: "8000", parse: "int" },
  host: { env: "COR_HOST", description: "bind address", default: "127.0.0.1" },
  databaseUrl: { env: "DATABASE_URL", description: "PostgreSQL URL (default: embedded PGlite in the data dir)" },
  dataDir: { env: "COR_DATA_DIR", description: "PGlite and nginx directory", default: ".data/gateway" },
  pools: { env: "COR_GATEWAY_POOLS", description: "pool definition JSON file" },
  routers: { env: "COR_GATEWAY_ROUTERS", description: "router URLs of the single pool 'default' (url,url)" },
  models: {
    env: "COR_GATEWAY_MODELS",
    description: "aliases of the default pool (alias=model,...)",
    default: "stories260K",
  },
  nginx: {
    env: "COR_GATEWAY_NGINX",
    description: "auto (start nginx when installed) | off | path to nginx",
    default: "auto",
  },
  nginxPort: { env: "COR_GATEWAY_NGINX_PORT", description: "nginx port (0 = a free port)", default: "0", parse: "int" },
  secret: { env: "COR_GATEWAY_SECRET", description: "shared secret sent to routers (x-cor-gateway-secret)" },
  adminKey: {
    env: "COR_GATEWAY_ADMIN_KEY",
    description: "bearer token of the /admin API (keys); unset = admin API off",
  },
  rpcUrl: {
    env: "COR_RPC_URL",
    description: "JSON-RPC URL (session owner checks)",
    default: "http://127.0.0.1:8545",
    parse: "url",
  },
  deployment: { env: "COR_DEPLOYMENT", description: "deployment JSON file or chain id", default: "31337" },
  retries: {
    env: "COR_GATEWAY_RETRIES",
    description: "extra attempts on another router before a task is submitted",
    default: "2",
    parse: "int",
  },
  defaultMaxTokens: {
    env: "COR_GATEWAY_DEFAULT_MAX_TOKENS",
    description: "max_tokens when a request has none",
    default: "128",
    parse: "int",
  },
  timeoutMs: {
    env: "COR_GATEWAY_TIMEOUT_MS",
    description: "longest a request may take end to end",
    default: "150000",
    parse: "int",
  },
} as const;
export type GatewayOverrides = Partial<Record<keyof typeof gatewayConfigSpec, string>>;

type Kind = "chat" | "text";
type Route = { kind: Kind; path: string; name: string };
const ROUTES = {
  chat: { kind: "chat", path: "/v1/chat/completions", name: "chat.completions" },
  text: { kind: "text", path: "/v1/completions", name: "completions" },
  cortensor: { kind: "text", path: "/api/v1/completions", name: "cortensor.completions" },
} as const satisfies Record<string, Route>;

const unauthorized = (message: string) => new GatewayError(401, message, "invalid_request_error", "invalid_api_key");

/** Timing-safe comparison of two secrets. */
const sameSecret = (a: string, b: string) => {
  const x = Buffer.from(a);
  const y = Buffer.from(b);
  return x.length === y.length && timingSafeEqual(x, y);
};

export const startGateway = async (overrides: GatewayOverrides = {}) => {
  const cfg = readConfig(gatewayConfigSpec, overrides);
  const logger = createLogger("gateway");
  const gatewayId = `${hostname()}:${process.pid}:${randomBytes(3).toString("hex")}`;
  const pools = loadPools({ file: cfg.pools, routers: cfg.routers, models: cfg.models });
  const aliases = aliasTable(pools);
  const db: Db = await openDb({ databaseUrl: cfg.databaseUrl, dataDir: join(cfg.dataDir, "pglite"), logger });
  const retries = Number(cfg.retries);
  const timeoutMs = Number(cfg.timeoutMs);
  const defaultMaxTokens = Number(cfg.defaultMaxTokens);

  // nginx in front of the pools when installed; otherwise the gateway fails over between routers itself.
  let nginx: Nginx | undefined;
  if (cfg.nginx !== "off") {
    const binary = findNginx(cfg.nginx === "auto" ? undefined : cfg.nginx);
    if (binary) {
      const port = Number(cfg.nginxPort) || (await freePort());
      nginx = await startNginx({
        pools: pools.pools,
        port,
        prefix: join(cfg.dataDir, `nginx-${port}`),
        binary,
        logger,
      });
    } else if (cfg.nginx !== "auto") {
      throw new GatewayError(500, `nginx not found at ${cfg.nginx}`, "server_error", "nginx_missing");
    } else {
      logger.warn(
        "nginx is not installed: the gateway balances the routers itself (apt-get install nginx for the proxy)",
      );
    }
  }
  const downUntil = new Map<string, number>();
  let rr = 0;
  /** Where attempt `n` of a request to `pool` goes: nginx (which picks a router), or the next live router. */
  const upstreamFor = (pool: PoolDef): string => {
    if (nginx) return nginx.poolUrl(pool.name);
    const now = Date.now();
    const live = pool.routers.filter((r) => (downUntil.get(r) ?? 0) < now);
    const list = live.length ? live : pool.routers;
    return list[rr++ % list.length];
  };
  const routerHeaders = (requestId: string): Record<string, string> => {
    const h: Record<string, string> = { "content-type": "application/json", "x-request-id": requestId };
    if (cfg.secret) h["x-cor-gateway-secret"] = cfg.secret;
    return h;
  };

  // Session owners are read from the chain only when a key binds a session.
  let chain: { client: ReturnType<typeof createPublicClient>; network: Address; chainId: number } | undefined;
  const chainReader = () => {
    if (!chain) {
      const deployment = loadDeployment(/^\d+$/.test(cfg.deployment) ? Number(cfg.deployment) : cfg.deployment);
      chain = {
        client: createPublicClient({ transport: http(cfg.rpcUrl, { retryCount: 2 }) }),
        network: deployment.network,
        chainId: deployment.chainId,
      };
    }
    return chain;
  };

  /**
   * Only a session's own router may assign its tasks, so a Cortensor-style request goes straight to that router
   * when it is in the pool (node ids from the routers' /health, session routers from the chain, cached briefly).
   */
  const nodeIds = new Map<string, number>();
  const sessionRouters = new Map<number, { routerId: number; at: number }>();
  const routerForSession = async (pool: PoolDef, sessionId: number): Promise<string | undefined> => {
    let cached = sessionRouters.get(sessionId);
    if (!cached || Date.now() - cached.at > 10_000) {
      const { client, network } = chainReader();
      cached = { routerId: (await getSession(client, { network, sessionId })).routerId, at: Date.now() };
      sessionRouters.set(sessionId, cached);
    }
    if (!cached.routerId) return undefined;
    const find = () => pool.routers.find((r) => nodeIds.get(r) === cached.routerId);
    if (!find()) {
      await Promise.all(
        pool.routers
          .map(async (r) => {
            const h = (await (
              await fetch(`${r}/health`, { signal: AbortSignal.timeout(2000) })
            )
              .json()
              .catch(() => ({}))) as { nodeId?: number };
            if (typeof h.nodeId === "number") nodeIds.set(r, h.nodeId);
          })
          .map((p) => p.catch(() => undefined)),
      );
    }
    return find();
  };

  const app = new Hono<{ Variables: { requestId: string; key: ApiKey; metered: boolean } }>();
  app.onError((err, c) => {
    if (err instanceof GatewayError) return c.json(err.body(), err.status, err.headers);
    if (err instanceof KeyInputError) return c.json(badRequest(err.message).body(), 400);
    logger.error({ err: String(err), requestId: c.get("requestId") }, "Request failed");
    return c.json(
      {
        error: {
          message: String((err as Error).message).split("\n")[0],
          type: "server_error",
          param: null,
          code: "internal_error",
        },
      },
      500,
    );
  });
  app.notFound((c) =>
    c.json(
      new GatewayError(404, `No route ${c.req.method} ${c.req.path}`, "invalid_request_error", "not_found").body(),
      404,
    ),
  );

  // Every response carries the request id; the same id names the usage row and is sent to the router.
  app.use("*", async (c, next) => {
    const requestId = `req_${randomBytes(12).toString("hex")}`;
    c.set("requestId", requestId);
    c.header("x-request-id", requestId);
    const clientId = c.req.header("x-client-request-id");
    if (clientId) c.header("x-client-request-id", clientId.slice(0, 128));
    await next();
  });

  const bearer = (c: Context) => {
    const h = c.req.header("authorization") ?? "";
    const m = /^Bearer\s+(\S+)$/i.exec(h);
    return m?.[1];
  };
  const requireKey = async (c: Context, next: () => Promise<void>) => {
    const secret = bearer(c);
    if (!secret) throw unauthorized("You didn't provide an API key. Send it as 'Authorization: Bearer cor-...'.");
    const key = await authenticate(db, secret);
    if (!key)
      throw unauthorized(
        `Incorrect API key provided: ${secret.slice(0, 8)}…. Keys are created with 'cor keys create'.`,
      );
    c.set("key", key);
    await next();
  };
  // Bodies over 1 MB are refused before anything reads them (prompts are capped far lower by the routers).
  app.use("*", async (c, next) => {
    if (Number(c.req.header("content-length") ?? 0) > 1_048_576) {
      throw new GatewayError(413, "Request body is larger than 1 MB", "invalid_request_error", "request_too_large");
    }
    await next();
  });
  app.use("/v1/*", requireKey);
  app.use("/api/*", requireKey);

  const readJson = async (c: Context): Promise<Record<string, unknown>> => {
    try {
      const body = await c.req.json();
      if (!body || typeof body !== "object" || Array.isArray(body)) throw new Error("not an object");
      return body as Record<string, unknown>;
    } catch {
      throw badRequest("Request body must be a JSON object", "invalid_json");
    }
  };
  const entitled = (key: ApiKey, alias: string) => key.models === null || key.models.includes(alias);

  app.get("/health", (c) =>
    c.json({
      status: "ok",
      gateway: gatewayId,
      db: db.kind,
      nginx: nginx?.url ?? null,
      pools: pools.pools.map((p) => ({ name: p.name, routers: p.routers.length })),
    }),
  );

  app.get("/v1/models", (c) => {
    const key = c.get("key");
    const data = [...aliases.entries()]
      .filter(([alias]) => entitled(key, alias))
      .map(([alias, a]) => ({ id: alias, object: "model", created: 0, owned_by: `cor-network/${a.pool.name}` }));
    return c.json({ object: "list", data });
  });
  app.get("/v1/models/:model", (c) => {
    const alias = c.req.param("model");
    if (!aliases.has(alias) || !entitled(c.get("key"), alias)) {
      throw new GatewayError(
        404,
        `The model '${alias}' does not exist or you do not have access to it.`,
        "invalid_request_error",
        "model_not_found",
        {},
        "model",
      );
    }
    return c.json({ id: alias, object: "model", created: 0, owned_by: `cor-network/${aliases.get(alias)?.pool.name}` });
  });

  app.get("/v1/usage", async (c) => {
    const since = c.req.query("since");
    const sinceDate = since ? new Date(since) : undefined;
    if (sinceDate && Number.isNaN(sinceDate.getTime()))
      throw badRequest("`since` must be an ISO date", "invalid_since", "since");
    const limit = Number(c.req.query("limit") ?? 100);
    if (!Number.isInteger(limit) || limit < 1 || limit > 1000)
      throw badRequest("`limit` must be 1..1000", "invalid_limit", "limit");
    const key = c.get("key");
    const { summary, rows } = await usageOf(db, key.id, { since: sinceDate, limit });
    return c.json({
      object: "usage",
      key: { id: key.id, name: key.name, rpm: key.rpm, tokens_per_day: key.tokensPerDay, models: key.models },
      summary,
      data: rows,
    });
  });

  // Session ownership proof: { session_id, expires_at, signature } signed (EIP-712) by the session owner.
  app.post("/v1/sessions/bind", async (c) => {
    const body = await readJson(c);
    const key = c.get("key");
    const sessionId = Number(body.session_id);
    const expiresAt = Number(body.expires_at);
    if (!Number.isSafeInteger(sessionId) || sessionId < 1)
      throw badRequest("`session_id` must be a positive integer", "invalid_session_id", "session_id");
    if (!Number.isSafeInteger(expiresAt) || expiresAt <= Math.floor(Date.now() / 1000))
      throw badRequest("`expires_at` must be a future unix time (seconds)", "invalid_expires_at", "expires_at");
    if (typeof body.signature !== "string" || !/^0x[0-9a-fA-F]+$/.test(body.signature))
      throw badRequest("`signature` must be a 0x-hex EIP-712 signature", "invalid_signature", "signature");
    const { client, network, chainId } = chainReader();
    let owner: Address;
    try {
      owner = (await getSession(client, { network, sessionId })).owner as Address;
    } catch (err) {
      if ((err as Error).name === "NotFoundError")
        throw new GatewayError(
          404,
          `Session ${sessionId} does not exist`,
          "invalid_request_error",
          "session_not_found",
          {},
          "session_id",
        );
      throw err;
    }
    const ok = await verifyBinding({
      chainId,
      network,
      sessionId: BigInt(sessionId),
      keyId: key.id,
      expiresAt: BigInt(expiresAt),
      owner,
      signature: body.signature as Hex,
    });
    if (!ok)
      throw new GatewayError(
        403,
        `The signature is not the owner's (${owner}) binding of key ${key.id} to session ${sessionId}`,
        "permission_error",
        "invalid_signature",
        {},
        "signature",
      );
    await saveBinding(db, { keyId: key.id, sessionId, owner, expiresAt, signature: body.signature as Hex });
    logger.info(`Bound key=${key.id} session=${sessionId} owner=${owner}`);
    return c.json({ object: "session.binding", key_id: key.id, session_id: sessionId, owner, expires_at: expiresAt });
  });

  /** Records a request refused by the gateway itself (limits) so that usage rows == requests. */
  const reject = async (
    c: Context,
    key: ApiKey,
    route: Route,
    model: string | null,
    stream: boolean,
    err: GatewayError,
  ) => {
    c.set("metered", true);
    await beginUsage(db, {
      requestId: c.get("requestId"),
      keyId: key.id,
      route: route.name,
      model,
      stream,
      reservedTokens: 0,
      gateway: gatewayId,
      state: "rejected",
      status: err.status,
      error: err.code,
    });
    return err;
  };

  /**
   * One completion through the pool: limits, a pending usage row, then up to 1 + retries attempts. An attempt
   * that fails before the router submitted a task (connection refused, or a 5xx without `x-cor-task-id`) is
   * retried elsewhere; anything after submission is reported to the client with the task id.
   */
  const completion = (route: Route) => async (c: Context) => {
    try {
      return await completionOf(route, c);
    } catch (err) {
      // Refused before metering began (bad input, model not allowed, session not bound): still one row.
      if (err instanceof GatewayError && !c.get("metered")) {
        const body = (await c.req.json().catch(() => ({}))) as { model?: unknown; stream?: unknown };
        const model = typeof body.model === "string" ? body.model.slice(0, 200) : null;
        await reject(c, c.get("key"), route, model, body.stream === true, err).catch((e) =>
          logger.warn({ err: String(e) }, "Usage row not written"),
        );
      }
      throw err;
    }
  };
  const completionOf = async (route: Route, c: Context) => {
    const started = performance.now();
    const key = c.get("key") as ApiKey;
    const requestId = c.get("requestId") as string;
    const body = await readJson(c);
    const stream = body.stream === true;
    let pool: PoolDef;
    let pinned: string | undefined;
    let alias: string | null = null;
    const payload: Record<string, unknown> = { ...body };
    if (route === ROUTES.cortensor) {
      const sessionId = Number(body.session_id);
      if (!Number.isSafeInteger(sessionId) || sessionId < 1)
        throw badRequest("`session_id` must be a positive integer", "missing_session_id", "session_id");
      if (!(await findBinding(db, key.id, sessionId))) {
        throw new GatewayError(
          403,
          `Key ${key.id} is not bound to session ${sessionId}: the session owner signs a binding (POST /v1/sessions/bind)`,
          "permission_error",
          "session_not_bound",
          {},
          "session_id",
        );
      }
      pool = pools.pools.find((p) => p.name === pools.cortensorPool) as PoolDef;
      pinned = await routerForSession(pool, sessionId);
    } else {
      if (typeof body.model !== "string" || !body.model)
        throw badRequest("`model` is required", "missing_model", "model");
      alias = body.model;
      const target = aliases.get(alias);
      if (!target)
        throw new GatewayError(
          404,
          `The model '${alias}' does not exist`,
          "invalid_request_error",
          "model_not_found",
          {},
          "model",
        );
      if (!entitled(key, alias))
        throw new GatewayError(
          403,
          `Key '${key.name}' may not use model '${alias}'`,
          "permission_error",
          "model_not_allowed",
          {},
          "model",
        );
      pool = target.pool;
      payload.model = target.model;
    }
    const requested = body.max_completion_tokens ?? body.max_tokens;
    if (
      requested !== undefined &&
      requested !== null &&
      (typeof requested !== "number" || !Number.isInteger(requested) || requested < 1)
    ) {
      throw badRequest(
        "`max_tokens` must be a positive integer",
        "invalid_max_tokens",
        body.max_completion_tokens !== undefined ? "max_completion_tokens" : "max_tokens",
      );
    }
    const maxTokens = (requested as number | undefined) ?? defaultMaxTokens;
    const includeUsage =
      stream && (body.stream_options as { include_usage?: unknown } | undefined)?.include_usage === true;
    payload.stream = true;
    payload.stream_options = { include_usage: true };

    // Limits: requests/minute first (a refused request reserves nothing), then the token budget.
    const rate = await takeRequest(db, key);
    if (!rate.ok) throw await reject(c, key, route, alias, stream, limitError(rate));
    const tokens = await reserveTokens(db, key, maxTokens);
    if (!tokens.ok)
      throw await reject(c, key, route, alias, stream, limitError({ ...tokens, requests: rate.requests }));
    const limitHeaders = rateLimitHeaders({ requests: rate.requests, tokens: tokens.tokens });
    for (const [k, v] of Object.entries(limitHeaders)) c.header(k, v);
    const day = dayOf(Date.now());
    const reserved = key.tokensPerDay === null ? 0 : maxTokens;
    c.set("metered", true);
    await beginUsage(db, {
      requestId,
      keyId: key.id,
      route: route.name,
      model: alias,
      stream,
      reservedTokens: reserved,
      gateway: gatewayId,
    });

    let attempts = 0;
    const finish = async (o: Omit<UsageOutcome, "latencyMs" | "attempts">) => {
      const latencyMs = Math.round(performance.now() - started);
      await finishUsage(db, requestId, { ...o, latencyMs, attempts });
      if (reserved) {
        // complete: keep what was used; failed (nothing charged): release all; incomplete: keep the reservation.
        const delta =
          o.state === "complete" ? (o.completionTokens ?? reserved) - reserved : o.state === "failed" ? -reserved : 0;
        await settleTokens(db, key.id, day, delta);
      }
      logger.debug(
        `Finished ${route.name} request=${requestId} state=${o.state} status=${o.status} task=${o.taskId ?? "-"} (${latencyMs}ms)`,
      );
    };

    // Attempts.
    let res: Response | undefined;
    let upstream = "";
    let lastError = "";
    const deadline = AbortSignal.timeout(timeoutMs);
    const upstreamStarted = performance.now();
    while (attempts <= retries) {
      attempts++;
      upstream = pinned ?? upstreamFor(pool);
      try {
        res = await fetch(`${upstream}${route.path}`, {
          method: "POST",
          headers: routerHeaders(requestId),
          body: JSON.stringify(payload),
          signal: deadline,
        });
      } catch (err) {
        lastError = `cannot reach ${upstream}: ${String((err as Error).cause ?? (err as Error).message)}`;
        if (!nginx) downUntil.set(upstream, Date.now() + 10_000);
        logger.warn(`Attempt ${attempts} failed request=${requestId}: ${lastError}`);
        res = undefined;
        if (deadline.aborted) break;
        continue;
      }
      if (res.ok) break;
      const taskId = res.headers.get("x-cor-task-id") ?? undefined;
      if (res.status >= 500 && !taskId && attempts <= retries) {
        lastError = `${upstream} answered ${res.status}: ${(await res.text()).slice(0, 300)}`;
        logger.warn(`Attempt ${attempts} failed before submission request=${requestId}: ${lastError}`);
        res = undefined;
        continue;
      }
      // The router's own answer (4xx bad input, or a 5xx after submission): pass it on, OpenAI-shaped as it is.
      const text = await res.text();
      const router = routerOf(res, upstream);
      await finish({
        state: taskId ? "incomplete" : "failed",
        status: res.status,
        router,
        taskId,
        error: text.slice(0, 500),
      });
      return c.body(text, res.status as 400, { "content-type": "application/json" });
    }
    if (!res?.ok || !res.body) {
      const err = new GatewayError(
        502,
        `No router of pool '${pool.name}' could take the request after ${attempts} attempts (${lastError}). Nothing was submitted or charged.`,
        "server_error",
        "routers_unavailable",
      );
      await finish({ state: "failed", status: 502, error: lastError.slice(0, 500) });
      throw err;
    }
    const router = routerOf(res, upstream);
    const tally = newTally(res.headers.get("x-cor-task-id") ?? undefined);
    if (tally.taskId) void noteTask(db, requestId, tally.taskId, router).catch(() => undefined);
    const outcome = (): Omit<UsageOutcome, "latencyMs" | "attempts"> => {
      const base = {
        router,
        taskId: tally.taskId,
        promptTokens: tally.usage?.prompt_tokens,
        completionTokens: tally.usage?.completion_tokens,
        costWei: corCost(tally),
      };
      if (tally.error) {
        const failedOnChain = tally.error.code === "task_failed";
        return {
          ...base,
          state: failedOnChain ? "failed" : "incomplete",
          status: 502,
          error: tally.error.message.slice(0, 500),
        };
      }
      if (!tally.done)
        return { ...base, state: "incomplete", status: 502, error: "router stream ended before the result" };
      return { ...base, state: "complete", status: 200 };
    };
    const cutError = () => ({
      error: {
        message: `The router stopped while answering${tally.taskId ? ` task ${tally.taskId}; the task was submitted on chain and its verified result can be fetched with GET /api/v1/tasks/${taskPath(tally.taskId)} or the SDK's fetchResult` : ""}.`,
        type: "server_error",
        param: null,
        code: "stream_interrupted",
        task_id: tally.taskId ?? null,
      },
    });
    const upstreamBody = res.body;

    if (!stream) {
      try {
        for await (const data of sseData(upstreamBody)) observe(tally, data, false);
      } catch (err) {
        logger.warn(`Upstream stream broke request=${requestId} task=${tally.taskId}: ${String(err)}`);
      }
      const upstreamEnded = performance.now();
      const o = outcome();
      await finish(o);
      if (o.state !== "complete") {
        const e = tally.error ? { error: { param: null, ...tally.error, task_id: tally.taskId ?? null } } : cutError();
        return c.json(e, 502);
      }
      // What the gateway itself added (auth, limits, metering, relay) next to the time spent upstream.
      const upstreamMs = upstreamEnded - upstreamStarted;
      const ownMs = performance.now() - started - upstreamMs;
      c.header("server-timing", `gateway;dur=${ownMs.toFixed(2)}, upstream;dur=${upstreamMs.toFixed(2)}`);
      return c.json(completionFromTally(route.kind, tally, alias ?? String(tally.model ?? "")));
    }

    const encoder = new TextEncoder();
    let clientGone = false;
    const out = new ReadableStream<Uint8Array>({
      start: (controller) => {
        const send = (data: string) => {
          if (clientGone) return;
          try {
            controller.enqueue(encoder.encode(`data: ${data}\n\n`));
          } catch {
            clientGone = true;
          }
        };
        void (async () => {
          try {
            for await (const data of sseData(upstreamBody)) {
              if (observe(tally, data, includeUsage).forward) send(data);
            }
          } catch (err) {
            logger.warn(`Upstream stream broke request=${requestId} task=${tally.taskId}: ${String(err)}`);
          }
          if (!tally.done && !tally.error) send(JSON.stringify(cutError()));
          // The task is paid whether or not the client stayed: the row is completed either way.
          await finish(outcome()).catch((err) =>
            logger.error({ err: String(err) }, `Usage row not completed request=${requestId}`),
          );
          if (!clientGone) controller.close();
        })();
      },
      cancel: () => {
        clientGone = true; // keep reading the router so the usage row gets the real token counts
      },
    });
    return c.body(out, 200, {
      "content-type": "text/event-stream",
      "cache-control": "no-cache",
      "x-accel-buffering": "no",
      ...(tally.taskId ? { "x-cor-task-id": tally.taskId } : {}),
    });
  };

  app.post("/v1/chat/completions", completion(ROUTES.chat));
  app.post("/v1/completions", completion(ROUTES.text));
  app.post("/api/v1/completions", completion(ROUTES.cortensor));

  // Read-only Cortensor-style routes go to any router of the Cortensor pool.
  const passGet = async (c: Context) => {
    const pool = pools.pools.find((p) => p.name === pools.cortensorPool) as PoolDef;
    const upstream = upstreamFor(pool);
    const res = await fetch(`${upstream}${c.req.path}`, {
      headers: routerHeaders(c.get("requestId")),
      signal: AbortSignal.timeout(15_000),
    }).catch((err) => {
      throw new GatewayError(
        502,
        `cannot reach the routers: ${String((err as Error).message)}`,
        "server_error",
        "routers_unavailable",
      );
    });
    return c.body(await res.text(), res.status as 200, { "content-type": "application/json" });
  };
  app.get("/api/v1/sessions/:id", passGet);
  app.get("/api/v1/tasks/:sessionId/:taskId", passGet);
  app.get("/api/v1/status", passGet);
  app.all("/v1/*", (c) =>
    c.json(
      new GatewayError(
        405,
        `${c.req.method} is not allowed on ${c.req.path}`,
        "invalid_request_error",
        "method_not_allowed",
      ).body(),
      405,
    ),
  );

  // Admin API for `cor keys` against a running gateway (needed with embedded PGlite: one process owns it).
  app.use("/admin/*", async (c, next) => {
    const given = bearer(c);
    if (!cfg.adminKey)
      throw new GatewayError(
        404,
        "The admin API is off (set COR_GATEWAY_ADMIN_KEY)",
        "invalid_request_error",
        "not_found",
      );
    if (!given || !sameSecret(given, cfg.adminKey)) throw unauthorized("Incorrect admin key");
    await next();
  });
  app.post("/admin/keys", async (c) => {
    const b = await readJson(c);
    const created = await createKey(db, {
      name: String(b.name ?? ""),
      rpm: b.rpm === undefined || b.rpm === null ? undefined : Number(b.rpm),
      tokensPerDay: b.tokens_per_day === undefined || b.tokens_per_day === null ? undefined : Number(b.tokens_per_day),
      models: Array.isArray(b.models) ? b.models.map(String) : undefined,
    });
    return c.json(created, 201);
  });
  app.get("/admin/keys", async (c) => c.json({ data: await listKeys(db) }));
  app.delete("/admin/keys/:name", async (c) => c.json(await revokeKey(db, c.req.param("name"))));
  app.get("/admin/keys/:name/usage", async (c) => {
    const key = await findKey(db, c.req.param("name"));
    if (!key)
      throw new GatewayError(404, `no key named '${c.req.param("name")}'`, "invalid_request_error", "key_not_found");
    return c.json({ key, ...(await usageOf(db, key.id, { limit: Number(c.req.query("limit") ?? 20) })) });
  });

  // Housekeeping: rows left pending by a gateway that died become `incomplete`; old rate windows go.
  const staleMs = timeoutMs + 30_000;
  const sweep = async () => {
    const n = await sweepStale(db, staleMs);
    if (n) logger.warn(`Marked ${n} usage rows incomplete (their gateway stopped mid-request)`);
    await pruneWindows(db);
  };
  await sweep();
  const sweeper = setInterval(
    () => void sweep().catch((err) => logger.warn({ err: String(err) }, "Usage sweep failed")),
    30_000,
  );
  sweeper.unref();

  const server = serve({ fetch: app.fetch, port: Number(cfg.port), hostname: cfg.host });
  await new Promise<void>((resolve, reject) => {
    server.once("listening", () => resolve());
    server.once("error", reject);
  });
  const address = server.address();
  const port = typeof address === "object" && address ? address.port : Number(cfg.port);
  const url = `http://${cfg.host}:${port}`;
  logger.info(
    `Gateway ready url=${url}/v1 db=${db.kind} pools=${pools.pools.map((p) => p.name).join(",")} nginx=${nginx?.url ?? "off"}`,
  );
  return {
    url,
    port,
    db,
    nginx,
    gatewayId,
    stop: async () => {
      clearInterval(sweeper);
      await new Promise<void>((r) => {
        server.close(() => r());
        (server as { closeAllConnections?: () => void }).closeAllConnections?.();
      });
      await nginx?.stop();
      await db.close();
    },
  };
};
export type Gateway = Awaited<ReturnType<typeof startGateway>>;

const limitError = (v: LimitState & { ok: false; message: string; retryAfterS: number; reason: string }) =>
  new GatewayError(429, v.message, v.reason === "tokens" ? "tokens" : "requests", "rate_limit_exceeded", {
    "retry-after": String(v.retryAfterS),
    ...rateLimitHeaders(v),
  });

/** The router that answered: its node id header, else the upstream address nginx reports, else the URL tried. */
const routerOf = (res: Response, upstream: string) =>
  res.headers.get("x-cor-router") ?? res.headers.get("x-cor-upstream") ?? upstream;

const corCost = (t: Tally): string | undefined => {
  const v = t.cor?.cost_wei;
  return typeof v === "string" || typeof v === "number" ? String(v) : undefined;
};

/** `<sessionId>/<index>` of a packed task id (session << 32 | index). */
const taskPath = (taskId: string) => {
  const id = BigInt(taskId);
  return `${id >> 32n}/${id & 0xffffffffn}`;
};
