/**
 * Cheating strategies for the adversarial e2e test (agents/test/cheaters.e2e.test.ts). Each one is a
 * `ResultStrategy` (agents/src/miner): it gets the honest generation of an assigned task and returns what the
 * cheating miner commits instead. Test tree only: production miners never run one.
 */
import { randomInt } from "node:crypto";
import type { Address, Hex, PrivateKeyAccount } from "viem";
import { WebSocket } from "ws";
import type { ResultStrategy } from "../../src/miner/index.ts";
import { streamChallengeText } from "../../src/shared/stream.ts";

/** A fluent story that answers a different prompt. */
const LAZY_PROMPT = "Once upon a time, there was a little girl named Lily. She";
const COMMON = ["the", "a", "and", "was", "to", "he", "she", "it", "big", "happy"];

export const STRATEGIES = {
  /** Returns a fluent story from another prompt (same model, cheap: cached in a real cheater). */
  lazy: async ({ engine, maxTokens }) => {
    const r = await engine.generate({ prompt: LAZY_PROMPT, maxTokens });
    return { text: r.text, tokens: engine.countOutputTokens(r.text, maxTokens) };
  },
  /** The honest answer cut to its first 25% of tokens (paid for fewer tokens, but saves 75% of the work). */
  truncated: async ({ engine, prompt, maxTokens, tokens, sampling }) => {
    const r = await engine.generate({ prompt, maxTokens: Math.max(1, Math.floor(tokens / 4)), sampling, seed: 1 });
    return { text: r.text, tokens: engine.countOutputTokens(r.text, maxTokens) };
  },
  /** The honest answer with ~20% of its words swapped for common words. */
  perturbed: async ({ engine, text, maxTokens }) => {
    let k = randomInt(0, COMMON.length);
    const out = text
      .split(" ")
      .map((w, i) => (i % 5 === 2 && /^[a-z]+$/.test(w) ? COMMON[k++ % COMMON.length] : w))
      .join(" ");
    return { text: out, tokens: engine.countOutputTokens(out, maxTokens) };
  },
  /** The same model at temperature 1 with a random seed, whatever the session declared. */
  sampled: async ({ engine, prompt, maxTokens }) => {
    const r = await engine.generate({
      prompt,
      maxTokens,
      sampling: { temperature: 1, topK: 0, topP: 1 },
      seed: randomInt(0, 2 ** 31),
    });
    return { text: r.text, tokens: engine.countOutputTokens(r.text, maxTokens) };
  },
  /** Nonsense. */
  garbage: async ({ engine, maxTokens }) => {
    const text = ` zzzz ${randomInt(0, 1e9).toString(36)} qqq 123 !!! blorp`;
    return { text, tokens: engine.countOutputTokens(text, maxTokens) };
  },
  /**
   * Paid for work it did not do: the honest answer's first half (a true greedy prefix), claiming the task's
   * maxTokens (more tokens than the text holds).
   */
  inflated: async ({ engine, prompt, maxTokens, tokens, sampling }) => {
    const r = await engine.generate({ prompt, maxTokens: Math.max(1, Math.floor(tokens / 2)), sampling, seed: 1 });
    return { text: r.text, tokens: maxTokens };
  },
  /** Takes the slot and never commits. */
  noShow: async () => null,
  /** Commits the honest result and never reveals it. */
  withhold: async ({ text, tokens }) => ({ text, tokens, reveal: false }),
} satisfies Record<string, ResultStrategy>;

export type StrategyName = keyof typeof STRATEGIES | "copier";

/**
 * A miner hook whose strategy the test switches between trials (one cheating identity plays every strategy);
 * `copier` is supplied by the test (it needs the honest miners' endpoints).
 */
export const switchableStrategy = (copier?: ResultStrategy) => {
  let current: StrategyName | undefined;
  const hook: ResultStrategy = async (input) => {
    if (!current) return { text: input.text, tokens: input.tokens };
    if (current === "copier") {
      if (!copier) throw new Error("no copier strategy configured");
      return copier(input);
    }
    return STRATEGIES[current](input);
  };
  return {
    hook,
    set: (name: StrategyName | undefined) => {
      current = name;
    },
  };
};

/**
 * The copier (issue 9): never runs the model; connects to the honest miners' `/stream` endpoints (public, on
 * chain), answers their challenge with its own (miner) key and copies whatever they send about the task: the
 * tokens, or the final hash and CID. Private streams refuse it, so it has nothing to commit but what it copied
 * (an empty text when refused). `stats.copiedPieces` counts what it ever received.
 */
export const copierStrategy = (opts: {
  endpoints: () => string[];
  account: PrivateKeyAccount;
  nodeId: () => number;
  waitMs?: number;
}) => {
  const stats = { copiedPieces: 0, refusals: 0 };
  const strategy: ResultStrategy = async ({ taskId, engine, maxTokens }) => {
    const key = taskId.toString();
    const pieces = new Map<number, string>();
    let done = false;
    const sockets = opts.endpoints().map((endpoint) => {
      const ws = new WebSocket(`${endpoint.replace(/^http/, "ws")}/stream`);
      ws.on("error", () => {});
      ws.on("message", async (data) => {
        const msg = JSON.parse(String(data)) as {
          type: string;
          nonce?: Hex;
          miner?: Address;
          taskId?: string;
          index?: number;
          pieces?: string[];
        };
        if (msg.type === "challenge" && msg.nonce && msg.miner) {
          const signature = await opts.account.signMessage({ message: streamChallengeText(msg.miner, msg.nonce) });
          ws.send(JSON.stringify({ type: "auth", nodeId: opts.nodeId(), signature }));
        } else if (msg.type === "refused") {
          stats.refusals++;
        } else if (msg.type === "tokens" && msg.taskId === key && msg.index !== undefined) {
          const first = msg.index;
          stats.copiedPieces += msg.pieces?.length ?? 0;
          for (const [i, piece] of (msg.pieces ?? []).entries()) pieces.set(first + i, piece);
        } else if (msg.type === "done" && msg.taskId === key) {
          done = true;
        }
      });
      return ws;
    });
    const deadline = Date.now() + (opts.waitMs ?? 3_000);
    while (!done && Date.now() < deadline) await new Promise((r) => setTimeout(r, 50));
    for (const ws of sockets) ws.terminate();
    const text = [...pieces.entries()]
      .sort((a, b) => a[0] - b[0])
      .map(([, p]) => p)
      .join("");
    return { text, tokens: engine.countOutputTokens(text, maxTokens) };
  };
  return { strategy, stats };
};
