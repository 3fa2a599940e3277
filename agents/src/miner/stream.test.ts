import { createServer } from "node:http";
import pino from "pino";
import { generatePrivateKey, privateKeyToAccount } from "viem/accounts";
import { afterEach, describe, expect, it } from "vitest";
import WebSocket from "ws";
import { type MinerMessage, streamChallengeText } from "../shared/stream.ts";
import { createStreamServer } from "./stream.ts";

// The stream server on a real HTTP server and WebSocket: an authorized router gets a task's pieces coalesced.
const miner = privateKeyToAccount(generatePrivateKey());
const router = privateKeyToAccount(generatePrivateKey());
const cleanup: (() => void)[] = [];
afterEach(() => {
  for (const c of cleanup.splice(0)) c();
});

const setup = async () => {
  const server = createServer();
  await new Promise<void>((r) => server.listen(0, "127.0.0.1", r));
  const streams = createStreamServer({
    server,
    miner: miner.address,
    logger: pino({ level: "silent" }),
    checkRouter: async (_id, account) => (account === router.address ? undefined : "not the router"),
  });
  const port = (server.address() as { port: number }).port;
  const ws = new WebSocket(`ws://127.0.0.1:${port}/stream`);
  const got: { at: number; msg: MinerMessage }[] = [];
  const authorized = new Promise<void>((resolve) => {
    ws.on("message", async (d) => {
      const msg = JSON.parse(String(d)) as MinerMessage;
      got.push({ at: performance.now(), msg });
      if (msg.type === "challenge")
        ws.send(
          JSON.stringify({
            type: "auth",
            nodeId: 5,
            signature: await router.signMessage({ message: streamChallengeText(miner.address, msg.nonce) }),
          }),
        );
      if (msg.type === "authorized") resolve();
    });
  });
  await authorized;
  cleanup.push(() => {
    ws.terminate();
    streams.close();
    server.close();
  });
  const frames = () => got.map((g) => g.msg).filter((m) => m.type === "tokens");
  return { streams, got, frames };
};
const until = async (cond: () => boolean) => {
  for (let i = 0; i < 400 && !cond(); i++) await new Promise((r) => setTimeout(r, 5));
  expect(cond()).toBe(true);
};

describe("miner stream coalescing", () => {
  it("sends a lone piece at once and a burst as few frames, in order, with generation stamps", async () => {
    const s = await setup();
    s.streams.open("7", [5], 1);
    const sent = performance.now();
    s.streams.token({ taskId: "7", nodeId: 1, index: 0, piece: "Once" });
    await until(() => s.frames().length === 1);
    expect(s.got.at(-1)?.at ?? 0).toBeLessThan(sent + 50);
    for (let i = 1; i <= 100; i++) s.streams.token({ taskId: "7", nodeId: 1, index: i, piece: ` ${i}` });
    await until(() => s.frames().flatMap((f) => (f.type === "tokens" ? f.pieces : [])).length === 101);
    const all = s.frames() as Extract<MinerMessage, { type: "tokens" }>[];
    // The lone piece, then 100 pieces in one tick: a frame at most once per ms (or when 64 are waiting) — a handful
    // of frames (4 on an idle host), not 101.
    expect(all.length).toBeLessThanOrEqual(10);
    expect(all.flatMap((f) => f.pieces).join("")).toBe(
      `Once${Array.from({ length: 100 }, (_, i) => ` ${i + 1}`).join("")}`,
    );
    expect(all.map((f) => f.index)).toEqual(
      all.map((_, i) => all.slice(0, i).reduce((n, f) => n + f.pieces.length, 0)),
    );
    for (const f of all) expect(f.at?.length).toBe(f.pieces.length);
    // `done` flushes what is pending first and comes last.
    s.streams.token({ taskId: "7", nodeId: 1, index: 101, piece: "." });
    s.streams.done({
      type: "done",
      taskId: "7",
      nodeId: 1,
      tokens: 102,
      resultCid: "bafy",
      resultHash: `0x${"11".repeat(32)}`,
      ms: 1,
    });
    await until(() => s.got.at(-1)?.msg.type === "done");
    expect((s.frames().at(-1) as { pieces: string[] }).pieces.at(-1)).toBe(".");
  });
});
