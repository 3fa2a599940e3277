import pino from "pino";
import { describe, expect, it } from "vitest";
import type { RouterMessage } from "../shared/stream.ts";
import { createDispatcher, createTaskIdPredictor } from "./dispatch.ts";

const quiet = pino({ level: "silent" });
const id = (session: number, index: number) => (BigInt(session) << 32n) | BigInt(index);

describe("task id predictor", () => {
  it("predicts consecutive ids from the chain's count, counting submissions in flight", async () => {
    let reads = 0;
    const p = createTaskIdPredictor(async () => {
      reads++;
      return 4;
    });
    expect(await Promise.all([p.prepare(7), p.prepare(7)])).toEqual([true, true]);
    expect(reads).toBe(1);
    expect(p.next(7)).toBe(id(7, 5));
    expect(p.next(7)).toBe(id(7, 6));
    p.settled(7, id(7, 5), id(7, 5));
    await p.prepare(7); // one still in flight and nothing missed: no read
    expect(reads).toBe(1);
    expect(p.next(7)).toBe(id(7, 7));
  });

  it("after a miss it predicts nothing until the in-flight submissions are done, then re-reads the chain", async () => {
    let count = 1;
    const p = createTaskIdPredictor(async () => count);
    await p.prepare(3);
    const a = p.next(3) as bigint;
    const b = p.next(3) as bigint;
    p.settled(3, a, undefined); // the first submission failed: the second lands on a's id
    expect(await p.prepare(3)).toBe(false);
    expect(p.next(3)).toBeUndefined();
    p.settled(3, b, a);
    count = 2;
    expect(await p.prepare(3)).toBe(true);
    expect(p.next(3)).toBe(id(3, 3));
  });
});

describe("router dispatcher", () => {
  it("sends to live links only, withdraws from miners it does not assign, forgets decliners", () => {
    const sent: [number, RouterMessage][] = [];
    const d = createDispatcher({
      send: (minerId, msg) => {
        if (minerId === 3) return false; // link down
        sent.push([minerId, msg]);
        return true;
      },
      logger: quiet,
    });
    const payload = { taskId: "42", sessionId: 1, prompt: "hi", promptHash: "0x00" as const, maxTokens: 8 };
    expect(d.dispatch(payload, [1, 2, 3])).toEqual([1, 2]);
    expect(d.holders("42")).toEqual([1, 2]);
    d.declined(2, "42", "At capacity");
    expect(d.holders("42")).toEqual([1]);
    d.cancel("42", [1]);
    expect(sent.at(-1)).toEqual([1, { type: "cancel", taskId: "42" }]);
    expect(d.holders("42")).toEqual([]);
    expect(d.size()).toBe(0);
  });

  it("remembers a bounded number of dispatches", () => {
    const d = createDispatcher({ send: () => true, logger: quiet, max: 3 });
    for (let i = 0; i < 10; i++)
      d.dispatch({ taskId: String(i), sessionId: 1, prompt: "p", promptHash: "0x00", maxTokens: 1 }, [1]);
    expect(d.size()).toBe(3);
    expect(d.holders("9")).toEqual([1]);
    expect(d.holders("0")).toEqual([]);
  });
});
