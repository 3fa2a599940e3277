import type { Hex } from "viem";
import type { Logger } from "../shared/logger.ts";

/**
 * OpenAI request conformance for the router's routes: which parameters are honoured, which are refused with a
 * clear 400, stop sequences (applied to the stream as it is relayed), and the prompt's real token count.
 */

export type OpenAiParamError = { message: string; param: string; code: string };

export type CompletionOptions = {
  /** Output tokens the task may produce (max_completion_tokens, else max_tokens, else the default). */
  maxTokens: number;
  stop: string[];
  stream: boolean;
  includeUsage: boolean;
};

const isNum = (v: unknown): v is number => typeof v === "number" && Number.isFinite(v);
const GREEDY = { temperature: 0, topP: 0 };

/**
 * Reads the OpenAI parameters of a completion request. Returns the options, or the first parameter that this
 * network cannot honour. `temperature`/`top_p` must match the session's declared sampling (greedy for the house
 * sessions: temperature 0 and top_p 1, or absent; a Cortensor-style session's own declaration otherwise); `seed`
 * is accepted (the network does not carry a per-task seed; a greedy session is deterministic anyway).
 */
export const readCompletionOptions = (
  body: Record<string, unknown>,
  opts: {
    defaultMaxTokens: number;
    maxTokensCap: number;
    chat: boolean;
    /** The session's declared sampling (temperature as a float, topP as a float, 0 = off); default greedy. */
    sampling?: { temperature: number; topP: number };
  },
): CompletionOptions | OpenAiParamError => {
  const requested = body.max_completion_tokens ?? body.max_tokens;
  const param = body.max_completion_tokens !== undefined ? "max_completion_tokens" : "max_tokens";
  let maxTokens = opts.defaultMaxTokens;
  if (requested !== undefined && requested !== null) {
    if (typeof requested !== "number" || !Number.isInteger(requested) || requested < 1) {
      return { message: `\`${param}\` must be a positive integer`, param, code: "invalid_max_tokens" };
    }
    if (requested > opts.maxTokensCap)
      return { message: `\`${param}\` must be at most ${opts.maxTokensCap}`, param, code: "invalid_max_tokens" };
    maxTokens = requested;
  }
  if (body.n !== undefined && body.n !== null && body.n !== 1) {
    return {
      message: "`n` must be 1: each completion is one on-chain task (send n requests for n choices)",
      param: "n",
      code: "unsupported_parameter",
    };
  }
  if (
    opts.chat
      ? body.logprobs === true || body.top_logprobs !== undefined
      : body.logprobs !== undefined && body.logprobs !== null && body.logprobs !== 0
  ) {
    return {
      message: "`logprobs` are not available: miners reveal text, not token probabilities",
      param: opts.chat ? "logprobs" : "logprobs",
      code: "unsupported_parameter",
    };
  }
  for (const p of ["tools", "tool_choice", "functions", "function_call", "parallel_tool_calls"]) {
    if (body[p] !== undefined && body[p] !== null)
      return {
        message: `\`${p}\` is not supported: the network's models do not call tools`,
        param: p,
        code: "unsupported_parameter",
      };
  }
  if (!opts.chat) {
    if (body.echo === true) return { message: "`echo` is not supported", param: "echo", code: "unsupported_parameter" };
    if (body.best_of !== undefined && body.best_of !== null && body.best_of !== 1)
      return { message: "`best_of` must be 1", param: "best_of", code: "unsupported_parameter" };
    if (body.suffix !== undefined && body.suffix !== null)
      return { message: "`suffix` is not supported", param: "suffix", code: "unsupported_parameter" };
  }
  const format = (body.response_format as { type?: unknown } | undefined)?.type;
  if (format !== undefined && format !== "text")
    return {
      message: '`response_format` must be {"type":"text"}',
      param: "response_format",
      code: "unsupported_parameter",
    };
  const declared = opts.sampling ?? GREEDY;
  const declaredTopP = declared.topP === 0 ? 1 : declared.topP; // 0 = off = 1
  const describe = `temperature ${declared.temperature}, top_p ${declaredTopP}${declared.temperature === 0 ? " (greedy)" : ""}`;
  if (body.temperature !== undefined && body.temperature !== null) {
    if (!isNum(body.temperature) || body.temperature < 0 || body.temperature > 2)
      return { message: "`temperature` must be a number in [0, 2]", param: "temperature", code: "invalid_temperature" };
    if (Math.abs(body.temperature - declared.temperature) > 0.0005) {
      return {
        message: `\`temperature\` ${body.temperature} does not match the session's declared sampling (${describe}). Omit it or send the declared value: sampling is fixed on chain when a session is created.`,
        param: "temperature",
        code: "unsupported_sampling",
      };
    }
  }
  if (body.top_p !== undefined && body.top_p !== null) {
    if (!isNum(body.top_p) || body.top_p <= 0 || body.top_p > 1)
      return { message: "`top_p` must be a number in (0, 1]", param: "top_p", code: "invalid_top_p" };
    if (Math.abs(body.top_p - declaredTopP) > 0.00005)
      return {
        message: `\`top_p\` ${body.top_p} does not match the session's declared sampling (${describe})`,
        param: "top_p",
        code: "unsupported_sampling",
      };
  }
  if (
    body.seed !== undefined &&
    body.seed !== null &&
    (!Number.isSafeInteger(body.seed) || (body.seed as number) < 0)
  ) {
    return { message: "`seed` must be a non-negative integer", param: "seed", code: "invalid_seed" };
  }
  let stop: string[] = [];
  if (body.stop !== undefined && body.stop !== null) {
    const list = typeof body.stop === "string" ? [body.stop] : body.stop;
    if (!Array.isArray(list) || list.length > 4 || list.some((s) => typeof s !== "string" || s.length === 0)) {
      return {
        message: "`stop` must be a non-empty string or an array of up to 4 non-empty strings",
        param: "stop",
        code: "invalid_stop",
      };
    }
    stop = list as string[];
  }
  const so = body.stream_options as { include_usage?: unknown } | undefined | null;
  if (so !== undefined && so !== null && body.stream !== true)
    return {
      message: "`stream_options` is only allowed with `stream: true`",
      param: "stream_options",
      code: "invalid_stream_options",
    };
  return { maxTokens, stop, stream: body.stream === true, includeUsage: so?.include_usage === true };
};

/** The text up to the first stop sequence, and whether one was found. */
export const cutAtStop = (text: string, stops: readonly string[]): { text: string; stopped: boolean } => {
  let at = -1;
  for (const s of stops) {
    const i = text.indexOf(s);
    if (i >= 0 && (at < 0 || i < at)) at = i;
  }
  return at < 0 ? { text, stopped: false } : { text: text.slice(0, at), stopped: true };
};

/**
 * Applies stop sequences to a stream of text pieces: `push` returns what may be shown now, holding back a tail
 * that could still become a stop sequence; after a stop nothing more is shown. `end` releases the held tail.
 */
export const createStopFilter = (stops: readonly string[]) => {
  let pending = "";
  let stopped = false;
  const longest = Math.max(0, ...stops.map((s) => s.length));
  return {
    get stopped() {
      return stopped;
    },
    push: (piece: string): string => {
      if (stopped) return "";
      if (!stops.length) return piece;
      pending += piece;
      const cut = cutAtStop(pending, stops);
      if (cut.stopped) {
        stopped = true;
        pending = "";
        return cut.text;
      }
      // Keep the longest tail that is a prefix of some stop sequence.
      let keep = 0;
      for (let k = Math.min(longest - 1, pending.length); k > 0; k--) {
        const tail = pending.slice(-k);
        if (stops.some((s) => s.startsWith(tail))) {
          keep = k;
          break;
        }
      }
      const out = pending.slice(0, pending.length - keep);
      pending = pending.slice(pending.length - keep);
      return out;
    },
    end: (): string => {
      const out = stopped ? "" : pending;
      pending = "";
      return out;
    },
  };
};

/** `finish_reason`: "stop" at a stop sequence or the end of text, "length" when the task used all its max tokens. */
export const finishReason = (o: {
  stopped: boolean;
  tokens: number | undefined;
  maxTokens: number;
}): "stop" | "length" => (!o.stopped && (o.tokens ?? 0) >= o.maxTokens ? "length" : "stop");

/**
 * Counts a prompt's tokens exactly as a miner evaluates it (BOS + tokens), with a vocabulary-only load of the
 * model's GGUF (COR_MODEL, default the bundled stories260K). Sessions of another model get undefined.
 */
export const createPromptCounter = (logger: Logger, modelPath?: string) => {
  let loading: Promise<{ modelId: Hex; count: (text: string) => number } | undefined> | undefined;
  const load = async () => {
    try {
      const { resolveModelPath } = await import("../inference/model.ts");
      const { getSharedLlama, sha256File } = await import("../inference/llama.ts");
      const path = await resolveModelPath(modelPath);
      const llama = await getSharedLlama();
      const model = await llama.loadModel({ modelPath: path, vocabOnly: true });
      const modelId = `0x${await sha256File(path)}` as Hex;
      const bos = model.tokens.shouldPrependBosToken ? model.tokens.bos : null;
      logger.info(`Prompt tokenizer loaded model=${modelId.slice(0, 10)}… ${path}`);
      return {
        modelId,
        count: (text: string) =>
          (bos !== null ? 1 : 0) + model.tokenize(text, false, bos !== null ? "trimLeadingSpace" : undefined).length,
      };
    } catch (err) {
      logger.warn({ err: String(err) }, "No prompt tokenizer: usage.prompt_tokens will be estimated");
      return undefined;
    }
  };
  return async (modelId: Hex, prompt: string): Promise<number | undefined> => {
    loading ??= load();
    const t = await loading;
    return t && t.modelId.toLowerCase() === modelId.toLowerCase() ? t.count(prompt) : undefined;
  };
};
