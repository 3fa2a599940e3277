import { createServer, type IncomingMessage, type Server, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";
import { afterAll, beforeAll, describe, expect, test } from "vitest";
import { TimeoutError } from "../errors/task.ts";
import { collectStream, corTaskId, createRouterClient } from "./client.ts";
import { RouterConnectionError, RouterHttpError } from "./errors.ts";
import { parseServerSentEvents } from "./sse.ts";

// Fixture bodies in the shape the router (agents/src/router) serves.
const taskId = ((3n << 32n) | 7n).toString();
const cor = {
  task_id: taskId,
  session_id: 3,
  result_cid: "bafkreigh2akiscaildcqabsyg3dfr6chu3fgpregiymsck7e7aqa4s52zy",
  result_hash: `0x${"ab".repeat(32)}`,
  winner_node_id: 2,
  status: "Finalized",
};
const chat = {
  id: `chatcmpl-${taskId}`,
  object: "chat.completion",
  created: 1_700_000_000,
  model: "stories260K",
  choices: [
    { index: 0, message: { role: "assistant", content: "Once upon a time" }, finish_reason: "stop", logprobs: null },
  ],
  usage: { prompt_tokens: 0, completion_tokens: 4, total_tokens: 4 },
  cor,
};
const chunk = (content: string | null, finish: string | null, extra = {}) => ({
  id: `chatcmpl-${taskId}`,
  object: "chat.completion.chunk",
  created: 1_700_000_000,
  model: "stories260K",
  choices: [{ index: 0, delta: content === null ? {} : { content }, finish_reason: finish }],
  ...extra,
});
const text = (t: string, finish: string | null, extra = {}) => ({
  id: `cmpl-${taskId}`,
  object: "text_completion",
  created: 1_700_000_000,
  model: "stories260K",
  choices: [{ index: 0, text: t, finish_reason: finish }],
  ...extra,
});

type Seen = { method?: string; url?: string; headers?: IncomingMessage["headers"]; body?: unknown };
const seen: Seen = {};
let server: Server;
let url: string;

const readBody = (req: IncomingMessage) =>
  new Promise<unknown>((resolve) => {
    let raw = "";
    req.on("data", (d) => {
      raw += d;
    });
    req.on("end", () => resolve(raw ? JSON.parse(raw) : undefined));
  });

const json = (res: ServerResponse, status: number, body: unknown, headers: Record<string, string> = {}) => {
  res.writeHead(status, { "content-type": "application/json", "x-request-id": "req-123", ...headers });
  res.end(JSON.stringify(body));
};

/** Writes SSE events in awkward pieces (split mid-line, CRLF) to exercise the parser. */
const sse = async (res: ServerResponse, events: unknown[]) => {
  res.writeHead(200, { "content-type": "text/event-stream", "x-request-id": "req-sse", "x-cor-task-id": taskId });
  res.write(": keep-alive\r\n\r\n");
  for (const e of events) {
    const payload = `data: ${typeof e === "string" ? e : JSON.stringify(e)}\r\n\r\n`;
    const mid = Math.floor(payload.length / 2);
    res.write(payload.slice(0, mid));
    await new Promise((r) => setTimeout(r, 5));
    res.write(payload.slice(mid));
  }
  res.end();
};

beforeAll(async () => {
  server = createServer(async (req, res) => {
    const body = await readBody(req);
    Object.assign(seen, { method: req.method, url: req.url, headers: req.headers, body });
    const stream = (body as { stream?: boolean } | undefined)?.stream === true;
    const route = `${req.method} ${req.url}`;
    if (route === "POST /v1/chat/completions") {
      if ((body as { model: string }).model === "missing") {
        return json(res, 404, {
          error: { message: "Unknown model `missing`", type: "invalid_request_error", code: "model_not_found" },
        });
      }
      if ((body as { model: string }).model === "fails-midway") {
        return sse(res, [
          chunk("Once", null),
          { error: { message: "Task failed on chain", type: "server_error", code: "task_failed" } },
        ]);
      }
      if (!stream) return json(res, 200, chat);
      return sse(res, [
        chunk("", null, { choices: [{ index: 0, delta: { role: "assistant", content: "" }, finish_reason: null }] }),
        chunk("Once", null),
        chunk(" upon a time", null),
        chunk(null, "stop", { cor: { ...cor, verified_text_matches_stream: true } }),
        "[DONE]",
      ]);
    }
    if (route === "POST /v1/completions" || route === "POST /api/v1/completions") {
      if ((body as { session_id?: number }).session_id === 9) {
        return json(res, 402, {
          error: {
            message: "Session 9 has too little deposit for 128 tokens",
            type: "insufficient_quota",
            code: "insufficient_deposit",
          },
        });
      }
      if (!stream) return json(res, 200, { ...text("The end.", "stop"), usage: chat.usage, cor });
      return sse(res, [text("The", null), text(" end.", null), text("", "stop", { cor }), "[DONE]"]);
    }
    if (route === "GET /v1/models") {
      return json(res, 200, {
        object: "list",
        data: [{ id: "stories260K", object: "model", created: 0, owned_by: "cor-network" }],
      });
    }
    if (route === "GET /api/v1/sessions/3")
      return json(res, 200, { id: 3, owner: "0xabc", status: 1, deposit: "1000" });
    if (route === "GET /api/v1/tasks/3/7") return json(res, 200, { task_id: taskId, status: 5, miners: [2] });
    if (route === "GET /api/v1/miners") return json(res, 200, { miners: [{ nodeId: 2, live: true }] });
    if (route === "GET /api/v1/status") return json(res, 200, { router_node_id: 1, chain_id: 31337, miners_live: 1 });
    if (route === "GET /slow") return setTimeout(() => json(res, 200, {}), 1000);
    if (route === "GET /html") {
      res.writeHead(502, { "content-type": "text/html" });
      return res.end("<html>Bad Gateway</html>");
    }
    return json(res, 404, {
      error: { message: `No route ${route}`, type: "invalid_request_error", code: "not_found" },
    });
  });
  await new Promise<void>((r) => server.listen(0, "127.0.0.1", r));
  url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});
afterAll(async () => {
  server.closeAllConnections();
  await new Promise((r) => server.close(r));
});

describe("OpenAI-compatible routes", () => {
  test("chatCompletions sends the body and API key, returns the completion with its cor receipt", async () => {
    const router = createRouterClient({ url: `${url}/`, apiKey: "sk-test" });
    const completion = await router.chatCompletions({
      model: "stories260K",
      messages: [{ role: "user", content: "Tell me a story" }],
      max_tokens: 16,
    });
    expect(completion.choices[0].message.content).toBe("Once upon a time");
    expect(corTaskId(completion.cor)).toBe((3n << 32n) | 7n);
    expect(completion.cor.result_hash).toBe(cor.result_hash);
    expect(seen.headers?.authorization).toBe("Bearer sk-test");
    expect(seen.body).toEqual({
      model: "stories260K",
      messages: [{ role: "user", content: "Tell me a story" }],
      max_tokens: 16,
      stream: false,
    });
  });

  test("streamChatCompletions yields parsed chunks until [DONE]; the last carries cor", async () => {
    const router = createRouterClient({ url });
    const stream = await router.streamChatCompletions({
      model: "stories260K",
      messages: [{ role: "user", content: "hi" }],
    });
    expect(stream.requestId).toBe("req-sse");
    expect(stream.taskId).toBe((3n << 32n) | 7n);
    const { text, cor: receipt, chunks } = await collectStream(stream);
    expect(text).toBe("Once upon a time");
    expect(chunks).toBe(4);
    expect(receipt?.verified_text_matches_stream).toBe(true);
    expect((seen.body as { stream: boolean }).stream).toBe(true);
    expect(seen.headers?.accept).toBe("text/event-stream");
  });

  test("completions and streamCompletions", async () => {
    const router = createRouterClient({ url });
    const completion = await router.completions({ model: "stories260K", prompt: "Once" });
    expect(completion.choices[0].text).toBe("The end.");
    const parts: string[] = [];
    for await (const c of await router.streamCompletions({ model: "stories260K", prompt: "Once" })) {
      parts.push(c.choices[0].text);
    }
    expect(parts.join("")).toBe("The end.");
  });

  test("listModels", async () => {
    const models = await createRouterClient({ url }).listModels();
    expect(models.data.map((m) => m.id)).toEqual(["stories260K"]);
    expect(seen.method).toBe("GET");
  });
});

describe("Cortensor-style routes", () => {
  test("sessionCompletions posts session_id and prompt", async () => {
    const router = createRouterClient({ url });
    const completion = await router.sessionCompletions({ session_id: 3, prompt: "Once", max_tokens: 8 });
    expect(completion.cor.task_id).toBe(taskId);
    expect(seen.url).toBe("/api/v1/completions");
    expect(seen.body).toEqual({ session_id: 3, prompt: "Once", max_tokens: 8, stream: false });
    const { text } = await collectStream(await router.streamSessionCompletions({ session_id: 3, prompt: "Once" }));
    expect(text).toBe("The end.");
  });

  test("session, task, miners and status reads", async () => {
    const router = createRouterClient({ url });
    expect((await router.getSession(3)).deposit).toBe("1000");
    expect((await router.getTask(3, 7)).task_id).toBe(taskId);
    expect((await router.listMiners()).miners).toEqual([{ nodeId: 2, live: true }]);
    expect((await router.getStatus()).chain_id).toBe(31337);
  });
});

describe("errors", () => {
  test("OpenAI-shaped error bodies become RouterHttpError with status, type, code and request id", async () => {
    const router = createRouterClient({ url });
    const err = await router.sessionCompletions({ session_id: 9, prompt: "x" }).catch((e) => e);
    expect(err).toBeInstanceOf(RouterHttpError);
    expect(err).toMatchObject({
      status: 402,
      type: "insufficient_quota",
      code: "insufficient_deposit",
      requestId: "req-123",
      retryable: false,
      shortMessage: "Session 9 has too little deposit for 128 tokens",
    });
    expect(err.message).toContain("Status: 402 (insufficient_quota, insufficient_deposit)");
    const missing = await router.chatCompletions({ model: "missing", messages: [] }).catch((e) => e);
    expect(missing).toMatchObject({ status: 404, code: "model_not_found" });
  });

  test("a non-JSON error page keeps the raw body; 5xx is retryable", async () => {
    const err = (await createRouterClient({ url })
      .request("GET", "/html")
      .catch((e) => e)) as RouterHttpError;
    expect(err).toBeInstanceOf(RouterHttpError);
    expect(err.status).toBe(502);
    expect(err.retryable).toBe(true);
    expect(err.body).toBe("<html>Bad Gateway</html>");
  });

  test("an error event inside a stream is thrown from the iterator", async () => {
    const router = createRouterClient({ url });
    const stream = await router.streamChatCompletions({ model: "fails-midway", messages: [] });
    const got: string[] = [];
    const err = (await (async () => {
      for await (const c of stream) got.push(c.choices[0].delta.content ?? "");
    })().catch((e) => e)) as RouterHttpError;
    expect(got).toEqual(["Once"]);
    expect(err).toBeInstanceOf(RouterHttpError);
    expect(err).toMatchObject({ code: "task_failed", shortMessage: "Task failed on chain" });
  });

  test("timeouts and unreachable routers", async () => {
    const slow = await createRouterClient({ url, timeout: 100 })
      .request("GET", "/slow")
      .catch((e) => e);
    expect(slow).toBeInstanceOf(TimeoutError);
    const down = await createRouterClient({ url: "http://127.0.0.1:1" })
      .listModels()
      .catch((e) => e);
    expect(down).toBeInstanceOf(RouterConnectionError);
    expect(down.retryable).toBe(true);
  });
});

test("parseServerSentEvents follows the event-stream rules", async () => {
  const enc = new TextEncoder();
  const body = (async function* () {
    yield enc.encode("event: note\ndata: a\nda");
    yield enc.encode("ta: b\r");
    yield enc.encode("\n\r\n: comment\n\nid: 7\ndata:c\n\ndata: tail");
  })();
  const events = [];
  for await (const e of parseServerSentEvents(body)) events.push(e);
  expect(events).toEqual([
    { event: "note", data: "a\nb", id: undefined },
    { event: undefined, data: "c", id: "7" },
    { event: undefined, data: "tail", id: "7" },
  ]);
});
