import { timingSafeEqual } from "node:crypto";
import {
  contractErrorOf,
  type Deployment,
  escrowOf,
  getRawSession,
  getRawTask,
  getSession,
  NotFoundError,
  type SessionInfo,
  taskIdOf,
} from "@cor-network/sdk";
import { type Context, Hono } from "hono";
import { streamSSE } from "hono/streaming";
import type { Hex } from "viem";
import { type ChatMessage, renderChatPrompt } from "../inference/chat.ts";
import { jsonSafe, safeStringify } from "../shared/json.ts";
import type { Logger } from "../shared/logger.ts";
import { decodeUtf8, isJsonContentType } from "../shared/validate.ts";
import type { FinalResult, HouseConfig, RouterCore, TaskEvent } from "./core.ts";
import { NoMinersError } from "./errors.ts";
import {
  type CompletionOptions,
  createPromptCounter,
  createStopFilter,
  cutAtStop,
  finishReason,
  readCompletionOptions,
} from "./openai.ts";

/**
 * The router's HTTP API: OpenAI-compatible routes (/v1/chat/completions, /v1/completions, /v1/models) and the
 * Cortensor-style routes (/api/v1/…). Every error is OpenAI-shaped JSON.
 */

/** OpenAI-shaped error. */
export class HttpError extends Error {
  constructor(
    readonly status: 400 | 402 | 403 | 404 | 405 | 413 | 415 | 502 | 503 | 504,
    message: string,
    readonly type: string,
    readonly code: string,
    readonly param: string | null = null,
  ) {
    super(message);
  }
}
export const errorBody = (e: HttpError) => ({
  error: { message: e.message, type: e.type, param: e.param, code: e.code },
});
const bad = (message: string, code = "invalid_request") => new HttpError(400, message, "invalid_request_error", code);

export type ApiOptions = {
  core: RouterCore;
  logger: Logger;
  nodeId: number;
  deployment: Deployment;
  house: HouseConfig;
  maxTokensCap: number;
  maxPromptBytes: number;
  finalTimeoutMs: number;
  chainBlock: () => Promise<bigint>;
  /** When set, /v1 and /api requests must carry it in `x-cor-gateway-secret` (default: COR_GATEWAY_SECRET). */
  gatewaySecret?: string;
  /** Exact prompt token count for a model, undefined when unknown (default: the GGUF's tokenizer). */
  promptTokens?: (modelId: Hex, prompt: string) => Promise<number | undefined>;
};

/**
 * A JSON request body: `content-type: application/json` (415 otherwise), strict UTF-8 (400 `invalid_utf8`),
 * one JSON object (400 `invalid_json`).
 */
export const readJson = async (c: Context): Promise<Record<string, unknown>> => {
  if (!isJsonContentType(c.req.header("content-type"))) {
    throw new HttpError(
      415,
      "Request body must be JSON: send `content-type: application/json`",
      "invalid_request_error",
      "unsupported_media_type",
    );
  }
  const text = decodeUtf8(new Uint8Array(await c.req.arrayBuffer()));
  if (text === undefined) throw bad("Request body is not valid UTF-8", "invalid_utf8");
  let body: unknown;
  try {
    body = JSON.parse(text);
  } catch {
    throw bad("Request body must be a JSON object", "invalid_json");
  }
  if (!body || typeof body !== "object" || Array.isArray(body))
    throw bad("Request body must be a JSON object", "invalid_json");
  return body as Record<string, unknown>;
};

/** A `.catch` that throws `replacement` for the SDK's NotFoundError (no such session or task), else the error. */
const missingAs =
  (replacement: HttpError) =>
  (err: unknown): never => {
    throw err instanceof NotFoundError ? replacement : err;
  };

/** An OpenAI chat message the prompt renderer takes: a string role, and string, null or array-of-parts content. */
const isChatMessage = (m: unknown): m is ChatMessage => {
  if (!m || typeof m !== "object") return false;
  const { role, content } = m as { role?: unknown; content?: unknown };
  if (typeof role !== "string") return false;
  if (content == null || typeof content === "string") return true;
  return Array.isArray(content) && content.every((part) => typeof part === "object" && part !== null);
};

export const createApi = (opts: ApiOptions) => {
  const { core, logger, nodeId, deployment, house, maxTokensCap } = opts;
  const gatewaySecret = opts.gatewaySecret ?? process.env.COR_GATEWAY_SECRET;
  const countPrompt = opts.promptTokens ?? createPromptCounter(logger);
  const completionOptions = (
    body: Record<string, unknown>,
    chat: boolean,
    defaultMaxTokens = Math.min(128, maxTokensCap),
    sampling?: { temperature: number; topP: number },
  ) => {
    const o = readCompletionOptions(body, { defaultMaxTokens, maxTokensCap, chat, sampling });
    if ("message" in o) throw new HttpError(400, o.message, "invalid_request_error", o.code, o.param);
    return o;
  };

  const resolveModel = (model: unknown): Hex => {
    if (typeof model !== "string" || !model) throw bad("`model` is required", "missing_model");
    if (/^0x[0-9a-fA-F]{64}$/.test(model)) return model as Hex;
    const id = core.models.get(model) ?? (model === "default" ? deployment.modelId : undefined);
    if (!id)
      throw new HttpError(404, `The model '${model}' does not exist`, "invalid_request_error", "model_not_found");
    return id;
  };
  const network = deployment.network;
  /** An open session, else a 404 (a session that does not exist is not open either). */
  const openSession = async (sessionId: number): Promise<SessionInfo> => {
    const notOpen = new HttpError(
      404,
      `Session ${sessionId} is not open`,
      "invalid_request_error",
      "session_not_found",
    );
    const session = await getSession(core.client, { network, sessionId }).catch(missingAs(notOpen));
    if (session.status !== "Open") throw notOpen;
    return session;
  };
  const checkPrompt = (prompt: string) => {
    if (Buffer.byteLength(prompt) > opts.maxPromptBytes) {
      throw bad(
        `Prompt is ${Buffer.byteLength(prompt)} bytes; the limit is ${opts.maxPromptBytes}`,
        "context_length_exceeded",
      );
    }
  };
  const submitOrExplain = async (c: Context, sessionId: number, prompt: string, maxTokens: number, early = false) => {
    try {
      return await core.submit(sessionId, prompt, maxTokens, { early });
    } catch (err) {
      // Submitted but not assigned: name the task so that a gateway does not submit the request again elsewhere.
      if (err instanceof NoMinersError) {
        if (err.taskId !== undefined) c.header("x-cor-task-id", err.taskId.toString());
        throw new HttpError(503, err.shortMessage, "server_error", "no_miners");
      }
      // A submission's revert, by the SDK's decoded error name (never by message text).
      const revert = contractErrorOf(err, [
        "InsufficientDeposit",
        "NotAuthorizedSubmitter",
        "SessionNotOpen",
        "UnknownSession",
      ]);
      if (revert?.errorName === "InsufficientDeposit") {
        throw new HttpError(
          402,
          `Session ${sessionId} has too little deposit for ${maxTokens} tokens`,
          "insufficient_quota",
          "insufficient_deposit",
        );
      }
      if (revert?.errorName === "NotAuthorizedSubmitter") {
        throw new HttpError(
          403,
          `This router may not submit to session ${sessionId}: the owner must authorizeSubmitter(router)`,
          "permission_error",
          "not_authorized",
        );
      }
      if (revert)
        throw new HttpError(404, `Session ${sessionId} is not open`, "invalid_request_error", "session_not_found");
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
  const usageOf = (promptTokens: number, final: FinalResult) => ({
    prompt_tokens: promptTokens,
    completion_tokens: final.tokens ?? 0,
    total_tokens: promptTokens + (final.tokens ?? 0),
  });
  const completionBody = (
    kind: Kind,
    model: string,
    taskId: bigint,
    final: FinalResult,
    promptTokens: number,
    o: CompletionOptions,
    extra: Record<string, unknown>,
  ) => {
    const cut = cutAtStop(final.text ?? "", o.stop);
    const text = cut.text;
    const finish = finishReason({ stopped: cut.stopped, tokens: final.tokens, maxTokens: o.maxTokens });
    const usage = usageOf(promptTokens, final);
    const id = `${kind === "chat" ? "chatcmpl" : "cmpl"}-${taskId}`;
    const created = Math.floor(Date.now() / 1000);
    return kind === "chat"
      ? {
          id,
          object: "chat.completion",
          created,
          model,
          choices: [{ index: 0, message: { role: "assistant", content: text }, finish_reason: finish, logprobs: null }],
          usage,
          cor: { ...corInfo(taskId, final), ...extra },
        }
      : {
          id,
          object: "text_completion",
          created,
          model,
          choices: [{ index: 0, text, finish_reason: finish, logprobs: null }],
          usage,
          cor: { ...corInfo(taskId, final), ...extra },
        };
  };

  /**
   * Runs one completion: submit, then either wait for the final verified text or stream the fastest miner.
   * Stop sequences cut the text (the task itself still runs to its end and is paid for its committed tokens);
   * `cost_wei` is what the session's escrow settles for the output tokens (tokens × price × R).
   */
  const complete = async (
    c: Context,
    kind: Kind,
    sessionId: number,
    model: string,
    modelId: Hex,
    prompt: string,
    o: CompletionOptions,
    pricing: { price: bigint; redundancy: number },
  ) => {
    checkPrompt(prompt);
    const counted = countPrompt(modelId, prompt).catch(() => undefined);
    // A stream may start before the task is mined (speculative start): `settled` says how submission ended.
    const { taskId, settled } = await submitOrExplain(c, sessionId, prompt, o.maxTokens, o.stream);
    const taskKey = taskId.toString();
    c.header("x-cor-task-id", taskKey);
    // Counted while the task runs: a stream must not wait for the tokenizer before its first token.
    const promptTokensOf = async () => (await counted) ?? Math.ceil(Buffer.byteLength(prompt) / 4);
    const costOf = (f: FinalResult) => (BigInt(f.tokens ?? 0) * pricing.price * BigInt(pricing.redundancy)).toString();
    if (!o.stream) {
      const final = await core.waitFinal(taskId, opts.finalTimeoutMs).catch((err) => {
        throw new HttpError(504, String(err.message), "server_error", "timeout");
      });
      if (final.status === "Failed")
        throw new HttpError(
          502,
          `Task ${taskKey} failed on chain (reason ${final.failReason})`,
          "server_error",
          "task_failed",
        );
      return c.json(completionBody(kind, model, taskId, final, await promptTokensOf(), o, { cost_wei: costOf(final) }));
    }
    const id = `${kind === "chat" ? "chatcmpl" : "cmpl"}-${taskId}`;
    const created = Math.floor(Date.now() / 1000);
    const chunk = (delta: string | null, finish: string | null, extra: Record<string, unknown> = {}) =>
      kind === "chat"
        ? {
            id,
            object: "chat.completion.chunk",
            created,
            model,
            choices: [{ index: 0, delta: delta === null ? {} : { content: delta }, finish_reason: finish }],
            ...extra,
          }
        : {
            id,
            object: "text_completion",
            created,
            model,
            choices: [{ index: 0, text: delta ?? "", finish_reason: finish }],
            ...extra,
          };
    return streamSSE(c, async (sse) => {
      // Snapshot what was already relayed and subscribe in the same tick: no token is lost or duplicated.
      const queue: TaskEvent[] = [...core.tokenLog(taskKey)];
      let wake: (() => void) | undefined;
      let final: FinalResult | undefined;
      let failed: { code: string; message: string } | undefined;
      const listener = (e: TaskEvent) => {
        // The relay ends a stream that has no source left, or whose task failed: stop at once.
        if (e.type === "error") failed ??= { code: e.code, message: e.message };
        else queue.push(e);
        wake?.();
      };
      core.events.on(`task:${taskKey}`, listener);
      core.waitFinal(taskId, opts.finalTimeoutMs).then(
        (f) => {
          final = f;
          wake?.();
        },
        (err) => {
          failed ??= { code: "timeout", message: String((err as Error).message) };
          wake?.();
        },
      );
      settled.catch((err) => {
        failed ??= { code: "task_failed", message: String((err as Error).message).split("\n")[0] };
        wake?.();
      });
      sse.onAbort(() => wake?.());
      const write = (payload: unknown) => sse.writeSSE({ data: safeStringify(payload) });
      const stops = createStopFilter(o.stop);
      let streamed = "";
      const show = async (text: string) => {
        if (!text) return;
        streamed += text;
        await write(chunk(text, null));
      };
      // Everything queued since the last write goes out as one chunk (tokens arrive in frames: one write each).
      const drain = async () => {
        while (queue.length) {
          let text = "";
          for (const e of queue.splice(0)) if (e.type === "token") text += stops.push(e.piece);
          await show(text);
        }
      };
      try {
        if (kind === "chat")
          await write(
            chunk("", null, {
              choices: [{ index: 0, delta: { role: "assistant", content: "" }, finish_reason: null }],
            }),
          );
        while (!final && !failed && !sse.aborted) {
          await drain();
          if (!final && !failed)
            await new Promise<void>((r) => {
              wake = r;
            });
          wake = undefined;
        }
        await drain();
        const f = final as FinalResult | undefined;
        if (!f || f.status === "Failed") {
          const reason = f
            ? { code: "task_failed", message: `Task ${taskKey} failed on chain (reason ${f.failReason})` }
            : failed;
          await write({
            error: {
              message: reason?.message ?? `Task ${taskKey} failed`,
              type: "server_error",
              code: reason?.code ?? "task_failed",
              task_id: taskKey,
            },
          });
        } else {
          await show(stops.end());
          // The stream was optimistic: if the accepted text differs, send the rest so the client ends with it.
          const verified = cutAtStop(f.text ?? streamed, o.stop);
          if (verified.text !== streamed && verified.text.startsWith(streamed))
            await show(verified.text.slice(streamed.length));
          const matches = verified.text === streamed;
          const finish = finishReason({ stopped: verified.stopped, tokens: f.tokens, maxTokens: o.maxTokens });
          const cor = { ...corInfo(taskId, f), cost_wei: costOf(f), verified_text_matches_stream: matches };
          // A stream that diverged from the accepted result carries the verified text in its last chunk.
          await write(chunk(null, finish, { cor: matches ? cor : { ...cor, text: verified.text } }));
          if (o.includeUsage)
            await write({ ...chunk(null, null), choices: [], usage: usageOf(await promptTokensOf(), f) });
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
    return c.json(
      {
        error: { message: String((err as Error).message).split("\n")[0], type: "server_error", code: "internal_error" },
      },
      500,
    );
  });
  app.notFound((c) =>
    c.json(
      errorBody(new HttpError(404, `No route ${c.req.method} ${c.req.path}`, "invalid_request_error", "not_found")),
      404,
    ),
  );

  app.use("*", async (c, next) => {
    c.header("x-cor-router", String(nodeId));
    await next();
  });
  if (gatewaySecret) {
    // Behind a gateway: the house sessions and the Cortensor routes are only for requests the gateway admitted.
    const expected = Buffer.from(gatewaySecret);
    const guard = async (c: Context, next: () => Promise<void>) => {
      const given = Buffer.from(c.req.header("x-cor-gateway-secret") ?? "");
      if (given.length !== expected.length || !timingSafeEqual(given, expected)) {
        throw new HttpError(
          403,
          "This router only takes requests from its gateway",
          "permission_error",
          "gateway_only",
        );
      }
      await next();
    };
    app.use("/v1/*", guard);
    app.use("/api/*", guard);
  }

  app.get("/health", async (c) => {
    const live = core.liveMiners();
    return c.json({ status: "ok", nodeId, miners: live });
  });
  app.get("/v1/models", (c) =>
    c.json({
      object: "list",
      data: [...core.models.entries()].map(([name, id]) => ({
        id: name,
        object: "model",
        created: 0,
        owned_by: "cor-network",
        cor_model_id: id,
      })),
    }),
  );
  app.post("/v1/chat/completions", async (c) => {
    const body = await readJson(c);
    const modelId = resolveModel(body.model);
    if (!Array.isArray(body.messages) || body.messages.length === 0)
      throw bad("`messages` must be a non-empty array", "missing_messages");
    if (!body.messages.every(isChatMessage))
      throw bad("Each message needs a `role` and `content` (a string or an array of parts)", "invalid_messages");
    const o = completionOptions(body, true);
    const prompt = renderChatPrompt(body.messages);
    const sessionId = await core.houseSession(modelId, house);
    return complete(c, "chat", sessionId, String(body.model), modelId, prompt, o, {
      price: house.price,
      redundancy: house.redundancy,
    });
  });
  app.post("/v1/completions", async (c) => {
    const body = await readJson(c);
    const modelId = resolveModel(body.model);
    if (typeof body.prompt !== "string" || !body.prompt)
      throw bad("`prompt` must be a non-empty string", "missing_prompt");
    const o = completionOptions(body, false);
    const sessionId = await core.houseSession(modelId, house);
    return complete(c, "text", sessionId, String(body.model), modelId, body.prompt, o, {
      price: house.price,
      redundancy: house.redundancy,
    });
  });

  // Cortensor-style API: the client names its own session (which authorized this router to submit).
  app.post("/api/v1/completions", async (c) => {
    const body = await readJson(c);
    const sessionId = Number(body.session_id);
    if (!Number.isInteger(sessionId) || sessionId < 1)
      throw bad("`session_id` must be a positive integer", "missing_session_id");
    if (typeof body.prompt !== "string" || !body.prompt)
      throw bad("`prompt` must be a non-empty string", "missing_prompt");
    const session = await openSession(sessionId);
    // The session's declared sampling (thousandths and basis points on chain) is what requests must match.
    const { temperature, topP } = session.sampling;
    const o = completionOptions(body, false, Math.min(128, session.maxTokens), { temperature, topP });
    const maxTokens = o.maxTokens;
    if (session.deposit < escrowOf(session.redundancy, maxTokens, session.pricePerToken)) {
      throw new HttpError(
        402,
        `Session ${sessionId} has too little deposit for ${maxTokens} tokens`,
        "insufficient_quota",
        "insufficient_deposit",
      );
    }
    const name = [...core.models.entries()].find(([, id]) => id === session.modelId)?.[0] ?? session.modelId;
    return complete(c, "text", sessionId, name, session.modelId, body.prompt, o, {
      price: session.pricePerToken,
      redundancy: session.redundancy,
    });
  });
  app.get("/api/v1/sessions/:id", async (c) => {
    const id = Number(c.req.param("id"));
    if (!Number.isInteger(id) || id < 1) throw bad("Session id must be a positive integer");
    const s = await getRawSession(core.client, { network, sessionId: id }).catch(
      missingAs(new HttpError(404, `Session ${id} does not exist`, "invalid_request_error", "session_not_found")),
    );
    return c.json(jsonSafe({ id, ...s }) as Record<string, unknown>);
  });
  app.get("/api/v1/tasks/:sessionId/:taskId", async (c) => {
    const sessionId = Number(c.req.param("sessionId"));
    const index = Number(c.req.param("taskId"));
    if (!Number.isInteger(sessionId) || !Number.isInteger(index) || sessionId < 1 || index < 1)
      throw bad("Task ids are positive integers");
    const taskId = taskIdOf(sessionId, index);
    const t = await getRawTask(core.client, { network, taskId }).catch(
      missingAs(
        new HttpError(404, `Task ${sessionId}/${index} does not exist`, "invalid_request_error", "task_not_found"),
      ),
    );
    // The final result (CID and verified text) comes from the chain's events, so a restarted router serves it too.
    const final = await core.resultOf(taskId).catch((err) => {
      logger.warn({ err: String(err) }, `Result of task=${taskId} unavailable`);
      return undefined;
    });
    return c.json(
      jsonSafe({
        task_id: taskId.toString(),
        ...t,
        result_cid: final?.resultCid ?? null,
        text: final?.text ?? null,
        cor: corInfo(taskId, final),
      }) as Record<string, unknown>,
    );
  });
  app.get("/api/v1/miners", (c) => c.json(jsonSafe({ miners: core.miners() }) as Record<string, unknown>));
  app.get("/api/v1/status", async (c) =>
    c.json({
      router_node_id: nodeId,
      chain_id: deployment.chainId,
      block: Number(await opts.chainBlock()),
      network: deployment.network,
      miners_live: core.liveMiners(),
      sessions: core.sessions.size,
      uptime_s: Math.round((Date.now() - core.startedAt) / 1000),
    }),
  );
  app.all("/v1/*", (c) =>
    c.json(
      errorBody(
        new HttpError(
          405,
          `${c.req.method} is not allowed on ${c.req.path}`,
          "invalid_request_error",
          "method_not_allowed",
        ),
      ),
      405,
    ),
  );
  return app;
};
