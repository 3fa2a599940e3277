import { describe, expect, it } from "vitest";
import { createStreamRelay } from "./relay.ts";
import type { TaskEvent } from "./state.ts";

const setup = (live: Set<number>) => {
  const out: TaskEvent[] = [];
  const relay = createStreamRelay({ emit: (e) => out.push(e), isLive: (id) => live.has(id) });
  const text = () =>
    out
      .filter((e) => e.type === "token")
      .map((e) => (e as { piece: string }).piece)
      .join("");
  return { relay, out, text };
};

describe("stream relay", () => {
  it("relays the first miner to produce a token and ignores the others", () => {
    const { relay, out, text } = setup(new Set([1, 2]));
    relay.assigned("7", [1, 2]);
    relay.token(2, "7", 0, "Once");
    relay.token(1, "7", 0, "Once");
    relay.token(2, "7", 1, " upon");
    relay.token(1, "7", 1, " upon");
    expect(text()).toBe("Once upon");
    expect(out.every((e) => e.type !== "token" || e.nodeId === 2)).toBe(true);
  });

  it("fails over to another miner at the same token index when the source drops", () => {
    const live = new Set([1, 2, 3]);
    const { relay, out, text } = setup(live);
    relay.assigned("7", [1, 2, 3]);
    for (const [i, p] of ["A", "B", "C"].entries()) relay.token(1, "7", i, p);
    for (const [i, p] of ["A", "B", "C", "D"].entries()) relay.token(2, "7", i, p);
    relay.token(3, "7", 0, "A");
    live.delete(1);
    relay.lost(1);
    // Node 2 is furthest ahead: it takes over at index 3 and its token D is relayed at once.
    expect(text()).toBe("ABCD");
    expect(out.find((e) => e.type === "status")).toMatchObject({
      status: "StreamFailover",
      detail: { from: 1, to: 2, index: 3 },
    });
    relay.token(2, "7", 4, "E");
    relay.token(1, "7", 5, "X"); // a dead source's late token is never relayed
    expect(text()).toBe("ABCDE");
    expect((out.filter((e) => e.type === "token") as { index: number }[]).map((e) => e.index)).toEqual([0, 1, 2, 3, 4]);
  });

  it("waits for a live miner that is behind, and switches when it reaches the index", () => {
    const live = new Set([1, 2]);
    const { relay, out, text } = setup(live);
    relay.assigned("7", [1, 2]);
    relay.token(1, "7", 0, "A");
    relay.token(1, "7", 1, "B");
    live.delete(1);
    relay.lost(1);
    expect(out.some((e) => e.type === "error")).toBe(false);
    relay.token(2, "7", 0, "A");
    relay.token(2, "7", 1, "B");
    expect(text()).toBe("AB");
    relay.token(2, "7", 2, "C");
    expect(text()).toBe("ABC");
    expect(out.find((e) => e.type === "status")).toMatchObject({
      status: "StreamFailover",
      detail: { from: 1, to: 2, index: 2 },
    });
  });

  it("ends the stream with an error naming the task when no source is left", () => {
    const live = new Set([1, 2]);
    const { relay, out } = setup(live);
    relay.assigned("9", [1, 2]);
    relay.token(1, "9", 0, "A");
    live.delete(2);
    relay.lost(2);
    expect(out.some((e) => e.type === "error")).toBe(false); // 2 was not the source; 1 still streams
    live.delete(1);
    relay.lost(1);
    const err = out.find((e) => e.type === "error");
    expect(err).toMatchObject({ type: "error", taskId: "9", code: "stream_lost" });
    expect((err as { message: string }).message).toContain("Task 9");
  });

  it("does not fail over a source that already sent its last token", () => {
    const live = new Set([1]);
    const { relay, out } = setup(live);
    relay.assigned("3", [1]);
    relay.token(1, "3", 0, "A");
    relay.done(1, "3");
    live.delete(1);
    relay.lost(1);
    expect(out.filter((e) => e.type !== "token")).toEqual([]);
  });

  it("a failed task ends once; a finished task relays nothing more", () => {
    const { relay, out } = setup(new Set([1]));
    relay.token(1, "4", 0, "A");
    relay.fail("4", "task_failed", "Task 4 failed on chain");
    relay.fail("4", "task_failed", "again");
    relay.token(1, "4", 1, "B");
    expect(out.filter((e) => e.type === "error")).toHaveLength(1);
    expect(relay.log("4").map((e) => e.piece)).toEqual(["A"]);
    relay.finish("4", 0);
    expect(relay.openTasks()).toEqual([]);
  });
});
