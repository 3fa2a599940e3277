/** One server-sent event. */
export type ServerSentEvent = { event: string | undefined; data: string; id: string | undefined };

/**
 * Parses a `text/event-stream` body into events (WHATWG rules: `data:` lines joined with "\n", comments and
 * unknown fields ignored, an event ends at a blank line; CRLF, LF and CR line ends).
 */
export async function* parseServerSentEvents(
  body: ReadableStream<Uint8Array> | AsyncIterable<Uint8Array>,
): AsyncGenerator<ServerSentEvent> {
  const decoder = new TextDecoder();
  let buffer = "";
  let data: string[] = [];
  let event: string | undefined;
  let id: string | undefined;

  const line = (text: string): ServerSentEvent | undefined => {
    if (text === "") {
      if (data.length === 0) {
        event = undefined;
        return undefined;
      }
      const out = { event, data: data.join("\n"), id };
      data = [];
      event = undefined;
      return out;
    }
    if (text.startsWith(":")) return undefined;
    const colon = text.indexOf(":");
    const field = colon === -1 ? text : text.slice(0, colon);
    let value = colon === -1 ? "" : text.slice(colon + 1);
    if (value.startsWith(" ")) value = value.slice(1);
    if (field === "data") data.push(value);
    else if (field === "event") event = value;
    else if (field === "id") id = value;
    return undefined;
  };

  const iterable: AsyncIterable<Uint8Array> =
    Symbol.asyncIterator in body
      ? (body as AsyncIterable<Uint8Array>)
      : (async function* () {
          const reader = (body as ReadableStream<Uint8Array>).getReader();
          try {
            for (;;) {
              const { done, value } = await reader.read();
              if (done) return;
              yield value;
            }
          } finally {
            reader.releaseLock();
          }
        })();

  for await (const chunk of iterable) {
    buffer += decoder.decode(chunk, { stream: true });
    for (;;) {
      const match = /\r\n|\r|\n/.exec(buffer);
      if (!match) break;
      // A lone CR at the end may be the first half of a CRLF split across chunks.
      if (match[0] === "\r" && match.index === buffer.length - 1) break;
      const text = buffer.slice(0, match.index);
      buffer = buffer.slice(match.index + match[0].length);
      const out = line(text);
      if (out) yield out;
    }
  }
  buffer += decoder.decode();
  if (buffer) {
    const out = line(buffer);
    if (out) yield out;
  }
  const last = line("");
  if (last) yield last;
}
