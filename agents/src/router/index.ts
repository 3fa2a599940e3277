import type { IncomingMessage } from "node:http";
import type { Duplex } from "node:stream";
import { serve } from "@hono/node-server";
import { type Context, Hono } from "hono";
import { streamSSE } from "hono/streaming";
import { type Hex, parseEther } from "viem";
import { WebSocketServer } from "ws";
import { loadDeployment } from "../../../sdk/src/deployments.ts";
import { AssignmentMode, ValidationMode, escrowOf, taskIdOf } from "../../../sdk/src/protocol.ts";
import { createContentStore } from "../../../sdk/src/storage/index.ts";
import { renderChatPrompt } from "../inference/chat.ts";
import { createClients, createTxSender } from "../shared/chain.ts";
import { readConfig } from "../shared/config.ts";
import { AgentError } from "../shared/errors.ts";
import { createLogger } from "../shared/logger.ts";
import { ensureRegistered } from "../shared/node.ts";
import { type FinalResult, type TaskEvent, createRouterCore } from "./core.ts";

export const routerConfigSpec = {
  rpcUrl: { env: "COR_RPC_URL", description: "JSON-RPC URL", default: "http://127.0.0.1:8545", parse: "url" },
  privateKey: { env: "COR_PRIVATE_KEY", description: "router account key", required: true, parse: "hex32" },
  deployment: { env: "COR_DEPLOYMENT", description: "deployment JSON file or chain id", default: "31337" },
  port: { env: "COR_PORT", description: "HTTP port of the API", default: "8080", parse: "int" },
  host: { env: "COR_HOST", description: "bind address", default: "127.0.0.1" },
  dataDir: { env: "COR_DATA_DIR", description: "keys directory", default: ".data/router" },
  ipfsApi: { env: "COR_IPFS_API", description: "Kubo RPC URL (default: embedded store)" },
  ipfsDir: { env: "COR_IPFS_DIR", description: "embedded IPFS block directory", default: ".data/ipfs" },
  stake: { env: "COR_STAKE", description: "stake in COR when registering", default: "1000" },
  redundancy: { env: "COR_REDUNDANCY", description: "R of the router's house sessions (OpenAI API)", default: "1", parse: "int" },
  validation: { env: "COR_VALIDATION", description: "None | ExactMatch | Embedding for house sessions", default: "Embedding" },
  deposit: { env: "COR_ROUTER_DEPOSIT", description: "COR deposited per house session", default: "1000" },
  price: { env: "COR_PRICE_WEI", description: "COR wei per output token in house sessions", default: "1000000000000" },
  maxTokens: { env: "COR_MAX_TOKENS", description: "max output tokens per request", default: "512", parse: "int" },
  maxPromptBytes: { env: "COR_MAX_PROMPT_BYTES", description: "longest prompt accepted", default: "16384", parse: "int" },
  finalTimeoutMs: { env: "COR_FINAL_TIMEOUT_MS", description: "how long a request waits for finality", default: "120000", parse: "int" },
} as const;

/** OpenAI-shaped error. */
class HttpError extends Error {
  constructor(
    readonly status: 400 | 402 | 403 | 404 | 405 | 413 | 502 | 503 | 504,
    message: string,
    readonly type: string,
    readonly code: string,
  ) {
    super(message);
  }
}
const errorBody = (e: HttpError) => ({ error: { message: e.message, type: e.type, code: e.code } });
const bad = (message: string, code = "invalid_request") => new HttpError(400, message, "invalid_request_error", code);

export const startRouter = async (overrides: Partial<Record<keyof typeof routerConfigSpec, string>> = {}) => {
  const cfg = readConfig(routerConfigSpec, overrides);
  if (!(cfg.validation in ValidationMode)) throw new AgentError(`COR_VALIDATION must be None, ExactMatch or Embedding`);
  const deployment = loadDeployment(/^\d+$/.test(cfg.deployment) ? Number(cfg.deployment) : cfg.deployment);
  const clients = await createClients(cfg.rpcUrl, cfg.privateKey as Hex, deployment);
  let logger = createLogger("router", { account: clients.account.address });
  const tx = createTxSender(clients, logger);
  const store = await createContentStore({ ipfsApi: cfg.ipfsApi, directory: cfg.ipfsDir });
  const maxTokensCap = Number(cfg.maxTokens);
  const publicUrl = `http://${cfg.host}:${cfg.port}`;
  const nodeId = await ensureRegistered(clients, tx, logger, {
    role: "Router",
    stake: parseEther(cfg.stake),
    models: [],
    endpoint: publicUrl,
    dataDir: cfg.dataDir,
  });
  logger = logger.child({ node: nodeId });
  const core = createRouterCore({ clients, tx, store, logger, nodeId });
  const houseConfig = {
    redundancy: Number(cfg.redundancy),
    validation: ValidationMode[cfg.validation as keyof typeof ValidationMode],
    deposit: parseEther(cfg.deposit),
    price: BigInt(cfg.price),
    maxTokens: maxTokensCap,
  };

  const resolveModel = (model: unknown): Hex => {
    if (typeof model !== "string" || !model) throw bad("`model` is required", "missing_model");
    if (/^0x[0-9a-fA-F]{64}$/.test(model)) return model as Hex;
    const id = core.models.get(model) ?? (model === "default" ? deployment.modelId : undefined);
    if (!id) throw new HttpError(404, `The model '${model}' does not exist`, "invalid_request_error", "model_not_found");
    return id;
  };
  const readJson = async (c: Context): Promise<Record<string, unknown>> => {
    try {
      const body = await c.req.json();
      if (!body || typeof body !== "object" || Array.isArray(body)) throw new Error("not an object");
      return body as Record<string, unknown>;
    } catch {
      throw bad("Request body must be a JSON object", "invalid_json");
    }
  };
  const maxTokensOf = (value: unknown): number => {
    if (value === undefined || value === null) return Math.min(128, maxTokensCap);
    if (typeof value !== "number" || !Number.isInteger(value) || value < 1) throw bad("`max_tokens` must be a positive integer", "invalid_max_tokens");
    if (value > maxTokensCap) throw bad(`\`max_tokens\` must be at most ${maxTokensCap}`, "invalid_max_tokens");
    return value;
  };
  const checkPrompt = (prompt: string) => {
    if (Buffer.byteLength(prompt) > Number(cfg.maxPromptBytes)) {
      throw bad(`Prompt is ${Buffer.byteLength(prompt)} bytes; the limit is ${cfg.maxPromptBytes}`, "context_length_exceeded");
    }
  };
  const submitOrExplain = async (sessionId: number, prompt: string, maxTokens: number) => {
    try {
      return await core.submit(sessionId, prompt, maxTokens);
    } catch (err) {
      const msg = String((err as Error).message);
      if (/InsufficientDeposit/.test(msg)) {
        throw new HttpError(402, `Session ${sessionId} has too little deposit for ${maxTokens} tokens`, "insufficient_quota", "insufficient_deposit");
      }
      if (/NotAuthorizedSubmitter/.test(msg)) {
        throw new HttpError(403, `This router may not submit to session ${sessionId}: the owner must authorizeSubmitter(router)`, "permission_error", "not_authorized");
      }
      if (/SessionNotOpen|UnknownSession/.test(msg)) throw new HttpError(404, `Session ${sessionId} is not open`, "invalid_request_error", "session_not_found");
      if (/Could not assign/.test(msg)) throw new HttpError(503, msg.split("\n")[0], "server_error", "no_miners");
      throw err;
    }
  };

  type Kind = "chat" | "text";
  const corInfo = (taskId: bigint, final?: FinalResult) => ({
    task_id: taskId.toString(),
    session_id: Number(taskId >> 32n),
    result_cid: final?.resultCid ?? null,
    result_hash: final?.resultHash ?? null,
    winner_node_id: final?.winnerNodeId ?? null,
    status: final?.status ?? "Pending",
  });
  const completionBody = (kind: Kind, model: string, taskId: bigint, final: FinalResult, promptTokens: number) => {
    const text = final.text ?? "";
    const finish = (final.tokens ?? 0) >= 1 ? "stop" : "stop";
    const usage = { prompt_tokens: promptTokens, completion_tokens: final.tokens ?? 0, total_tokens: promptTokens + (final.tokens ?? 0) };
    const id = `${kind === "chat" ? "chatcmpl" : "cmpl"}-${taskId}`;
    const created = Math.floor(Date.now() / 1000);
    return kind === "chat"
      ? { id, object: "chat.completion", created, model, choices: [{ index: 0, message: { role: "assistant", content: text }, finish_reason: finish, logprobs: null }], usage, cor: corInfo(taskId, final) }
      : { id, object: "text_completion", created, model, choices: [{ index: 0, text, finish_reason: finish, logprobs: null }], usage, cor: corInfo(taskId, final) };
  };

  /** Runs one completion: submit, then either wait for the final verified text or stream the fastest miner. */
  const complete = async (c: Context, kind: Kind, sessionId: number, model: string, prompt: string, maxTokens: number, stream: boolean) => {
    checkPrompt(prompt);
    const { taskId } = await submitOrExplain(sessionId, prompt, maxTokens);
    const taskKey = taskId.toString();
    c.header("x-cor-task-id", taskKey);
    if (!stream) {
      const final = await core.waitFinal(taskId, Number(cfg.finalTimeoutMs)).catch((err) => {
        throw new HttpError(504, String(err.message), "server_error", "timeout");
      });
      if (final.status === "Failed") throw new HttpError(502, `Task ${taskKey} failed on chain (reason ${final.failReason})`, "server_error", "task_failed");
      return c.json(completionBody(kind, model, taskId, final, 0));
    }
    const id = `${kind === "chat" ? "chatcmpl" : "cmpl"}-${taskId}`;
    const created = Math.floor(Date.now() / 1000);
    const chunk = (delta: string | null, finish: string | null, extra: Record<string, unknown> = {}) =>
      kind === "chat"
        ? { id, object: "chat.completion.chunk", created, model, choices: [{ index: 0, delta: delta === null ? {} : { content: delta }, finish_reason: finish }], ...extra }
        : { id, object: "text_completion", created, model, choices: [{ index: 0, text: delta ?? "", finish_reason: finish }], ...extra };
    return streamSSE(c, async (sse) => {
      // Snapshot what was already relayed and subscribe in the same tick: no token is lost or duplicated.
      const queue: TaskEvent[] = [...(core.tokenLog.get(taskKey) ?? [])];
      let wake: (() => void) | undefined;
      const listener = (e: TaskEvent) => {
        queue.push(e);
        wake?.();
      };
      core.events.on(`task:${taskKey}`, listener);
      const finalP = core.waitFinal(taskId, Number(cfg.finalTimeoutMs));
      let final: FinalResult | undefined;
      let failed: unknown;
      finalP.then((f) => { final = f; wake?.(); }, (err) => { failed = err; wake?.(); });
      if (kind === "chat") await sse.writeSSE({ data: JSON.stringify(chunk("", null, { choices: [{ index: 0, delta: { role: "assistant", content: "" }, finish_reason: null }] })) });
      let streamed = "";
      try {
        while (!final && !failed) {
          while (queue.length) {
            const e = queue.shift() as TaskEvent;
            if (e.type === "token") {
              streamed += e.piece;
              await sse.writeSSE({ data: JSON.stringify(chunk(e.piece, null)) });
            }
          }
          if (!final && !failed) await new Promise<void>((r) => { wake = r; });
          wake = undefined;
        }
        for (const e of queue) {
          if (e.type === "token") {
            streamed += e.piece;
            await sse.writeSSE({ data: JSON.stringify(chunk(e.piece, null)) });
          }
        }
        const f = final as FinalResult | undefined;
        if (failed || !f || f.status === "Failed") {
          const message = failed ? String((failed as Error).message) : `Task ${taskKey} failed on chain`;
          await sse.writeSSE({ data: JSON.stringify({ error: { message, type: "server_error", code: "task_failed" } }) });
        } else {
          // The stream was optimistic: if the accepted text differs, send the rest so the client ends with it.
          if (f.text !== undefined && f.text !== streamed && f.text.startsWith(streamed)) {
            await sse.writeSSE({ data: JSON.stringify(chunk(f.text.slice(streamed.length), null)) });
          }
          await sse.writeSSE({ data: JSON.stringify(chunk(null, "stop", { cor: { ...corInfo(taskId, f), verified_text_matches_stream: f.text === streamed } })) });
        }
        await sse.writeSSE({ data: "[DONE]" });
      } finally {
        core.events.off(`task:${taskKey}`, listener);
      }
    });
  };

  const app = new Hono();
  app.onError((err, c) => {
    if (err instanceof HttpError) return c.json(errorBody(err), err.status);
    logger.error({ err: String(err) }, "Request failed");
    return c.json({ error: { message: String((err as Error).message).split("\n")[0], type: "server_error", code: "internal_error" } }, 500);
  });
  app.notFound((c) => c.json(errorBody(new HttpError(404, `No route ${c.req.method} ${c.req.path}`, "invalid_request_error", "not_found")), 404));

  app.get("/health", (c) => c.json({ status: "ok", nodeId, miners: [...core.miners.values()].filter((m) => m.live).length }));
  app.get("/v1/models", (c) =>
    c.json({
      object: "list",
      data: [...core.models.entries()].map(([name, id]) => ({ id: name, object: "model", created: 0, owned_by: "cor-network", cor_model_id: id })),
    }),
  );
  app.post("/v1/chat/completions", async (c) => {
    const body = await readJson(c);
    const modelId = resolveModel(body.model);
    if (!Array.isArray(body.messages) || body.messages.length === 0) throw bad("`messages` must be a non-empty array", "missing_messages");
    for (const m of body.messages) {
      if (!m || typeof m !== "object" || typeof (m as { role?: unknown }).role !== "string") throw bad("Each message needs a `role` and `content`", "invalid_messages");
    }
    const prompt = renderChatPrompt(body.messages as never);
    const sessionId = await core.houseSession(modelId, houseConfig);
    return complete(c, "chat", sessionId, String(body.model), prompt, maxTokensOf(body.max_tokens ?? body.max_completion_tokens), body.stream === true);
  });
  app.post("/v1/completions", async (c) => {
    const body = await readJson(c);
    const modelId = resolveModel(body.model);
    if (typeof body.prompt !== "string" || !body.prompt) throw bad("`prompt` must be a non-empty string", "missing_prompt");
    const sessionId = await core.houseSession(modelId, houseConfig);
    return complete(c, "text", sessionId, String(body.model), body.prompt, maxTokensOf(body.max_tokens), body.stream === true);
  });

  // Cortensor-style API: the client names its own session (which authorized this router to submit).
  app.post("/api/v1/completions", async (c) => {
    const body = await readJson(c);
    const sessionId = Number(body.session_id);
    if (!Number.isInteger(sessionId) || sessionId < 1) throw bad("`session_id` must be a positive integer", "missing_session_id");
    if (typeof body.prompt !== "string" || !body.prompt) throw bad("`prompt` must be a non-empty string", "missing_prompt");
    const session = await core.read<{ status: number; maxTokens: number; modelId: Hex; deposit: bigint; redundancy: number; pricePerToken: bigint }>("getSession", [sessionId]);
    if (Number(session.status) !== 1) throw new HttpError(404, `Session ${sessionId} is not open`, "invalid_request_error", "session_not_found");
    const maxTokens = body.max_tokens === undefined ? Math.min(128, Number(session.maxTokens)) : maxTokensOf(body.max_tokens);
    if (session.deposit < escrowOf(Number(session.redundancy), maxTokens, session.pricePerToken)) {
      throw new HttpError(402, `Session ${sessionId} has too little deposit for ${maxTokens} tokens`, "insufficient_quota", "insufficient_deposit");
    }
    const name = [...core.models.entries()].find(([, id]) => id === session.modelId)?.[0] ?? session.modelId;
    return complete(c, "text", sessionId, name, body.prompt, maxTokens, body.stream === true);
  });
  app.get("/api/v1/sessions/:id", async (c) => {
    const id = Number(c.req.param("id"));
    if (!Number.isInteger(id) || id < 1) throw bad("Session id must be a positive integer");
    const s = await core.read<Record<string, unknown>>("getSession", [id]);
    if (Number(s.status) === 0) throw new HttpError(404, `Session ${id} does not exist`, "invalid_request_error", "session_not_found");
    return c.json(jsonSafe({ id, ...s }));
  });
  app.get("/api/v1/tasks/:sessionId/:taskId", async (c) => {
    const sessionId = Number(c.req.param("sessionId"));
    const index = Number(c.req.param("taskId"));
    if (!Number.isInteger(sessionId) || !Number.isInteger(index) || sessionId < 1 || index < 1) throw bad("Task ids are positive integers");
    const taskId = taskIdOf(sessionId, index);
    const t = await core.read<Record<string, unknown>>("getTask", [taskId]);
    if (Number(t.status) === 0) throw new HttpError(404, `Task ${sessionId}/${index} does not exist`, "invalid_request_error", "task_not_found");
    return c.json(jsonSafe({ task_id: taskId.toString(), ...t }));
  });
  app.get("/api/v1/miners", (c) => c.json({ miners: [...core.miners.values()] }));
  app.get("/api/v1/status", async (c) =>
    c.json({
      router_node_id: nodeId,
      chain_id: deployment.chainId,
      block: Number(await clients.publicClient.getBlockNumber()),
      network: deployment.network,
      miners_live: [...core.miners.values()].filter((m) => m.live).length,
      sessions: core.sessions.size,
      uptime_s: Math.round((Date.now() - core.startedAt) / 1000),
    }),
  );
  app.all("/v1/*", (c) => c.json(errorBody(new HttpError(405, `${c.req.method} is not allowed on ${c.req.path}`, "invalid_request_error", "method_not_allowed")), 405));

  const server = serve({ fetch: app.fetch, port: Number(cfg.port), hostname: cfg.host });
  await new Promise<void>((resolve) => server.once("listening", () => resolve()));
  const address = server.address();
  const port = typeof address === "object" && address ? address.port : Number(cfg.port);

  // WebSocket: the same token and status events, for one task ({"subscribe": "<taskId>"}) or all.
  const wss = new WebSocketServer({ noServer: true });
  server.on("upgrade", (req: IncomingMessage, socket: Duplex, head: Buffer) => {
    if (!req.url?.startsWith("/ws")) return socket.destroy();
    wss.handleUpgrade(req, socket, head, (ws) => {
      const subscriptions = new Map<string, (e: TaskEvent) => void>();
      ws.on("message", (data) => {
        let msg: { subscribe?: string; unsubscribe?: string };
        try {
          msg = JSON.parse(String(data));
        } catch {
          ws.send(JSON.stringify({ error: { message: "Messages must be JSON", type: "invalid_request_error", code: "invalid_json" } }));
          return;
        }
        if (msg.subscribe && !subscriptions.has(msg.subscribe)) {
          const fn = (e: TaskEvent) => ws.readyState === ws.OPEN && ws.send(JSON.stringify(e));
          subscriptions.set(msg.subscribe, fn);
          core.events.on(`task:${msg.subscribe}`, fn);
          ws.send(JSON.stringify({ subscribed: msg.subscribe }));
        }
        if (msg.unsubscribe) {
          const fn = subscriptions.get(msg.unsubscribe);
          if (fn) core.events.off(`task:${msg.unsubscribe}`, fn);
          subscriptions.delete(msg.unsubscribe);
        }
      });
      ws.on("close", () => {
        for (const [key, fn] of subscriptions) core.events.off(`task:${key}`, fn);
      });
    });
  });
  logger.info(`Router ready url=http://${cfg.host}:${port} node=${nodeId}`);
  return {
    nodeId,
    port,
    url: `http://${cfg.host}:${port}`,
    core,
    stop: async () => {
      core.stop();
      for (const ws of wss.clients) ws.terminate();
      await new Promise<void>((r) => server.close(() => r()));
      await store.close();
    },
  };
};

const jsonSafe = (v: unknown): unknown =>
  JSON.parse(JSON.stringify(v, (_k, x) => (typeof x === "bigint" ? x.toString() : x)));

export { AssignmentMode };
