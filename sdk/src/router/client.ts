import { TimeoutError } from "../errors/task.ts";
import { type OpenAIErrorBody, RouterConnectionError, RouterHttpError } from "./errors.ts";
import { parseServerSentEvents } from "./sse.ts";
import type {
  ChatCompletion,
  ChatCompletionChunk,
  ChatCompletionParameters,
  Completion,
  CompletionChunk,
  CompletionParameters,
  CorReceipt,
  ModelList,
  RouterMiners,
  RouterSession,
  RouterStatus,
  RouterTask,
  SessionCompletion,
  SessionCompletionChunk,
  SessionCompletionParameters,
} from "./types.ts";

export type RouterClientOptions = {
  /** Base URL of a router (or the gateway), e.g. "http://127.0.0.1:8080". */
  url: string;
  /** Sent as `Authorization: Bearer <apiKey>` (the gateway requires one; a bare router may not). */
  apiKey?: string | undefined;
  /** Extra headers on every request. */
  headers?: Record<string, string> | undefined;
  /** Per-request timeout in ms (for a stream: until the response headers). Default 120 000. */
  timeout?: number | undefined;
  /** fetch implementation; default globalThis.fetch. */
  fetch?: typeof globalThis.fetch | undefined;
};

/** Per-call options. */
export type RequestOptions = { signal?: AbortSignal | undefined; timeout?: number | undefined };

/** An SSE response as an async iterator of parsed chunks. Breaking out of the loop closes the connection. */
export type RouterStream<chunk> = AsyncIterable<chunk> & {
  /** x-request-id of the response. */
  requestId: string | undefined;
  /** x-cor-task-id of the response: the task is known before the first token. */
  taskId: bigint | undefined;
  /** Closes the connection. */
  abort: () => void;
};

export type RouterClient = {
  url: string;
  /** Low-level JSON request; throws RouterHttpError on error statuses. */
  request: <T>(method: "GET" | "POST", path: string, body?: unknown, options?: RequestOptions) => Promise<T>;
  /** Low-level SSE request (body gets `stream: true`). */
  stream: <T>(path: string, body: unknown, options?: RequestOptions) => Promise<RouterStream<T>>;

  // ---------------------------------------------------------------- OpenAI-compatible
  /** `POST /v1/chat/completions`. */
  chatCompletions: (params: ChatCompletionParameters, options?: RequestOptions) => Promise<ChatCompletion>;
  /** `POST /v1/chat/completions` with `stream: true`. */
  streamChatCompletions: (
    params: ChatCompletionParameters,
    options?: RequestOptions,
  ) => Promise<RouterStream<ChatCompletionChunk>>;
  /** `POST /v1/completions`. */
  completions: (params: CompletionParameters, options?: RequestOptions) => Promise<Completion>;
  /** `POST /v1/completions` with `stream: true`. */
  streamCompletions: (params: CompletionParameters, options?: RequestOptions) => Promise<RouterStream<CompletionChunk>>;
  /** `GET /v1/models`. */
  listModels: (options?: RequestOptions) => Promise<ModelList>;

  // ---------------------------------------------------------------- Cortensor-style
  /** `POST /api/v1/completions` {session_id, prompt, max_tokens}. */
  sessionCompletions: (params: SessionCompletionParameters, options?: RequestOptions) => Promise<SessionCompletion>;
  /** `POST /api/v1/completions` with `stream: true`. */
  streamSessionCompletions: (
    params: SessionCompletionParameters,
    options?: RequestOptions,
  ) => Promise<RouterStream<SessionCompletionChunk>>;
  /** `GET /api/v1/sessions/:id`. */
  getSession: (sessionId: number | string, options?: RequestOptions) => Promise<RouterSession>;
  /** `GET /api/v1/tasks/:sessionId/:index`: `index` is the 1-based task index in the session (taskIndexOf(taskId)). */
  getTask: (sessionId: number | string, index: number | string, options?: RequestOptions) => Promise<RouterTask>;
  /** `GET /api/v1/miners`. */
  listMiners: (options?: RequestOptions) => Promise<RouterMiners>;
  /** `GET /api/v1/status`. */
  getStatus: (options?: RequestOptions) => Promise<RouterStatus>;
};

/** The task id of a router response's `cor` receipt as a bigint. */
export const corTaskId = (receipt: Pick<CorReceipt, "task_id">): bigint => BigInt(receipt.task_id);

/**
 * Concatenates a chat or completion stream into the full text; returns the last `cor` receipt seen.
 *
 * @example
 * const stream = await router.streamChatCompletions({ model: 'stories260K', messages })
 * const { text, cor } = await collectStream(stream)
 */
export async function collectStream(
  stream: AsyncIterable<ChatCompletionChunk | CompletionChunk>,
): Promise<{ text: string; cor: CorReceipt | undefined; chunks: number }> {
  let text = "";
  let cor: CorReceipt | undefined;
  let chunks = 0;
  for await (const chunk of stream) {
    chunks++;
    if ("choices" in chunk && Array.isArray(chunk.choices)) {
      for (const choice of chunk.choices as { delta?: { content?: string }; text?: string }[]) {
        text += choice.delta?.content ?? choice.text ?? "";
      }
    }
    if (chunk.cor) cor = chunk.cor;
  }
  return { text, cor, chunks };
}

const isOpenAIError = (v: unknown): v is OpenAIErrorBody =>
  typeof v === "object" && v !== null && typeof (v as OpenAIErrorBody).error?.message === "string";

/**
 * A typed client for a COR router's HTTP APIs: the OpenAI-compatible routes (`/v1/chat/completions`,
 * `/v1/completions`, `/v1/models`, with SSE streaming) and the Cortensor-style session routes (`/api/v1/…`).
 * Responses carry `cor: { task_id, result_cid, result_hash }`; errors are OpenAI-shaped and thrown as
 * {@link RouterHttpError}.
 *
 * @example
 * const router = createRouterClient({ url: 'http://127.0.0.1:8080', apiKey: process.env.COR_API_KEY })
 * const completion = await router.chatCompletions({
 *   model: 'stories260K',
 *   messages: [{ role: 'user', content: 'Tell me a story' }],
 *   max_tokens: 64,
 * })
 * console.log(completion.choices[0].message.content, completion.cor.task_id)
 *
 * for await (const chunk of await router.streamChatCompletions({ model: 'stories260K', messages })) {
 *   process.stdout.write(chunk.choices[0]?.delta.content ?? '')
 * }
 */
export function createRouterClient(options: RouterClientOptions): RouterClient {
  const base = options.url.replace(/\/+$/, "");
  const doFetch = options.fetch ?? globalThis.fetch;
  const defaultTimeout = options.timeout ?? 120_000;

  const send = async (
    method: "GET" | "POST",
    path: string,
    body: unknown,
    accept: string,
    opts: RequestOptions = {},
  ): Promise<{ response: Response; controller: AbortController; url: string; clear: () => void }> => {
    const url = `${base}${path}`;
    const timeout = opts.timeout ?? defaultTimeout;
    const controller = new AbortController();
    let timedOut = false;
    const timer = setTimeout(() => {
      timedOut = true;
      controller.abort();
    }, timeout);
    const onAbort = () => controller.abort(opts.signal?.reason);
    opts.signal?.addEventListener("abort", onAbort, { once: true });
    const clear = () => {
      clearTimeout(timer);
      opts.signal?.removeEventListener("abort", onAbort);
    };
    let response: Response;
    try {
      response = await doFetch(url, {
        method,
        headers: {
          accept,
          ...(body !== undefined ? { "content-type": "application/json" } : {}),
          ...(options.apiKey ? { authorization: `Bearer ${options.apiKey}` } : {}),
          ...options.headers,
        },
        body: body === undefined ? undefined : JSON.stringify(body),
        signal: controller.signal,
      });
    } catch (cause) {
      clear();
      if (timedOut) throw new TimeoutError({ what: `${method} ${url}`, timeoutMs: timeout, cause });
      if (opts.signal?.aborted) throw opts.signal.reason;
      throw new RouterConnectionError({ url, cause });
    }
    if (!response.ok) {
      clear();
      const text = await response.text().catch(() => "");
      let parsed: unknown;
      try {
        parsed = JSON.parse(text);
      } catch {}
      const requestId = response.headers.get("x-request-id");
      if (isOpenAIError(parsed)) {
        throw new RouterHttpError({
          status: response.status,
          url,
          message: parsed.error.message,
          type: parsed.error.type,
          code: parsed.error.code,
          requestId,
        });
      }
      throw new RouterHttpError({
        status: response.status,
        url,
        message: `The router answered ${response.status} ${response.statusText}`.trim(),
        requestId,
        body: text.slice(0, 2000),
      });
    }
    return { response, controller, url, clear };
  };

  const request = async <T>(method: "GET" | "POST", path: string, body?: unknown, opts?: RequestOptions) => {
    const { response, clear } = await send(method, path, body, "application/json", opts);
    try {
      return (await response.json()) as T;
    } finally {
      clear();
    }
  };

  const stream = async <T>(path: string, body: unknown, opts?: RequestOptions): Promise<RouterStream<T>> => {
    const { response, controller, url, clear } = await send(
      "POST",
      path,
      { ...(body as object), stream: true },
      "text/event-stream",
      opts,
    );
    // The timeout covers the wait for headers; a stream may then run as long as the model generates.
    clear();
    const requestId = response.headers.get("x-request-id") ?? undefined;
    const taskHeader = response.headers.get("x-cor-task-id");
    const taskId = taskHeader && /^\d+$/.test(taskHeader) ? BigInt(taskHeader) : undefined;
    const iterate = async function* (): AsyncGenerator<T> {
      if (!response.body) return;
      try {
        for await (const event of parseServerSentEvents(response.body)) {
          if (event.data === "[DONE]") return;
          let parsed: unknown;
          try {
            parsed = JSON.parse(event.data);
          } catch {
            continue;
          }
          if (event.event === "error" || isOpenAIError(parsed)) {
            const e = isOpenAIError(parsed) ? parsed.error : { message: event.data };
            throw new RouterHttpError({
              status: response.status,
              url,
              message: e.message,
              type: (e as OpenAIErrorBody["error"]).type,
              code: (e as OpenAIErrorBody["error"]).code,
              requestId,
            });
          }
          yield parsed as T;
        }
      } finally {
        controller.abort();
      }
    };
    return { [Symbol.asyncIterator]: iterate, requestId, taskId, abort: () => controller.abort() };
  };

  return {
    url: base,
    request,
    stream,
    chatCompletions: (params, opts) => request("POST", "/v1/chat/completions", { ...params, stream: false }, opts),
    streamChatCompletions: (params, opts) => stream("/v1/chat/completions", params, opts),
    completions: (params, opts) => request("POST", "/v1/completions", { ...params, stream: false }, opts),
    streamCompletions: (params, opts) => stream("/v1/completions", params, opts),
    listModels: (opts) => request("GET", "/v1/models", undefined, opts),
    sessionCompletions: (params, opts) => request("POST", "/api/v1/completions", { ...params, stream: false }, opts),
    streamSessionCompletions: (params, opts) => stream("/api/v1/completions", params, opts),
    getSession: (sessionId, opts) =>
      request("GET", `/api/v1/sessions/${encodeURIComponent(String(sessionId))}`, undefined, opts),
    getTask: (sessionId, index, opts) =>
      request(
        "GET",
        `/api/v1/tasks/${encodeURIComponent(String(sessionId))}/${encodeURIComponent(String(index))}`,
        undefined,
        opts,
      ),
    listMiners: (opts) => request("GET", "/api/v1/miners", undefined, opts),
    getStatus: (opts) => request("GET", "/api/v1/status", undefined, opts),
  };
}
