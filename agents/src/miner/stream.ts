import { randomBytes } from "node:crypto";
import type { Server } from "node:http";
import { type Address, type Hex, recoverMessageAddress } from "viem";
import { type WebSocket, WebSocketServer } from "ws";
import { safeStringify } from "../shared/json.ts";
import type { Logger } from "../shared/logger.ts";
import { routerMessageSchema, STREAM_MAX_PAYLOAD, type StreamMessage, streamChallengeText } from "../shared/stream.ts";
import { parseMessage } from "../shared/validate.ts";

type Peer = { nonce: Hex; routerNodeId?: number; timer?: NodeJS.Timeout };
type TaskStream = { routers: Set<number>; tokens: Extract<StreamMessage, { type: "token" }>[] };

/**
 * The miner's private stream endpoint (ws://…/stream, protocol in shared/stream.ts). A peer must prove within
 * `authTimeoutMs` that it holds the key of an active, registered router node; anything else gets a `refused`
 * message and is closed. A task's tokens and its result hash and CID go only to the routers entitled to that
 * task (`open(taskId, routers)`); a router that (re)connects mid-task first receives the tokens it missed.
 */
export const createStreamServer = (opts: {
  server: Server;
  miner: Address;
  logger: Logger;
  /** Checks a router's claim: undefined when `account` is node `nodeId`, an active router; else the reason. */
  checkRouter: (nodeId: number, account: Address) => Promise<string | undefined>;
  authTimeoutMs?: number;
}) => {
  const { logger } = opts;
  const peers = new Map<WebSocket, Peer>();
  const tasks = new Map<string, TaskStream>();
  const wss = new WebSocketServer({ server: opts.server, path: "/stream", maxPayload: STREAM_MAX_PAYLOAD });
  wss.on("error", (err) => logger.warn({ err: String(err) }, "Stream server error"));

  const send = (ws: WebSocket, payload: unknown) => {
    if (ws.readyState === ws.OPEN)
      ws.send(safeStringify(payload), (err) => err && logger.debug(`Stream send failed: ${err.message}`));
  };
  const refuse = (ws: WebSocket, message: string) => {
    send(ws, { type: "refused", message });
    ws.close(1008, "refused");
    // A peer that ignores the close handshake is cut off.
    setTimeout(() => ws.terminate(), 1_000).unref();
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
    ws.on("message", async (data, isBinary) => {
      if (peer.routerNodeId !== undefined) return; // an authorized router has nothing more to say
      const parsed = isBinary ? undefined : parseMessage(routerMessageSchema, data as Buffer);
      if (!parsed?.ok)
        return refuse(ws, `Expected {"type":"auth","nodeId":…,"signature":…}${parsed ? `: ${parsed.message}` : ""}`);
      clearTimeout(peer.timer);
      const { nodeId, signature } = parsed.value;
      let reason: string | undefined;
      try {
        const signer = await recoverMessageAddress({
          message: streamChallengeText(opts.miner, peer.nonce),
          signature: signature as Hex,
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
      for (const t of tasks.values()) if (t.routers.has(nodeId)) for (const m of t.tokens) send(ws, m);
    });
  });

  const deliver = (taskId: string, msg: StreamMessage) => {
    const t = tasks.get(taskId);
    if (!t) return;
    for (const [ws, peer] of peers)
      if (peer.routerNodeId !== undefined && t.routers.has(peer.routerNodeId)) send(ws, msg);
  };

  return {
    /** Starts a task's stream, visible only to `routers` (node ids). */
    open: (taskId: string, routers: number[]) => {
      tasks.set(taskId, { routers: new Set(routers.filter((id) => id > 0)), tokens: [] });
    },
    token: (msg: Extract<StreamMessage, { type: "token" }>) => {
      tasks.get(msg.taskId)?.tokens.push(msg);
      deliver(msg.taskId, msg);
    },
    /** The result is committed: tell the entitled routers, then forget the task's tokens. */
    done: (msg: Extract<StreamMessage, { type: "done" }>) => {
      deliver(msg.taskId, msg);
      tasks.delete(msg.taskId);
    },
    /** Generation failed or was abandoned. */
    drop: (taskId: string) => tasks.delete(taskId),
    peers: () => [...peers.values()].map((p) => ({ authorized: p.routerNodeId ?? null })),
    close: () => {
      for (const ws of peers.keys()) ws.terminate();
      wss.close();
    },
  };
};
export type StreamServer = ReturnType<typeof createStreamServer>;
