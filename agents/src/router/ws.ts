import type { IncomingMessage } from "node:http";
import type { Duplex } from "node:stream";
import { type WebSocket, WebSocketServer } from "ws";
import type { SafeEmitter } from "../shared/events.ts";
import { safeStringify } from "../shared/json.ts";
import type { Logger } from "../shared/logger.ts";
import { parseMessage, taskIdSchema, z } from "../shared/validate.ts";
import type { TaskEvent } from "./state.ts";

/** One client message on /ws: subscribe to or unsubscribe from one task's token and status events. */
export const wsRequestSchema = z.union([
  z.object({ subscribe: taskIdSchema }).strict(),
  z.object({ unsubscribe: taskIdSchema }).strict(),
]);

export type WsLimits = {
  /** Largest inbound frame (bytes); a larger one closes the socket with 1009. */
  maxPayload: number;
  /** Subscriptions per socket. */
  maxSubscriptions: number;
  /** Outbound bytes queued for a slow client before it is dropped (it must not hold memory for everyone). */
  maxBufferedBytes: number;
  /** Bad messages tolerated per socket before it is closed. */
  maxErrors: number;
};

const DEFAULT_LIMITS: WsLimits = {
  maxPayload: 16 * 1024,
  maxSubscriptions: 64,
  maxBufferedBytes: 4 * 1024 * 1024,
  maxErrors: 20,
};

/**
 * The router's WebSocket endpoint (`/ws`): clients send `{"subscribe":"<taskId>"}` / `{"unsubscribe":…}` and
 * receive the task's events as JSON. Untrusted input never reaches the rest of the router unchecked: protocol
 * errors (bad opcodes, oversized frames) close only that socket, every message is schema-checked and answered
 * with an OpenAI-shaped error when bad, and every outbound payload is serialized safely. A slow client is
 * dropped instead of buffering without bound.
 */
export const createWsHandler = (opts: {
  events: SafeEmitter;
  logger: Logger;
  limits?: Partial<WsLimits>;
  /** Tokens already relayed for a task: a late subscriber gets them first (same tick: none lost, none twice). */
  backlog?: (taskId: string) => readonly TaskEvent[];
}) => {
  const limits = { ...DEFAULT_LIMITS, ...opts.limits };
  const { logger } = opts;
  const wss = new WebSocketServer({ noServer: true, maxPayload: limits.maxPayload });
  wss.on("error", (err) => logger.warn({ err: String(err) }, "WebSocket server error"));

  const errorFrame = (message: string, code: string) =>
    safeStringify({ error: { message, type: "invalid_request_error", code } });

  const serve = (ws: WebSocket) => {
    const subscriptions = new Map<string, (e: TaskEvent) => void>();
    let errors = 0;
    const send = (payload: string) => {
      if (ws.readyState !== ws.OPEN) return;
      if (ws.bufferedAmount > limits.maxBufferedBytes) {
        logger.warn(`Dropping slow WebSocket client (${ws.bufferedAmount} bytes queued)`);
        ws.terminate();
        return;
      }
      ws.send(payload, (err) => err && logger.debug(`WebSocket send failed: ${err.message}`));
    };
    const reject = (message: string, code: string) => {
      send(errorFrame(message, code));
      if (++errors >= limits.maxErrors) ws.close(1008, "too many bad messages");
    };
    ws.on("error", (err) => {
      // Invalid opcodes, bad UTF-8, oversized frames: ws closes this socket; nothing else is affected.
      logger.debug(`WebSocket client error: ${err.message}`);
    });
    ws.on("message", (data, isBinary) => {
      if (isBinary) return reject("Binary frames are not supported; send JSON text", "invalid_message");
      const parsed = parseMessage(wsRequestSchema, data as Buffer);
      if (!parsed.ok)
        return reject(`${parsed.message}. Send {"subscribe":"<taskId>"} or {"unsubscribe":"<taskId>"}`, parsed.code);
      const msg = parsed.value;
      if ("subscribe" in msg) {
        const key = msg.subscribe;
        if (subscriptions.has(key)) return send(safeStringify({ subscribed: key }));
        if (subscriptions.size >= limits.maxSubscriptions)
          return reject(`At most ${limits.maxSubscriptions} subscriptions per connection`, "too_many_subscriptions");
        const fn = (e: TaskEvent) => send(safeStringify(e));
        subscriptions.set(key, fn);
        opts.events.on(`task:${key}`, fn);
        send(safeStringify({ subscribed: key }));
        for (const e of opts.backlog?.(key) ?? []) fn(e);
      } else {
        const key = msg.unsubscribe;
        const fn = subscriptions.get(key);
        if (fn) opts.events.off(`task:${key}`, fn);
        subscriptions.delete(key);
        send(safeStringify({ unsubscribed: key }));
      }
    });
    ws.on("close", () => {
      for (const [key, fn] of subscriptions) opts.events.off(`task:${key}`, fn);
      subscriptions.clear();
    });
  };

  return {
    /** The HTTP server's `upgrade` listener. */
    upgrade: (req: IncomingMessage, socket: Duplex, head: Buffer) => {
      socket.on("error", () => undefined); // a reset during the handshake must not become an uncaught error
      const path = (req.url ?? "").split("?")[0];
      if (path !== "/ws") {
        socket.end("HTTP/1.1 404 Not Found\r\nConnection: close\r\nContent-Length: 0\r\n\r\n");
        return;
      }
      wss.handleUpgrade(req, socket, head, (ws) => serve(ws));
    },
    clients: () => wss.clients,
    close: () => {
      for (const ws of wss.clients) ws.terminate();
      wss.close();
    },
  };
};
