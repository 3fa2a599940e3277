/**
 * Reading a router's SSE stream: the gateway always asks routers to stream (with the usage chunk), relays the
 * chunks to streaming clients and folds them into one completion body for the others. Streaming upstream also
 * tells the gateway when the router submitted the task (its response headers carry `x-cor-task-id` before the
 * first token), which decides whether a failed request may be retried on another router.
 */

export type Usage = { prompt_tokens: number; completion_tokens: number; total_tokens: number };

export type Tally = {
  taskId?: string;
  usage?: Usage;
  cor?: Record<string, unknown>;
  error?: { message: string; type?: string; code?: string };
  done: boolean;
  id?: string;
  created?: number;
  model?: string;
  text: string;
  finishReason?: string | null;
};

export const newTally = (taskId?: string): Tally => ({ taskId, done: false, text: "" });

/** Yields the `data:` payload of each SSE event. */
export async function* sseData(body: ReadableStream<Uint8Array>): AsyncGenerator<string> {
  const decoder = new TextDecoder();
  let buf = "";
  for await (const part of body as unknown as AsyncIterable<Uint8Array>) {
    buf += decoder.decode(part, { stream: true });
    let i = buf.indexOf("\n\n");
    while (i >= 0) {
      const raw = buf.slice(0, i);
      buf = buf.slice(i + 2);
      i = buf.indexOf("\n\n");
      const data = raw
        .split("\n")
        .filter((l) => l.startsWith("data:"))
        .map((l) => l.slice(l.startsWith("data: ") ? 6 : 5))
        .join("\n");
      if (data) yield data;
    }
  }
}

type Chunk = {
  id?: string;
  created?: number;
  model?: string;
  choices?: { text?: string; delta?: { content?: string }; finish_reason?: string | null }[];
  usage?: Usage | null;
  cor?: Record<string, unknown>;
  error?: { message: string; type?: string; code?: string };
};

/**
 * Folds one event into the tally and says whether a client that did not ask for the usage chunk should see it
 * (`forward: false` for the usage-only chunk the gateway requested for metering).
 */
export const observe = (t: Tally, data: string, includeUsage: boolean): { forward: boolean } => {
  if (data === "[DONE]") {
    t.done = true;
    return { forward: true };
  }
  let c: Chunk;
  try {
    c = JSON.parse(data) as Chunk;
  } catch {
    return { forward: true };
  }
  if (c.error) {
    t.error = c.error;
    return { forward: true };
  }
  t.id ??= c.id;
  t.created ??= c.created;
  t.model ??= c.model;
  if (c.cor) {
    t.cor = { ...t.cor, ...c.cor };
    if (typeof c.cor.task_id === "string") t.taskId = c.cor.task_id;
  }
  const choice = c.choices?.[0];
  if (choice) {
    t.text += choice.text ?? choice.delta?.content ?? "";
    if (choice.finish_reason) t.finishReason = choice.finish_reason;
  }
  if (c.usage) {
    t.usage = c.usage;
    if (!c.choices?.length) return { forward: includeUsage };
  }
  return { forward: true };
};

/** The non-streaming completion body, built from a finished stream. */
export const completionFromTally = (kind: "chat" | "text", t: Tally, fallbackModel: string) => {
  const created = t.created ?? Math.floor(Date.now() / 1000);
  const finish = t.finishReason ?? "stop";
  // The router's last chunk carries the verified text when it differs from what was streamed optimistically.
  const text = typeof t.cor?.text === "string" ? t.cor.text : t.text;
  const cor = t.cor ? Object.fromEntries(Object.entries(t.cor).filter(([k]) => k !== "text")) : undefined;
  const base = {
    id: t.id ?? `${kind === "chat" ? "chatcmpl" : "cmpl"}-${t.taskId ?? "0"}`,
    created,
    model: t.model ?? fallbackModel,
  };
  return kind === "chat"
    ? {
        ...base,
        object: "chat.completion",
        choices: [{ index: 0, message: { role: "assistant", content: text }, finish_reason: finish, logprobs: null }],
        usage: t.usage,
        cor,
      }
    : {
        ...base,
        object: "text_completion",
        choices: [{ index: 0, text, finish_reason: finish, logprobs: null }],
        usage: t.usage,
        cor,
      };
};
