import type { Hex } from "viem";
import { describe, expect, it } from "vitest";
import { AssignmentMode, NodeStatus, Role, TaskStatus } from "../../../sdk/src/protocol.ts";
import type { NetworkLog } from "../shared/chain.ts";
import { safeStringify } from "../shared/json.ts";
import { createMinerPool } from "./pool.ts";
import { emptyState, loadOf, reduce } from "./state.ts";

const MODEL = `0x${"ab".repeat(32)}` as Hex;
const ROUTER = { nodeId: 9, account: "0x00000000000000000000000000000000000000a9" };
const log = (eventName: string, args: Record<string, unknown>) => ({ eventName, args }) as unknown as NetworkLog;
const task = (session: number, index: number) => (BigInt(session) << 32n) | BigInt(index);

const registered = (nodeId: number) =>
  log("NodeRegistered", {
    nodeId,
    role: Role.Miner,
    account: `0x${String(nodeId).padStart(40, "0")}`,
    endpoint: `http://127.0.0.1:${9000 + nodeId}`,
    models: [MODEL],
    score: 5000,
  });

describe("router state reducer", () => {
  it("rebuilds miners, sessions, open tasks and final results from events alone", () => {
    const s = emptyState();
    const live = { live: false, ...ROUTER };
    expect(reduce(s, registered(1), live)).toEqual([{ type: "minerUpdated", nodeId: 1 }]);
    reduce(s, registered(2), live);
    reduce(
      s,
      log("SessionCreated", {
        sessionId: 1,
        owner: ROUTER.account,
        config: { assignment: AssignmentMode.Router, routerId: 9, modelId: MODEL, redundancy: 2, minReputation: 0 },
      }),
      live,
    );
    const t = task(1, 1);
    const queued = reduce(s, log("TaskPhaseChanged", { taskId: t, status: TaskStatus.Queued }), live);
    expect(queued).toContainEqual({ type: "assign", taskId: t.toString() });
    reduce(s, log("TaskAssigned", { taskId: t, miners: [1, 2] }), live);
    expect(loadOf(s).get(1)).toBe(1);
    reduce(
      s,
      log("TaskRevealed", {
        taskId: t,
        nodeId: 2,
        resultCid: "bafyresult",
        tokens: 12,
        resultHash: `0x${"11".repeat(32)}`,
      }),
      live,
    );
    const fx = reduce(
      s,
      log("TaskFinalized", { taskId: t, sessionId: 1, winnerNodeId: 2, resultHash: `0x${"11".repeat(32)}` }),
      live,
    );
    expect(s.finals.get(t.toString())).toMatchObject({
      status: "Finalized",
      resultCid: "bafyresult",
      tokens: 12,
      winnerNodeId: 2,
    });
    expect(loadOf(s).size).toBe(0);
    // The status event subscribers get is JSON-safe: the bigint task id that once froze the event reader is a string.
    const status = fx.find((e) => e.type === "event");
    expect(() => JSON.stringify(status)).not.toThrow();
    expect(JSON.parse(safeStringify(status))).toMatchObject({
      event: { status: "Finalized", detail: { task_id: t.toString(), result_cid: "bafyresult" } },
    });
  });

  it("does not assign tasks of sessions another router routes, nor tasks already final", () => {
    const s = emptyState();
    const ctx = { live: true, ...ROUTER };
    reduce(
      s,
      log("SessionCreated", {
        sessionId: 2,
        owner: "0x0000000000000000000000000000000000000001",
        config: { assignment: AssignmentMode.Router, routerId: 5, modelId: MODEL, redundancy: 1, minReputation: 0 },
      }),
      ctx,
    );
    expect(
      reduce(s, log("TaskPhaseChanged", { taskId: task(2, 1), status: TaskStatus.Queued }), ctx).some(
        (e) => e.type === "assign",
      ),
    ).toBe(false);
    reduce(s, log("SessionRouterChanged", { sessionId: 2, routerId: 9 }), ctx);
    expect(
      reduce(s, log("TaskPhaseChanged", { taskId: task(2, 1), status: TaskStatus.Queued }), ctx).some(
        (e) => e.type === "assign",
      ),
    ).toBe(true);
    reduce(s, log("TaskFailed", { taskId: task(2, 1), sessionId: 2, reason: 1 }), ctx);
    expect(
      reduce(s, log("TaskPhaseChanged", { taskId: task(2, 1), status: TaskStatus.Queued }), ctx).some(
        (e) => e.type === "assign",
      ),
    ).toBe(false);
  });

  it("a replayed timeout never benches; a live one does", () => {
    const s = emptyState();
    reduce(s, registered(1), { live: false, ...ROUTER });
    const timeout = log("WorkSettled", { taskId: task(1, 1), nodeId: 1, outcome: 2, score: 4000, speed: 10 });
    expect(reduce(s, timeout, { live: false, ...ROUTER })).toEqual([]);
    expect(reduce(s, timeout, { live: true, ...ROUTER })).toEqual([
      { type: "timedOut", nodeId: 1, taskId: task(1, 1).toString() },
    ]);
    expect(s.miners.get(1)?.score).toBe(4000);
  });
});

describe("miner pool", () => {
  const state = () => {
    const s = emptyState();
    for (const id of [1, 2, 3]) reduce(s, registered(id), { live: false, ...ROUTER });
    return s;
  };

  it("picks only live, active, unbenched miners, least loaded first", () => {
    let now = 1_000;
    const s = state();
    const pool = createMinerPool({ now: () => now, benchMs: 30_000 });
    expect(pool.pick(s, MODEL, 3, [], 0)).toEqual([]);
    for (const id of [1, 2, 3]) pool.setLive(id, true);
    s.open.set("1", [1, 0]);
    expect(pool.pick(s, MODEL, 2, [], 0)).toEqual([2, 3]);
    (s.miners.get(3) as { status: number }).status = NodeStatus.Jailed;
    expect(pool.pick(s, MODEL, 3, [], 0)).toEqual([2, 1]);
    now += 10;
    expect(pool.bench(2, now)).toBe(true);
    expect(pool.pick(s, MODEL, 3, [], 0)).toEqual([1]);
    now += 30_001;
    expect(pool.pick(s, MODEL, 3, [], 0)).toEqual([2, 1]);
  });

  it("a miner that reconnects is no longer benched, and is not benched for work its previous run missed", () => {
    let now = 1_000;
    const s = state();
    const pool = createMinerPool({ now: () => now });
    pool.setLive(1, true);
    pool.bench(1, now);
    expect(pool.pick(s, MODEL, 1, [], 0)).toEqual([]);
    pool.setLive(1, false); // killed
    now += 3_000;
    pool.setLive(1, true); // restarted and reconnected
    expect(pool.pick(s, MODEL, 1, [], 0)).toEqual([1]);
    // The timeout of a task assigned before the restart lands now: no bench.
    expect(pool.bench(1, 2_000)).toBe(false);
    expect(pool.pick(s, MODEL, 1, [], 0)).toEqual([1]);
  });
});
