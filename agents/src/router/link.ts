import type { Address, Hex } from "viem";
import WebSocket from "ws";
import { safeStringify } from "../shared/json.ts";
import type { Logger } from "../shared/logger.ts";
import {
  minerMessageSchema,
  type RouterMessage,
  STREAM_MAX_PAYLOAD,
  type StreamMessage,
  streamChallengeText,
} from "../shared/stream.ts";
import { parseMessage } from "../shared/validate.ts";

export type LinkState = "connecting" | "live" | "down" | "closed";

/**
 * One authenticated stream connection from this router to a miner (ws://…/stream), kept up for as long as the
 * miner is registered: it answers the miner's challenge with a signature by the router's node key, reconnects
 * with exponential backoff (250 ms → `maxBackoffMs`, jittered) after any drop or refusal, and pings to find
 * half-open connections. Every inbound frame is schema-checked; a bad frame is logged and dropped.
 */
export const createMinerLink = (opts: {
  minerNodeId: number;
  minerAccount: Address;
  url: string;
  routerNodeId: number;
  sign: (text: string) => Promise<Hex>;
  logger: Logger;
  onMessage: (msg: StreamMessage) => void;
  onLive: (live: boolean) => void;
  maxBackoffMs?: number;
  pingMs?: number;
}) => {
  const { logger } = opts;
  let url = opts.url;
  let ws: WebSocket | undefined;
  let state: LinkState = "down";
  let failures = 0;
  let retry: NodeJS.Timeout | undefined;
  let ping: NodeJS.Timeout | undefined;
  let lastRefusal = "";
  const maxBackoff = opts.maxBackoffMs ?? 2_000;

  const setLive = (live: boolean) => {
    const was = state === "live";
    if (live && !was) {
      state = "live";
      failures = 0;
      logger.info(`Connected miner node=${opts.minerNodeId} ${url}`);
      opts.onLive(true);
    } else if (!live && was) {
      state = "down";
      logger.warn(`Lost miner node=${opts.minerNodeId}; reconnecting`);
      opts.onLive(false);
    }
  };

  const schedule = () => {
    if (state === "closed" || retry) return;
    failures++;
    const delay = Math.min(maxBackoff, 250 * 2 ** Math.min(failures - 1, 8));
    retry = setTimeout(
      () => {
        retry = undefined;
        connect();
      },
      delay * (0.75 + Math.random() * 0.5),
    );
    retry.unref?.();
  };

  const connect = () => {
    if (state === "closed") return;
    if (state !== "live") state = "connecting";
    const socket = new WebSocket(url, { maxPayload: STREAM_MAX_PAYLOAD, handshakeTimeout: 5_000 });
    ws = socket;
    let alive = true;
    socket.on("open", () => {
      clearInterval(ping);
      ping = setInterval(() => {
        if (!alive) {
          logger.warn(`Miner node=${opts.minerNodeId} missed a ping; dropping the connection`);
          socket.terminate();
          return;
        }
        alive = false;
        socket.ping();
      }, opts.pingMs ?? 5_000);
      ping.unref?.();
    });
    socket.on("pong", () => {
      alive = true;
    });
    socket.on("message", (data, isBinary) => {
      alive = true;
      if (isBinary) return;
      const parsed = parseMessage(minerMessageSchema, data as Buffer);
      if (!parsed.ok) {
        logger.warn(`Bad frame from miner node=${opts.minerNodeId}: ${parsed.message}`);
        return;
      }
      const msg = parsed.value;
      switch (msg.type) {
        case "challenge": {
          // Sign for the miner the registry names, never for an address the peer claims: a relayed challenge
          // from another miner produces a signature that miner rejects.
          if (msg.miner.toLowerCase() !== opts.minerAccount.toLowerCase()) {
            logger.warn(
              `Miner node=${opts.minerNodeId} at ${url} is ${msg.miner}, not ${opts.minerAccount}; not authenticating`,
            );
            socket.close(1008, "wrong miner");
            return;
          }
          opts
            .sign(streamChallengeText(opts.minerAccount, msg.nonce))
            .then((signature) => {
              if (socket.readyState === socket.OPEN)
                socket.send(safeStringify({ type: "auth", nodeId: opts.routerNodeId, signature }));
            })
            .catch((err) => logger.warn({ err: String(err) }, "Signing the stream challenge failed"));
          return;
        }
        case "authorized":
          lastRefusal = "";
          setLive(true);
          return;
        case "refused":
        case "error":
          if (msg.message !== lastRefusal)
            logger.warn(`Miner node=${opts.minerNodeId} refused the stream: ${msg.message}`);
          lastRefusal = msg.message;
          return;
        default:
          opts.onMessage(msg);
      }
    });
    socket.on("error", (err) => {
      logger.debug(`Stream to miner node=${opts.minerNodeId} failed: ${err.message}`);
    });
    socket.on("close", () => {
      clearInterval(ping);
      if (ws !== socket) return;
      ws = undefined;
      setLive(false);
      if (state !== "closed") state = "down";
      schedule();
    });
  };

  connect();
  return {
    get state() {
      return state;
    },
    /** Sends a message to the miner over the authenticated connection; false when the link is not live. */
    send: (msg: RouterMessage): boolean => {
      if (state !== "live" || !ws || ws.readyState !== ws.OPEN) return false;
      ws.send(safeStringify(msg), (err) => err && logger.debug(`Send to miner node=${opts.minerNodeId} failed`));
      return true;
    },
    /** The miner announced a new endpoint: reconnect there. */
    setUrl: (next: string) => {
      if (next === url) return;
      url = next;
      ws?.terminate();
    },
    /** Reconnects now instead of waiting out the backoff (a health probe saw the miner answer). */
    poke: () => {
      if (state === "live" || state === "closed" || !retry) return;
      clearTimeout(retry);
      retry = undefined;
      connect();
    },
    close: () => {
      state = "closed";
      clearTimeout(retry);
      clearInterval(ping);
      ws?.terminate();
      ws = undefined;
    },
  };
};
export type MinerLink = ReturnType<typeof createMinerLink>;

/** ws:// URL of a miner's stream endpoint from its registered http(s) endpoint; undefined if it has none. */
export const streamUrlOf = (endpoint: string): string | undefined =>
  /^https?:\/\//.test(endpoint) ? `${endpoint.replace(/^http/, "ws").replace(/\/$/, "")}/stream` : undefined;
