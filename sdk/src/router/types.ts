import type { Hex } from "viem";

/**
 * What every router response carries about the on-chain task behind it, so a client can verify the text
 * (verifyResult) or fetch it from IPFS itself (fetchResult).
 */
export type CorReceipt = {
  /** Task id (`sessionId << 32 | index`) as a decimal string; use corTaskId() for a bigint. */
  task_id: string;
  session_id?: number;
  /** CID of the accepted result on IPFS (null before the task settles). */
  result_cid: string | null;
  /** The finalized resultHash (keccak256 of the result bytes), null before it settles. */
  result_hash: Hex | null;
  winner_node_id?: number | null;
  /** On-chain status name when the response was written ("Finalized", "Failed", "Pending"). */
  status?: string;
  /** Last stream chunk only: whether the streamed text equals the verified, accepted text. */
  verified_text_matches_stream?: boolean;
  [key: string]: unknown;
};

export type ChatRole = "system" | "user" | "assistant";
export type ChatMessage = { role: ChatRole; content: string; name?: string };

/** OpenAI `POST /v1/chat/completions` body. `model` is a model name or alias the router serves. */
export type ChatCompletionParameters = {
  model: string;
  messages: ChatMessage[];
  max_tokens?: number;
  temperature?: number;
  top_p?: number;
  stop?: string | string[];
  /** COR extension: run in this session instead of the router's default one. */
  session_id?: number | string;
  [key: string]: unknown;
};

export type Usage = { prompt_tokens: number; completion_tokens: number; total_tokens: number };

export type FinishReason = "stop" | "length" | "content_filter" | null;

export type ChatCompletion = {
  id: string;
  object: "chat.completion";
  created: number;
  model: string;
  choices: { index: number; message: { role: "assistant"; content: string }; finish_reason: FinishReason }[];
  usage?: Usage;
  cor: CorReceipt;
};

export type ChatCompletionChunk = {
  id: string;
  object: "chat.completion.chunk";
  created: number;
  model: string;
  choices: { index: number; delta: { role?: "assistant"; content?: string }; finish_reason: FinishReason }[];
  usage?: Usage;
  /** Usually on the last chunk only. */
  cor?: CorReceipt;
};

/** OpenAI `POST /v1/completions` body. */
export type CompletionParameters = {
  model: string;
  prompt: string;
  max_tokens?: number;
  temperature?: number;
  stop?: string | string[];
  session_id?: number | string;
  [key: string]: unknown;
};

export type Completion = {
  id: string;
  object: "text_completion";
  created: number;
  model: string;
  choices: { index: number; text: string; finish_reason: FinishReason }[];
  usage?: Usage;
  cor: CorReceipt;
};

export type CompletionChunk = {
  id: string;
  object: "text_completion";
  created: number;
  model: string;
  choices: { index: number; text: string; finish_reason: FinishReason }[];
  cor?: CorReceipt;
};

export type Model = { id: string; object: "model"; created?: number; owned_by?: string; [key: string]: unknown };
export type ModelList = { object: "list"; data: Model[] };

/** Cortensor-style `POST /api/v1/completions` body: the client names its own session (which authorized the router). */
export type SessionCompletionParameters = {
  session_id: number | string;
  prompt: string;
  max_tokens?: number;
  [key: string]: unknown;
};

/** The Cortensor-style route answers like `/v1/completions`. */
export type SessionCompletion = Completion;
export type SessionCompletionChunk = CompletionChunk;

/** `GET /api/v1/sessions/:id`: the on-chain session, JSON-safe (big numbers as strings). */
export type RouterSession = {
  id: number;
  owner: string;
  status: number | string;
  deposit: string;
  [key: string]: unknown;
};

/** `GET /api/v1/tasks/:sessionId/:index`: the on-chain task view, JSON-safe. */
export type RouterTask = { task_id: string; status: number | string; miners?: number[]; [key: string]: unknown };

/** One miner as the router sees it (`GET /api/v1/miners`). */
export type RouterMiner = { nodeId?: number; account?: string; live?: boolean; [key: string]: unknown };
export type RouterMiners = { miners: RouterMiner[] };

/** `GET /api/v1/status`. */
export type RouterStatus = {
  router_node_id?: number;
  chain_id?: number;
  block?: number;
  network?: string;
  miners_live?: number;
  sessions?: number;
  uptime_s?: number;
  [key: string]: unknown;
};
