import { randomBytes } from "node:crypto";
import type { Server } from "node:http";
import { type Address, type Hex, recoverMessageAddress } from "viem";
import { type WebSocket, WebSocketServer } from "ws";
import { safeStringify } from "../shared/json.ts";
import type { Logger } from "../shared/logger.ts";
import {
  type RouterMessage,
  routerMessageSchema,
  STREAM_MAX_PAYLOAD,
  STREAM_MAX_PIECES,
  type StreamMessage,
  streamChallengeText,
} from "../shared/stream.ts";
import { parseMessage } from "../shared/validate.ts";

type Peer = { nonce: Hex; routerNodeId?: number; timer?: NodeJS.Timeout };
type TokensFrame = Extract<StreamMessage, { type: "tokens" }>;
/** Pieces generated but not sent yet (one frame in the making). */
type Pending = { index: number; pieces: string[]; at: number[] };
type TaskStream = {
  nodeId: number;
  routers: Set<number>;
  /** Frames sent so far: a router that (re)connects mid-task gets them first. */
  frames: TokensFrame[];
  pending?: Pending;
  timer?: NodeJS.Timeout;
  /** When the last frame left (ms): frames leave at most once per `flushMs`. */
  lastSent: number;
};

/** One generated piece as the miner's generation loop reports it. */
export type TokenPiece = { type?: "token"; taskId: string; nodeId: number; index: number; piece: string };
/** A router's request about a task it is about to assign (miner/dispatch.ts). */
export type DispatchRequest = Extract<RouterMessage, { type: "dispatch" | "cancel" }>;

/** Outbound bytes queued for one router before that connection is cut (a stalled peer must not hold memory). */
const MAX_BUFFERED_BYTES = 8 * 1024 * 1024;

/** Wall-clock milliseconds with sub-millisecond precision (comparable across processes on one host). */
export const preciseNow = () => Math.round((performance.timeOrigin + performance.now()) * 1000) / 1000;

/**
 * The miner's private stream endpoint (ws://…/stream, protocol in shared/stream.ts). A peer must prove within
 * `authTimeoutMs` that it holds the key of an active, registered router node; anything else gets a `refused`
 * message and is closed. A task's tokens and its result hash and CID go only to the routers entitled to that
 * task (`open(taskId, routers)`); a router that (re)connects mid-task first receives the frames it missed.
 *
 * Tokens are coalesced: a piece goes out at once when the task's last frame left at least `flushMs` ago;
 * otherwise it joins the frame in the making, which leaves `flushMs` after the previous one (a timer), when it
 * holds `maxPieces`, or when the task is done. So a slow generation pays no added latency, and a fast one sends
 * at most one frame per `flushMs` (one frame and one JSON encoding per token cost more than generating the token
 * on a small model, issue 12), each piece waiting less than `flushMs` plus a timer tick.
 */
export const createStreamServer = (opts: {
  server: Server;
  miner: Address;
  logger: Logger;
  /** Checks a router's claim: undefined when `account` is node `nodeId`, an active router; else the reason. */
  checkRouter: (nodeId: number, account: Address) => Promise<string | undefined>;
  authTimeoutMs?: number;
  /** Least time between two frames of a task (ms, default 1; 0 sends every piece in its own frame at once). */
  flushMs?: number;
  /** Most pieces per frame (default 64). */
  maxPieces?: number;
  /** A dispatch or cancel from an authorized router (the miner's dispatcher answers it). */
  onDispatch?: (routerNodeId: number, request: DispatchRequest) => void;
}) => {
  const { logger } = opts;
  const flushMs = opts.flushMs ?? 1;
  const maxPieces = Math.min(opts.maxPieces ?? 64, STREAM_MAX_PIECES);
  const peers = new Map<WebSocket, Peer>();
  const tasks = new Map<string, TaskStream>();
  const wss = new WebSocketServer({ server: opts.server, path: "/stream", maxPayload: STREAM_MAX_PAYLOAD });
  wss.on("error", (err) => logger.warn({ err: String(err) }, "Stream server error"));

  const sendRaw = (ws: WebSocket, text: string) => {
    if (ws.readyState !== ws.OPEN) return;
    if (ws.bufferedAmount > MAX_BUFFERED_BYTES) {
      logger.warn(`Dropping stalled stream peer (${ws.bufferedAmount} bytes queued)`);
      ws.terminate();
      return;
    }
    ws.send(text, (err) => err && logger.debug(`Stream send failed: ${err.message}`));
  };
  const send = (ws: WebSocket, payload: unknown) => sendRaw(ws, safeStringify(payload));
  const refuse = (ws: WebSocket, message: string) => {
    send(ws, { type: "refused", message });
    ws.close(1008, "refused");
    // A peer that ignores the close handshake is cut off.
    setTimeout(() => ws.terminate(), 1_000).unref();
  };

  const authenticate = async (ws: WebSocket, peer: Peer, msg: Extract<RouterMessage, { type: "auth" }>) => {
    clearTimeout(peer.timer);
    const { nodeId, signature } = msg;
    let reason: string | undefined;
    try {
      const signer = await recoverMessageAddress({
        message: streamChallengeText(opts.miner, peer.nonce),
        signature,
      });
      reason = await opts.checkRouter(nodeId, signer);
    } catch (err) {
      reason = `Bad signature: ${String((err as Error).message).split("\n")[0]}`;
    }
    if (reason) {
      logger.info(`Refused stream peer claiming router node=${nodeId}: ${reason}`);
      return refuse(ws, reason);
    }
    peer.routerNodeId = nodeId;
    send(ws, { type: "authorized", routerNodeId: nodeId });
    logger.info(`Stream authorized router node=${nodeId}`);
    // Catch up on tasks in progress this router is entitled to (it restarted or reconnected mid-task).
    for (const [taskId, t] of tasks) if (t.routers.has(nodeId)) catchUp(ws, taskId, t);
  };

  wss.on("connection", (ws) => {
    const peer: Peer = { nonce: `0x${randomBytes(32).toString("hex")}` };
    peers.set(ws, peer);
    ws.on("error", (err) => logger.debug(`Stream peer error: ${err.message}`));
    ws.on("close", () => {
      clearTimeout(peer.timer);
      peers.delete(ws);
    });
    peer.timer = setTimeout(
      () => refuse(ws, "Authentication required: answer the challenge with a router node's signature"),
      opts.authTimeoutMs ?? 5_000,
    );
    peer.timer.unref();
    send(ws, { type: "challenge", nonce: peer.nonce, miner: opts.miner });
    ws.on("message", (data, isBinary) => {
      const parsed = isBinary ? undefined : parseMessage(routerMessageSchema, data as Buffer);
      if (peer.routerNodeId === undefined) {
        if (!parsed?.ok || parsed.value.type !== "auth")
          return refuse(
            ws,
            `Expected {"type":"auth","nodeId":…,"signature":…}${parsed && !parsed.ok ? `: ${parsed.message}` : ""}`,
          );
        void authenticate(ws, peer, parsed.value);
        return;
      }
      // An authorized router may only dispatch or cancel; anything else is dropped with a note.
      if (!parsed?.ok || parsed.value.type === "auth") {
        send(ws, { type: "error", message: parsed && !parsed.ok ? parsed.message : "Already authorized" });
        return;
      }
      opts.onDispatch?.(peer.routerNodeId, parsed.value);
    });
  });

  const deliver = (t: TaskStream, msg: StreamMessage) => {
    let text: string | undefined;
    for (const [ws, peer] of peers)
      if (peer.routerNodeId !== undefined && t.routers.has(peer.routerNodeId))
        sendRaw(ws, (text ??= safeStringify(msg)));
  };
  const catchUp = (ws: WebSocket, taskId: string, t: TaskStream) => {
    flush(taskId, t);
    for (const m of t.frames) send(ws, m);
  };
  /** Sends the frame in the making, if any. */
  const flush = (taskId: string, t: TaskStream) => {
    clearTimeout(t.timer);
    t.timer = undefined;
    const p = t.pending;
    if (!p) return;
    t.pending = undefined;
    const frame: TokensFrame = { type: "tokens", taskId, nodeId: t.nodeId, index: p.index, pieces: p.pieces, at: p.at };
    t.frames.push(frame);
    t.lastSent = preciseNow();
    deliver(t, frame);
  };

  return {
    /**
     * Starts a task's stream, visible only to `routers` (node ids). A stream already open (a dispatched task that
     * is now assigned on chain) keeps its frames and gains the new routers, which get what they missed.
     */
    open: (taskId: string, routers: number[], nodeId = 0) => {
      const ids = routers.filter((id) => id > 0);
      const t = tasks.get(taskId);
      if (!t) {
        tasks.set(taskId, { nodeId, routers: new Set(ids), frames: [], lastSent: 0 });
        return;
      }
      const added = ids.filter((id) => !t.routers.has(id));
      for (const id of added) t.routers.add(id);
      if (added.length)
        for (const [ws, peer] of peers)
          if (peer.routerNodeId !== undefined && added.includes(peer.routerNodeId)) catchUp(ws, taskId, t);
    },
    isOpen: (taskId: string) => tasks.has(taskId),
    /** One generated piece: joins the frame in the making, which is sent when full or old enough. */
    token: (msg: TokenPiece) => {
      const t = tasks.get(msg.taskId);
      if (!t) return;
      t.nodeId = msg.nodeId;
      const now = preciseNow();
      let p = t.pending;
      if (p && p.index + p.pieces.length !== msg.index) {
        flush(msg.taskId, t);
        p = undefined;
      }
      if (!p) t.pending = p = { index: msg.index, pieces: [], at: [] };
      p.pieces.push(msg.piece);
      p.at.push(now);
      const since = now - t.lastSent;
      if (flushMs <= 0 || p.pieces.length >= maxPieces || since >= flushMs) flush(msg.taskId, t);
      else t.timer ??= setTimeout(() => flush(msg.taskId, t), Math.max(1, Math.ceil(flushMs - since)));
    },
    /** The result is committed: tell the entitled routers, then forget the task's tokens. */
    done: (msg: Extract<StreamMessage, { type: "done" }>) => {
      const t = tasks.get(msg.taskId);
      if (!t) return;
      flush(msg.taskId, t);
      deliver(t, msg);
      tasks.delete(msg.taskId);
    },
    /** Tells one router that its dispatch of `taskId` is not taken (or no longer). */
    decline: (routerNodeId: number, taskId: string, nodeId: number, message: string) => {
      for (const [ws, peer] of peers)
        if (peer.routerNodeId === routerNodeId) send(ws, { type: "declined", taskId, nodeId, message });
    },
    /** Generation failed or was abandoned. */
    drop: (taskId: string) => {
      const t = tasks.get(taskId);
      if (t) clearTimeout(t.timer);
      tasks.delete(taskId);
    },
    peers: () => [...peers.values()].map((p) => ({ authorized: p.routerNodeId ?? null })),
    close: () => {
      for (const t of tasks.values()) clearTimeout(t.timer);
      for (const ws of peers.keys()) ws.terminate();
      wss.close();
    },
  };
};
export type StreamServer = ReturnType<typeof createStreamServer>;
