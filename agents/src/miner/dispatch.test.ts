import { AssignmentMode, contentHash } from "@cor-network/sdk";
import pino from "pino";
import type { Address, Hex } from "viem";
import { describe, expect, it } from "vitest";
import type { GenerateRequest } from "../inference/index.ts";
import { createMinerDispatch, type DispatchSession } from "./dispatch.ts";

// Unit test with a fake engine and stream server; agents/test/router-dispatch.e2e.test.ts runs the same paths on
// real parts (anvil with 1-second blocks, forge-deployed contracts, node-llama-cpp, the router).

const MODEL = `0x${"ab".repeat(32)}` as Hex;
const OWNER = "0x00000000000000000000000000000000000000a1" as Address;
const ROUTER = 7;
const quiet = pino({ level: "silent" });

const setup = (
  opts: { perRouter?: number; ttlMs?: number; pauseMs?: number; session?: Partial<DispatchSession> } = {},
) => {
  const declined: [number, string, string][] = [];
  const tokens: string[] = [];
  const running: { req: GenerateRequest; finish: () => void }[] = [];
  const engine = {
    active: 0,
    queued: 0,
    maxConcurrency: 1,
    generate: (req: GenerateRequest) =>
      new Promise<never>((resolve, reject) => {
        engine.active++;
        req.signal?.addEventListener("abort", () => {
          engine.active--;
          reject(req.signal?.reason);
        });
        req.onToken?.("Once");
        running.push({
          req,
          finish: () => {
            engine.active--;
            resolve({
              text: "Once",
              tokens: 1,
              promptTokens: 2,
              ms: 1,
              firstTokenMs: 1,
              queueMs: 0,
              stopReason: "eos",
            } as never);
          },
        });
      }),
  };
  const d = createMinerDispatch({
    engine,
    streams: {
      open: () => undefined,
      token: (t) => tokens.push(`${t.taskId}:${t.piece}`),
      decline: (router, taskId, _node, message) => declined.push([router, taskId, message]),
      drop: () => undefined,
    },
    logger: quiet,
    nodeId: () => 1,
    modelId: MODEL,
    getSession: async () => ({
      owner: OWNER,
      routerId: ROUTER,
      assignment: AssignmentMode.Router,
      modelId: MODEL,
      maxTokens: 64,
      encrypted: false,
      ...opts.session,
    }),
    nodeIdOf: async () => 0,
    sampling: async () => ({ temperature: 0, topK: 0, topP: 0 }) as never,
    perRouter: opts.perRouter,
    ttlMs: opts.ttlMs,
    pauseMs: opts.pauseMs,
  });
  return { d, declined, tokens, running, engine };
};

const prompt = "Once upon a time";
const dispatch = (index: number, extra: Record<string, unknown> = {}) => ({
  type: "dispatch" as const,
  taskId: ((1n << 32n) | BigInt(index)).toString(),
  sessionId: 1,
  prompt,
  promptHash: contentHash(new TextEncoder().encode(prompt)),
  maxTokens: 16,
  ...extra,
});
const until = async (cond: () => boolean) => {
  for (let i = 0; i < 200 && !cond(); i++) await new Promise((r) => setTimeout(r, 5));
  expect(cond()).toBe(true);
};

describe("miner dispatch (speculative start)", () => {
  it("starts at once and hands the result over only when the chain's task matches", async () => {
    const { d, tokens, running } = setup();
    d.handle(ROUTER, dispatch(1));
    await until(() => running.length === 1);
    expect(tokens).toEqual([`${dispatch(1).taskId}:Once`]);
    running[0].finish();
    const wrong = await d.take(dispatch(1).taskId, { promptHash: `0x${"00".repeat(32)}`, maxTokens: 16, sessionId: 1 });
    expect(wrong).toBeUndefined(); // another prompt on chain: dropped, the miner generates anew
    expect(d.size()).toBe(0);

    d.handle(ROUTER, dispatch(2));
    await until(() => running.length === 2);
    running[1].finish();
    const r = await d.take(dispatch(2).taskId, { promptHash: dispatch(2).promptHash, maxTokens: 16, sessionId: 1 });
    expect(r?.text).toBe("Once");
  });

  it("declines what only the routing router may send, forged prompts and work beyond capacity", async () => {
    const { d, declined, running } = setup();
    d.handle(ROUTER + 1, dispatch(1));
    await until(() => declined.length === 1);
    d.handle(ROUTER, dispatch(2, { prompt: "something else" }));
    d.handle(ROUTER, dispatch(3, { maxTokens: 65 }));
    await until(() => declined.length === 3);
    expect(declined.map(([, , m]) => m)).toEqual([
      `Router ${ROUTER + 1} does not route session 1`,
      "Prompt does not match its hash",
      "maxTokens 65 exceeds the session's cap",
    ]);
    d.handle(ROUTER, dispatch(4));
    d.handle(ROUTER, dispatch(5)); // the one slot is taken by 4
    await until(() => declined.length === 4);
    expect(declined[3][2]).toBe("At capacity");
    await until(() => running.length === 1); // 4 runs; 5 was never queued
    expect(declined.filter(([, t]) => t === dispatch(4).taskId)).toEqual([]);
  });

  it("bounds unconfirmed work per router and drops a dispatch the chain never confirms", async () => {
    const { d, declined, running, engine } = setup({ perRouter: 2, ttlMs: 100 });
    engine.maxConcurrency = 8;
    for (const i of [1, 2, 3]) d.handle(ROUTER, dispatch(i));
    await until(() => running.length === 2 && declined.length === 1);
    expect(declined[0][2]).toBe(`Router ${ROUTER} has 2 unconfirmed dispatches`);
    await until(() => declined.length === 3);
    expect(declined.slice(1).map(([, , m]) => m)).toEqual([
      "Not assigned on chain within 100 ms",
      "Not assigned on chain within 100 ms",
    ]);
    expect(engine.active).toBe(0); // both generations were aborted
    expect(d.size()).toBe(0);
  });

  it("a router that left dispatches unconfirmed gets no speculative start for a while, longer each time", async () => {
    const { d, declined, running, engine } = setup({ perRouter: 2, ttlMs: 50, pauseMs: 1_000 });
    engine.maxConcurrency = 8;
    d.handle(ROUTER, dispatch(1));
    await until(() => declined.length === 1); // expired unconfirmed: strike 1 (paused 1 s)
    d.handle(ROUTER, dispatch(2));
    await until(() => declined.length === 2);
    expect(declined[1][2]).toMatch(new RegExp(`^Router ${ROUTER} left 1 dispatch\\(es\\) unconfirmed`));
    expect(running.length).toBe(1); // only the first one ever ran
    await new Promise((r) => setTimeout(r, 1_100));
    d.handle(ROUTER, dispatch(3)); // pause over: accepted, and it expires again (strike 2: paused 2 s)
    await until(() => declined.length === 3);
    expect(running.length).toBe(2);
    await new Promise((r) => setTimeout(r, 1_100));
    d.handle(ROUTER, dispatch(4)); // still paused: the second pause is twice as long
    await until(() => declined.length === 4);
    expect(declined[3][2]).toMatch(/left 2 dispatch\(es\) unconfirmed/);
    expect(running.length).toBe(2);
  });

  it("refuses sessions it must not start early: encrypted, another model, Claim mode", async () => {
    for (const session of [
      { encrypted: true },
      { modelId: `0x${"cd".repeat(32)}` as Hex },
      { assignment: AssignmentMode.Claim },
    ]) {
      const { d, declined, running } = setup({ session });
      d.handle(ROUTER, dispatch(1));
      await until(() => declined.length === 1);
      expect(running.length).toBe(0);
    }
  });
});
