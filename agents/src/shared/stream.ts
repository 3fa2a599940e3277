import type { Address, Hex } from "viem";
import { z } from "zod";

/**
 * The private stream protocol between a miner (server, ws://…/stream) and routers (clients).
 *
 * 1. On connect the miner sends `challenge` (a fresh random nonce and its own address).
 * 2. The router answers `auth` with its node id and an EIP-191 signature, by its node account key, of
 *    `streamChallengeText(miner, nonce)` (binding the miner's address stops relaying a challenge to another miner).
 * 3. The miner recovers the signer and checks it against the on-chain account of that node id (a registered,
 *    active router). On success: `authorized`; otherwise `refused` with a reason, and it closes the socket.
 * 4. Tokens (`tokens`: consecutive pieces from `index` on, coalesced over ≤ 1 ms, with the time each piece was
 *    generated), and the result hash and CID (`done`), of a task go only to the routers entitled to that task —
 *    the session's router and the session owner's router node — and to nobody else before the reveal.
 * 5. An authorized router may `dispatch` a task it is about to assign (the prompt travels with it): the miner starts
 *    generating at once, streams to that router only, and commits only once the assignment is on chain; it
 *    answers `declined` when it will not (at capacity, too many unconfirmed dispatches, not that router's session).
 *    `cancel` withdraws a dispatch. See miner/dispatch.ts and docs/inference.md.
 */
export const streamChallengeText = (miner: Address, nonce: Hex) =>
  `COR private stream access\nminer: ${miner.toLowerCase()}\nnonce: ${nonce}`;

/** Most pieces in one `tokens` frame. */
export const STREAM_MAX_PIECES = 256;
/** Longest prompt a dispatch carries (characters; the router's own prompt limit is lower). */
export const DISPATCH_MAX_PROMPT = 64 * 1024;

/** A 0x-prefixed hex string (of `bytes` bytes when given), typed as viem's `Hex` once it matched. */
const hex = (bytes?: number) => {
  const pattern = bytes ? new RegExp(`^0x[0-9a-fA-F]{${bytes * 2}}$`) : /^0x[0-9a-fA-F]*$/;
  return z.custom<Hex>((v) => typeof v === "string" && pattern.test(v), {
    message: bytes ? `Expected 0x and ${bytes * 2} hex digits` : "Expected a 0x-prefixed hex string",
  });
};
const taskKey = z.string().regex(/^\d{1,78}$/);
const nodeId = z.number().int().min(1).max(0xffffffff);

/** Miner → router. */
export const minerMessageSchema = z.discriminatedUnion("type", [
  z.object({ type: z.literal("challenge"), nonce: hex(32), miner: hex(20) }),
  z.object({ type: z.literal("authorized"), routerNodeId: nodeId }),
  z.object({ type: z.literal("refused"), message: z.string().max(500) }),
  z.object({ type: z.literal("error"), message: z.string().max(500) }),
  z.object({
    type: z.literal("tokens"),
    taskId: taskKey,
    nodeId,
    index: z.number().int().min(0),
    pieces: z.array(z.string().max(4096)).min(1).max(STREAM_MAX_PIECES),
    /** When each piece was generated (ms since the epoch, sub-ms precision): per-hop latency is measurable. */
    at: z.array(z.number()).max(STREAM_MAX_PIECES).optional(),
  }),
  z.object({ type: z.literal("declined"), taskId: taskKey, nodeId, message: z.string().max(500) }),
  z.object({
    type: z.literal("done"),
    taskId: taskKey,
    nodeId,
    tokens: z.number().int().min(0),
    resultCid: z.string().max(200),
    resultHash: hex(32),
    ms: z.number().min(0),
  }),
]);
export type MinerMessage = z.infer<typeof minerMessageSchema>;
/** Messages a miner streams to an authorized router, one JSON object each. */
export type StreamMessage = Extract<MinerMessage, { type: "tokens" | "done" | "declined" }>;

/** Router → miner. */
export const routerMessageSchema = z.discriminatedUnion("type", [
  z.object({ type: z.literal("auth"), nodeId, signature: hex() }),
  z.object({
    type: z.literal("dispatch"),
    taskId: taskKey,
    sessionId: nodeId,
    prompt: z.string().max(DISPATCH_MAX_PROMPT),
    promptHash: hex(32),
    maxTokens: z.number().int().min(1).max(0xffffff),
  }),
  z.object({ type: z.literal("cancel"), taskId: taskKey }),
]);
export type RouterMessage = z.infer<typeof routerMessageSchema>;

/** Largest frame either side accepts (a token piece is a few bytes; a dispatch carries its prompt). */
export const STREAM_MAX_PAYLOAD = 256 * 1024;
