import { AssignmentMode, NodeStatus, Role, TaskStatus } from "@cor-network/sdk";
import type { Hex } from "viem";
import { describe, expect, it } from "vitest";
import type { NetworkLog } from "../shared/chain.ts";
import { safeStringify } from "../shared/json.ts";
import { createMinerPool } from "./pool.ts";
import { emptyState, loadOf, reduce } from "./state.ts";

const MODEL = `0x${"ab".repeat(32)}` as Hex;
const DEMAND = { modelId: MODEL, minReputation: 0 };
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
    expect(pool.pick(s, DEMAND, 3)).toEqual([]);
    for (const id of [1, 2, 3]) pool.setLive(id, true);
    s.open.set("1", [1, 0]);
    expect(pool.pick(s, DEMAND, 2)).toEqual([2, 3]);
    (s.miners.get(3) as { status: number }).status = NodeStatus.Jailed;
    expect(pool.pick(s, DEMAND, 3)).toEqual([2, 1]);
    now += 10;
    expect(pool.bench(2, now)).toBe(true);
    expect(pool.pick(s, DEMAND, 3)).toEqual([1]);
    now += 30_001;
    expect(pool.pick(s, DEMAND, 3)).toEqual([2, 1]);
  });

  it("a miner that reconnects is no longer benched, and is not benched for work its previous run missed", () => {
    let now = 1_000;
    const s = state();
    const pool = createMinerPool({ now: () => now });
    pool.setLive(1, true);
    pool.bench(1, now);
    expect(pool.pick(s, DEMAND, 1)).toEqual([]);
    pool.setLive(1, false); // killed
    now += 3_000;
    pool.setLive(1, true); // restarted and reconnected
    expect(pool.pick(s, DEMAND, 1)).toEqual([1]);
    // The timeout of a task assigned before the restart lands now: no bench.
    expect(pool.bench(1, 2_000)).toBe(false);
    expect(pool.pick(s, DEMAND, 1)).toEqual([1]);
  });

  it("respects each miner's on-chain Offer: capacity (with reservations not mined yet), price and Router mode", () => {
    const s = emptyState();
    const offer = (capacity: number, minPrice = 0n, modes = 0b111) => ({ capacity, minPrice, modes });
    reduce(s, log("NodeRegistered", { ...registered(1).args, offer: offer(2) }), { live: false, ...ROUTER });
    reduce(s, log("NodeRegistered", { ...registered(2).args, offer: offer(4) }), { live: false, ...ROUTER });
    reduce(s, log("NodeRegistered", { ...registered(3).args, offer: offer(8, 10n) }), { live: false, ...ROUTER });
    const pool = createMinerPool();
    for (const id of [1, 2, 3]) pool.setLive(id, true);
    const cheap = { ...DEMAND, pricePerToken: 1n };
    // Utilization first: 1 of 2 is busier than 1 of 4.
    s.open.set("a", [1]);
    s.open.set("b", [2]);
    expect(pool.pick(s, cheap, 2)).toEqual([2, 1]); // miner 3 asks 10 wei per token
    expect(pool.pick(s, { ...DEMAND, pricePerToken: 10n }, 3)).toEqual([3, 2, 1]);
    // A reservation (assignment sent, not mined) counts until the task is open on chain; then it is not counted twice.
    pool.reserve("c", [1]);
    expect(pool.pick(s, cheap, 2)).toEqual([2]);
    s.open.set("c", [1]);
    expect(pool.pick(s, cheap, 2)).toEqual([2]);
    s.open.delete("a");
    expect(pool.pick(s, cheap, 2)).toEqual([2, 1]);
    pool.release("c");
    expect(pool.reservations()).toBe(0);
    // An offer that drops Router mode, or capacity 0, takes no work from this router.
    reduce(s, log("OfferUpdated", { nodeId: 2, offer: offer(4, 0n, 1 << AssignmentMode.Claim) }), {
      live: true,
      ...ROUTER,
    });
    reduce(s, log("OfferUpdated", { nodeId: 1, offer: offer(0) }), { live: true, ...ROUTER });
    expect(pool.pick(s, cheap, 3)).toEqual([]);
    expect(pool.liveFor(s, cheap)).toBe(3);
  });

  it("puts the miners a task was dispatched to first", () => {
    const s = state();
    const pool = createMinerPool();
    for (const id of [1, 2, 3]) pool.setLive(id, true);
    s.open.set("x", [3]);
    expect(pool.pick(s, DEMAND, 2)).toEqual([1, 2]);
    expect(pool.pick(s, DEMAND, 2, [], [3])).toEqual([3, 1]);
  });
});
