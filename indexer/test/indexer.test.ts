/**
 * End to end: real anvil + the forge deploy script + `ponder start` as a child process. One scenario drives the
 * contract through every task outcome; then the indexed rows must EQUAL what the contract reports at the same
 * block, through GraphQL and through SQL over HTTP.
 *
 * - PGlite: ponder starts before the scenario, so every block is indexed live (realtime sync).
 * - PostgreSQL: a throwaway cluster; ponder starts after the scenario, so the chain is backfilled.
 */
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import type { Address } from "viem";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { Deployment } from "../../sdk/src/deployments.ts";
import { iCorNetworkAbi } from "../../sdk/src/generated/abis.ts";
import { type Anvil, deployCore, startAnvil } from "../../sdk/src/testing/anvil.ts";
import { chainSnapshot, graphqlSnapshot, type Snapshot, sqlSnapshot } from "./compare.ts";
import {
  eventually,
  graphql,
  indexedBlock,
  type Ponder,
  type Postgres,
  postgresAvailable,
  sqlQuery,
  startPonder,
  startPostgres,
} from "./harness.ts";
import { type Chainish, connect, runScenario, type ScenarioResult } from "./scenario.ts";

const OUTCOME = ["Accepted", "Rejected", "TimedOut", "Unverified"];
const SLASH_REASON = ["Rejected", "Withheld", "Deviated"];

let anvil: Anvil;
let deployment: Deployment;
let deploymentFile: string;
let chain: Chainish;
let scenario: ScenarioResult;
let expected: Snapshot;
let accounts: Address[];
const cleanups: (() => Promise<void>)[] = [];

const runId = `${process.pid}_${Date.now().toString(36)}`;

let livePonder: Ponder;

beforeAll(async () => {
  const t0 = Date.now();
  const lap = (what: string) => {
    if (process.env.COR_TEST_TIMING) process.stderr.write(`[timing] ${what} ${Date.now() - t0} ms\n`);
  };
  anvil = await startAnvil();
  cleanups.push(() => anvil.stop());
  deploymentFile = join(mkdtempSync(join(tmpdir(), "cor-indexer-test-")), "deployment.json");
  cleanups.push(async () => rmSync(dirname(deploymentFile), { recursive: true, force: true }));
  deployment = await deployCore({ rpcUrl: anvil.rpcUrl, file: deploymentFile });
  chain = connect(anvil.rpcUrl, deployment.chainId);
  accounts = Array.from({ length: 10 }, (_, i) => chain.address(i));
  // Started before any protocol activity: the PGlite run indexes the scenario live, block by block.
  livePonder = await startPonder({
    rpcUrl: anvil.rpcUrl,
    deploymentFile: deploymentFile,
    schema: `cor_live_${runId}`,
  });
  cleanups.push(() => livePonder.stop());
  lap("ponder started");
  scenario = await runScenario(anvil.rpcUrl, deployment);
  lap(`scenario done block=${scenario.block}`);
  expected = await chainSnapshot(chain, deployment, scenario.block, [deployment.modelId, scenario.model2], accounts);
  lap("chain snapshot");
}, 420_000); // deploy + ponder start + ~200 transactions: minutes when the shared host is loaded

afterAll(async () => {
  for (const cleanup of cleanups.reverse()) await cleanup().catch(() => undefined);
});

/** The assertions, run once per database. */
const indexerSuite = (getUrl: () => string) => {
  it("indexes up to the scenario's last block", async () => {
    const url = getUrl();
    await eventually(async () => {
      const block = await indexedBlock(url);
      if (block < Number(scenario.block)) throw new Error(`indexed ${block} < ${scenario.block}`);
    }, 90_000);
  }, 120_000);

  it("GraphQL rows equal the contract's nodes, sessions, tasks, attestations, params and balances", async () => {
    const indexed = await eventually(async () => {
      const snapshot = await graphqlSnapshot(getUrl(), Object.keys(expected.balances));
      expect(snapshot.tasks.map((t) => t.status)).toEqual(expected.tasks.map((t) => t.status));
      return snapshot;
    }, 30_000);
    const { totals, ...rows } = indexed;
    expect(rows).toEqual(expected);
    // Money is conserved: what the network holds equals the indexed deposits, escrows, stakes, rewards and fees.
    const held = Object.values(totals).reduce((sum, v) => sum + BigInt(v), 0n);
    expect(String(held)).toEqual(expected.balances[deployment.network.toLowerCase()]);
  });

  it("SQL over HTTP returns the same rows", async () => {
    const { totals, ...rows } = await sqlSnapshot(getUrl(), Object.keys(expected.balances));
    expect(rows).toEqual(expected);
    expect(String(Object.values(totals).reduce((sum, v) => sum + BigInt(v), 0n))).toEqual(
      expected.balances[deployment.network.toLowerCase()],
    );
  });

  it("keeps one reputation row per WorkSettled log, equal to its payload", async () => {
    const logs = await chain.publicClient.getContractEvents({
      address: deployment.network,
      abi: iCorNetworkAbi,
      eventName: "WorkSettled",
      fromBlock: BigInt(deployment.startBlock),
      toBlock: scenario.block,
    });
    const rows = await sqlQuery(
      getUrl(),
      "select block, log_index, node_id, task_id, slot, outcome, tokens, payout, score, speed from reputation_event order by block, log_index",
    );
    expect(
      rows.map((r) => ({ ...r, block: String(r.block), task_id: String(r.task_id), payout: String(r.payout) })),
    ).toEqual(
      logs.map((l) => ({
        block: String(l.blockNumber),
        log_index: l.logIndex,
        node_id: l.args.nodeId,
        task_id: String(l.args.taskId),
        slot: l.args.slot,
        outcome: OUTCOME[l.args.outcome!],
        tokens: l.args.tokens,
        payout: String(l.args.payout),
        score: l.args.score,
        speed: l.args.speed,
      })),
    );
  });

  it("keeps one row per RouterFeePaid, SessionDeposited, NodeSlashed and published offer, equal to its payload", async () => {
    const url = getUrl();
    const logs = async <
      E extends "RouterFeePaid" | "SessionDeposited" | "NodeSlashed" | "NodeRegistered" | "OfferUpdated",
    >(
      eventName: E,
    ) =>
      chain.publicClient.getContractEvents({
        address: deployment.network,
        abi: iCorNetworkAbi,
        eventName,
        fromBlock: BigInt(deployment.startBlock),
        toBlock: scenario.block,
      });
    const key = (l: { blockNumber: bigint; logIndex: number }) => ({
      block: String(l.blockNumber),
      log_index: l.logIndex,
    });
    const rows = (sql: string) =>
      sqlQuery(url, sql).then((r) =>
        r.map((row) =>
          Object.fromEntries(Object.entries(row).map(([k, v]) => [k, typeof v === "string" ? v.toLowerCase() : v])),
        ),
      );

    const fees = await logs("RouterFeePaid");
    expect(fees.length).toBeGreaterThan(0);
    expect(
      await rows(
        "select block::text, log_index, task_id::text, router_id, amount::text from router_fee order by router_fee.block, router_fee.log_index",
      ),
    ).toEqual(
      fees.map((l) => ({
        ...key(l),
        task_id: String(l.args.taskId),
        router_id: l.args.routerId,
        amount: String(l.args.amount),
      })),
    );

    const deposits = await logs("SessionDeposited");
    expect(deposits.map((l) => l.args.from)).toEqual([chain.address(9)]);
    expect(
      await rows(
        'select block::text, log_index, session_id, "from", amount::text, deposit_after::text from session_deposit order by session_deposit.block, session_deposit.log_index',
      ),
    ).toEqual(
      deposits.map((l) => ({
        ...key(l),
        session_id: l.args.sessionId,
        from: l.args.from!.toLowerCase(),
        amount: String(l.args.amount),
        deposit_after: String(l.args.deposit),
      })),
    );

    const slashes = await logs("NodeSlashed");
    expect(new Set(slashes.map((l) => SLASH_REASON[l.args.reason!]))).toEqual(
      new Set(["Rejected", "Withheld", "Deviated"]),
    );
    expect(
      await rows(
        "select block::text, log_index, node_id, task_id::text, reason, amount::text, stake_after::text from slashing order by slashing.block, slashing.log_index",
      ),
    ).toEqual(
      slashes.map((l) => ({
        ...key(l),
        node_id: l.args.nodeId,
        task_id: String(l.args.taskId),
        reason: SLASH_REASON[l.args.reason!]!.toLowerCase(),
        amount: String(l.args.amount),
        stake_after: String(l.args.stake),
      })),
    );

    const offers = [...(await logs("NodeRegistered")), ...(await logs("OfferUpdated"))].sort((a, b) =>
      a.blockNumber === b.blockNumber ? a.logIndex - b.logIndex : a.blockNumber < b.blockNumber ? -1 : 1,
    );
    expect(offers.length).toBe(expected.nodes.length + 1);
    expect(
      await rows(
        "select block::text, log_index, node_id, min_price::text, capacity, modes from offer_change order by offer_change.block, offer_change.log_index",
      ),
    ).toEqual(
      offers.map((l) => ({
        ...key(l),
        node_id: l.args.nodeId,
        min_price: String(l.args.offer!.minPrice),
        capacity: l.args.offer!.capacity,
        modes: l.args.offer!.modes,
      })),
    );
  });

  it("records every outcome: assignments, no-verdict payments, router fees, slashes, withdrawals, params changes", async () => {
    const url = getUrl();
    const outcomes = await sqlQuery<{ outcome: string; n: number }>(
      url,
      "select outcome, count(*)::int as n from assignment group by outcome order by outcome",
    );
    expect(outcomes.map((o) => o.outcome).sort()).toEqual([
      "Accepted",
      "Dropped",
      "Expired",
      "Pending",
      "Rejected",
      "Unverified",
      "Void",
    ]);

    const { T1, T2, T3, T4, T5, T6, T7, T8, T10, T12, T13, T14 } = scenario.tasks;
    type Assignment = {
      slot: number;
      attempt: number;
      nodeId: number;
      outcome: string;
      assigner: string;
      expiredBy: string | null;
      payout: string;
    };
    type Settled = {
      status: string;
      failReason: string | null;
      paid: string;
      minersPaid: string;
      protocolFee: string;
      routerFee: string;
      routerId: number | null;
      assignerId: number;
      tokensPaid: number;
      assignments: { items: Assignment[] };
      attestations: { items: { validatorId: number; outcome: string | null; payout: string }[] };
      routerFees: { items: { routerId: number; amount: string }[] };
    };
    const fields = `status failReason paid minersPaid protocolFee routerFee routerId assignerId tokensPaid
      assignments(orderBy: "slot") { items { slot attempt nodeId outcome assigner expiredBy payout } }
      attestations(orderBy: "index") { items { validatorId outcome payout } }
      routerFees { items { routerId amount } }`;
    const names = {
      t1: T1,
      t2: T2,
      t3: T3,
      t4: T4,
      t5: T5,
      t6: T6,
      t7: T7,
      t8: T8,
      t10: T10,
      t12: T12,
      t13: T13,
      t14: T14,
    };
    const data = await graphql<
      Record<
        keyof typeof names,
        Settled & {
          droppedMask: number;
          outputTokens: number;
          validatingTime: string | null;
          retries: number;
          miners: number[];
          winnerSlot: number | null;
        }
      >
    >(
      url,
      `query (${Object.keys(names)
        .map((k) => `$${k}: BigInt!`)
        .join(", ")}) {
        ${Object.keys(names)
          .map(
            (k) =>
              `${k}: task(id: $${k}) { ${fields} droppedMask outputTokens validatingTime retries miners winnerSlot }`,
          )
          .join("\n")}
      }`,
      Object.fromEntries(Object.entries(names).map(([k, v]) => [k, String(v)])),
    );
    const n = scenario.nodeOf;
    const addr = (i: number) => chain.address(i).toLowerCase();
    const sorted = (items: Assignment[]) => [...items].sort((a, b) => a.slot - b.slot || a.attempt - b.attempt);
    const paidTo = (t: Settled) => t.assignments.items.reduce((sum, a) => sum + BigInt(a.payout), 0n);

    // T1: assigned by the router, which is credited its fee (one RouterFeePaid row, equal to TaskFinalized's).
    expect(data.t1.assignerId).toBe(n(7));
    expect(data.t1.routerId).toBe(n(7));
    expect(BigInt(data.t1.routerFee)).toBeGreaterThan(0n);
    expect(data.t1.routerFees.items).toEqual([{ routerId: n(7), amount: data.t1.routerFee }]);
    expect(data.t1.assignments.items.map((a) => a.assigner.toLowerCase())).toEqual([addr(7), addr(7), addr(7)]);
    // T2: miner 3 expired on slot 2 (by account 0), miner 4 took it (attempt 1) and was accepted.
    expect(
      sorted(data.t2.assignments.items).map((a) => [
        a.slot,
        a.attempt,
        a.nodeId,
        a.outcome,
        a.expiredBy?.toLowerCase() ?? null,
      ]),
    ).toEqual([
      [0, 0, n(1), "Accepted", null],
      [1, 0, n(2), "Accepted", null],
      [2, 0, n(3), "Expired", addr(0)],
      [2, 1, n(4), "Accepted", null],
    ]);
    // T3: assigned by the owner: no router, no router fee; the minority was rejected.
    expect([data.t3.assignerId, data.t3.routerId, data.t3.routerFee, data.t3.routerFees.items]).toEqual([
      0,
      0,
      "0",
      [],
    ]);
    expect(data.t3.assignments.items.map((a) => [a.outcome, a.assigner.toLowerCase()])).toEqual([
      ["Accepted", addr(8)],
      ["Accepted", addr(8)],
      ["Rejected", addr(8)],
    ]);
    // T4: no majority: every revealed result paid Unverified; the protocol keeps the rest of what was paid.
    expect([data.t4.status, data.t4.failReason]).toEqual(["Failed", "NoMajority"]);
    expect(data.t4.assignments.items.map((a) => a.outcome)).toEqual(["Unverified", "Unverified", "Unverified"]);
    expect(data.t4.minersPaid).toBe(String(paidTo(data.t4)));
    expect(BigInt(data.t4.minersPaid)).toBeGreaterThan(0n);
    expect(BigInt(data.t4.paid)).toBe(BigInt(data.t4.minersPaid) + BigInt(data.t4.protocolFee));
    expect(BigInt(data.t4.protocolFee)).toBeGreaterThan(0n);
    // T5: miner 4 withheld its reveal (dropped, expired by miner 1); the two others were paid.
    expect(data.t5.droppedMask).toBe(4);
    expect(data.t5.outputTokens).toBe(15);
    expect(data.t5.tokensPaid).toBe(30);
    expect(data.t5.assignments.items[2]).toMatchObject({ outcome: "Dropped", payout: "0" });
    expect(data.t5.assignments.items[2]!.expiredBy?.toLowerCase()).toBe(addr(1));
    // T6: validator-settled at quorum 3; the deviating validator (account 10) was rejected and unpaid.
    expect(data.t6.validatingTime).not.toBeNull();
    expect(data.t6.attestations.items.map((a) => [a.validatorId, a.outcome])).toEqual([
      [n(5), "Accepted"],
      [n(6), "Accepted"],
      [n(10), "Rejected"],
    ]);
    expect(data.t6.attestations.items.map((a) => BigInt(a.payout) > 0n)).toEqual([true, true, false]);
    expect(data.t6.assignments.items.map((a) => [a.assigner.toLowerCase(), a.outcome]).sort()).toEqual(
      [
        [addr(1), "Accepted"],
        [addr(2), "Rejected"],
      ].sort(),
    );
    expect([data.t7.failReason, data.t7.retries]).toEqual(["RetriesExhausted", 0]);
    expect(data.t7.assignments.items.map((a) => a.outcome)).toEqual(["Void", "Expired"]);
    // T8: below quorum at the deadline: both results paid Unverified, the lone attestation released unjudged.
    expect([data.t8.status, data.t8.failReason, data.t8.winnerSlot]).toEqual(["Failed", "NoQuorum", null]);
    expect(data.t8.assignments.items.map((a) => a.outcome)).toEqual(["Unverified", "Unverified"]);
    expect(BigInt(data.t8.paid)).toBe(BigInt(data.t8.minersPaid) + BigInt(data.t8.protocolFee));
    expect(data.t8.attestations.items).toEqual([{ validatorId: n(5), outcome: "Unverified", payout: "0" }]);
    expect(sorted(data.t10.assignments.items).map((a) => [a.slot, a.attempt, a.nodeId, a.outcome])).toEqual([
      [0, 0, n(2), "Accepted"],
      [1, 0, n(4), "Expired"],
      [1, 1, n(1), "Accepted"],
    ]);
    expect([data.t12.status, data.t12.miners]).toEqual(["Queued", [n(2), 0]]);
    // T13: the router was jailed before settlement: TaskFinalized names it, no fee was paid.
    expect([
      data.t13.status,
      data.t13.assignerId,
      data.t13.routerId,
      data.t13.routerFee,
      data.t13.routerFees.items,
    ]).toEqual(["Finalized", n(7), n(7), "0", []]);
    // T14: an agreeing Replay result audited by a validator, then finalized.
    expect([data.t14.status, data.t14.validatingTime === null]).toEqual(["Finalized", false]);

    const count = async (table: string) =>
      (await sqlQuery<{ n: number }>(url, `select count(*)::int as n from ${table}`))[0]!.n;
    const logCount = async (eventName: "NodeSlashed" | "RewardsWithdrawn" | "ParamsUpdated" | "Attested") =>
      (
        await chain.publicClient.getContractEvents({
          address: deployment.network,
          abi: iCorNetworkAbi,
          eventName,
          fromBlock: 0n,
          toBlock: scenario.block,
        })
      ).length;
    expect(await count("slashing")).toBe(await logCount("NodeSlashed"));
    expect(await count("reward_withdrawal")).toBe(await logCount("RewardsWithdrawn"));
    expect(await count("params_change")).toBe(await logCount("ParamsUpdated"));
    expect(await count("attestation")).toBe(await logCount("Attested"));
    expect(await count("protocol_fee_withdrawal")).toBe(1);
  });

  it("keeps a commitRoot batch as the chain does: the root on the assignment, no per-slot commitment", async () => {
    const { T15, T16 } = scenario.tasks;
    type Rooted = {
      status: string;
      hashes: string[];
      assignments: { items: { slot: number; commitment: string | null; commitRoot: string | null }[] };
    };
    const data = await graphql<{ t15: Rooted; t16: Rooted }>(
      getUrl(),
      `query ($t15: BigInt!, $t16: BigInt!) {
        t15: task(id: $t15) { status hashes assignments(orderBy: "slot") { items { slot commitment commitRoot } } }
        t16: task(id: $t16) { status hashes assignments(orderBy: "slot") { items { slot commitment commitRoot } } }
      }`,
      { t15: String(T15), t16: String(T16) },
    );
    const lowered = (t: Rooted) =>
      t.assignments.items.map((a) => [
        a.slot,
        a.commitment?.toLowerCase() ?? null,
        a.commitRoot?.toLowerCase() ?? null,
      ]);
    const { miner1, miner2 } = scenario.roots;
    // T15: slots 0 and 1 under roots (miner 2's one-entry root equals its leaf: still a root), slot 2 plain.
    expect(data.t15.status).toBe("Finalized");
    const t15 = lowered(data.t15);
    expect(t15.slice(0, 2)).toEqual([
      [0, null, miner1.toLowerCase()],
      [1, null, miner2.toLowerCase()],
    ]);
    expect(t15[2]![1]).toMatch(/^0x[0-9a-f]{64}$/);
    expect(t15[2]![2]).toBeNull();
    // T16 (Committing): slot 0 under miner 1's root shows a zero hash as getTask does; slot 1 its own commitment.
    expect(data.t16.status).toBe("Committing");
    expect(data.t16.hashes[0]).toBe(`0x${"0".repeat(64)}`);
    expect(lowered(data.t16)).toEqual([
      [0, null, miner1.toLowerCase()],
      [1, data.t16.hashes[1]!.toLowerCase(), null],
      [2, null, null],
    ]);
    expect(expected.tasks.find((t) => t.id === String(T16))?.hashes).toEqual(
      data.t16.hashes.map((h) => h.toLowerCase()),
    );
  });

  it("serves /stats, /leaderboard and /sessions/:id/summary", async () => {
    const url = getUrl();
    const stats = (await (await fetch(`${url}/stats`)).json()) as {
      tasks: number;
      tokensServed: string;
      medianTimeToFinalitySeconds: number | null;
      p90TimeToFinalitySeconds: number | null;
      tasksByStatus: Record<string, number>;
      tasksPerDay: {
        tasksSubmitted: number;
        tasksFinalized: number;
        tasksFailed: number;
        tokensServed: string;
        nodesRegistered: number;
        sessionsCreated: number;
      }[];
      network: { taskCount: number; tasksFinalized: number; protocolFees: string; minQuorum: number };
    };
    const taskCount = expected.tasks.length;
    expect(stats.tasks).toBe(taskCount);
    expect(Object.values(stats.tasksByStatus).reduce((a, b) => a + b, 0)).toBe(taskCount);
    expect(stats.tasksByStatus.Finalized).toBe(expected.tasks.filter((t) => t.status === "Finalized").length);
    expect(stats.tasksByStatus.Failed).toBe(expected.tasks.filter((t) => t.status === "Failed").length);
    const served = expected.nodes.reduce((sum, n) => sum + BigInt(n.tokensServed as string), 0n);
    expect(stats.tokensServed).toBe(String(served));
    // Median and p90 time to finality, from the chain: block times of TaskSubmitted and TaskFinalized.
    const range = { address: deployment.network, abi: iCorNetworkAbi, fromBlock: 0n, toBlock: scenario.block } as const;
    const submittedAt = new Map<bigint, bigint>();
    const blockTime = async (blockNumber: bigint) => (await chain.publicClient.getBlock({ blockNumber })).timestamp;
    for (const l of await chain.publicClient.getContractEvents({ ...range, eventName: "TaskSubmitted" }))
      submittedAt.set(l.args.taskId!, await blockTime(l.blockNumber));
    const finality: number[] = [];
    for (const l of await chain.publicClient.getContractEvents({ ...range, eventName: "TaskFinalized" }))
      finality.push(Number((await blockTime(l.blockNumber)) - submittedAt.get(l.args.taskId!)!));
    finality.sort((a, b) => a - b);
    const percentile = (p: number) => {
      const at = p * (finality.length - 1);
      const lo = Math.floor(at);
      return finality[lo]! + (finality[Math.min(lo + 1, finality.length - 1)]! - finality[lo]!) * (at - lo);
    };
    expect(finality.length).toBe(stats.tasksByStatus.Finalized);
    expect(stats.medianTimeToFinalitySeconds).toBeCloseTo(percentile(0.5), 6);
    expect(stats.p90TimeToFinalitySeconds).toBeCloseTo(percentile(0.9), 6);
    expect(stats.p90TimeToFinalitySeconds).toBeGreaterThan(60); // tasks that waited out a window
    // The daily view adds up to the totals (every day of the scenario is within the default 30 days).
    const perDay = (pick: (d: (typeof stats.tasksPerDay)[number]) => number | string) =>
      stats.tasksPerDay.reduce((a, d) => a + BigInt(pick(d)), 0n);
    expect(perDay((d) => d.tasksSubmitted)).toBe(BigInt(taskCount));
    expect(perDay((d) => d.tasksFinalized)).toBe(BigInt(stats.tasksByStatus.Finalized!));
    expect(perDay((d) => d.tasksFailed)).toBe(BigInt(stats.tasksByStatus.Failed!));
    expect(perDay((d) => d.tokensServed)).toBe(served);
    expect(perDay((d) => d.nodesRegistered)).toBe(BigInt(expected.nodes.length));
    expect(perDay((d) => d.sessionsCreated)).toBe(BigInt(expected.sessions.length));
    // GraphQL serves the same view (as the dashboard reads it: newest first, a page of days).
    const { dailyStats } = await graphql<{ dailyStats: { items: { day: string; tasksSubmitted: number }[] } }>(
      url,
      `{ dailyStats(orderBy: "day", orderDirection: "desc", limit: 60) { items { day tasksSubmitted } } }`,
    );
    expect(dailyStats.items.reduce((a, d) => a + d.tasksSubmitted, 0)).toBe(taskCount);
    expect(dailyStats.items.map((d) => d.day)).toEqual(
      [...dailyStats.items.map((d) => d.day)].sort((a, b) => Number(BigInt(b) - BigInt(a))),
    );
    // The network object joins the params row and the totals view.
    expect(stats.network.taskCount).toBe(taskCount);
    expect(stats.network.tasksFinalized).toBe(stats.tasksByStatus.Finalized);
    expect(stats.network.protocolFees).toBe(expected.network.protocolFees);
    expect(stats.network.minQuorum).toBe(expected.network.minQuorum);

    const board = (await (await fetch(`${url}/leaderboard`)).json()) as {
      id: number;
      score: number;
      speed: number;
      open: number;
      offerMinPrice: string;
      offerCapacity: number;
      offerModes: number;
    }[];
    const miners = expected.nodes.filter((n) => n.role === "Miner" && n.status !== "Unregistered");
    expect(board.map((m) => m.id).sort()).toEqual(miners.map((m) => m.id).sort());
    for (let i = 1; i < board.length; i++) expect(board[i - 1]!.score).toBeGreaterThanOrEqual(board[i]!.score);
    // Offers and open work as the contract reports them (a router picks miners within their offers).
    for (const m of board) {
      const n = expected.nodes.find((x) => x.id === m.id)!;
      expect([m.open, m.offerMinPrice, m.offerCapacity, m.offerModes]).toEqual([
        n.open,
        n.offerMinPrice,
        n.offerCapacity,
        n.offerModes,
      ]);
    }
    expect(board.some((m) => m.open > 0)).toBe(true); // T12's claimed slot is still open

    const [S1] = scenario.sessions;
    const summary = (await (await fetch(`${url}/sessions/${S1}/summary`)).json()) as {
      session: { taskCount: number; deposit: string };
      tasksByStatus: Record<string, number>;
      recentTasks: unknown[];
    };
    const s1 = expected.sessions.find((s) => s.id === S1)!;
    expect(summary.session.taskCount).toBe(s1.taskCount);
    expect(summary.session.deposit).toBe(s1.deposit);
    expect(summary.tasksByStatus).toMatchObject({ Finalized: 6, Failed: 1, Queued: 1, Committing: 1 });
    expect(summary.recentTasks).toHaveLength(s1.taskCount as number);
    expect((await fetch(`${url}/sessions/999/summary`)).status).toBe(404);
  });
};

describe("indexer on PGlite (live indexing)", () => {
  indexerSuite(() => livePonder.url);
});

describe.skipIf(!postgresAvailable())("indexer on PostgreSQL (backfill)", () => {
  let postgres: Postgres;
  let ponder: Ponder;
  beforeAll(async () => {
    postgres = await startPostgres();
    cleanups.push(() => postgres.stop());
    ponder = await startPonder({
      rpcUrl: anvil.rpcUrl,
      deploymentFile: deploymentFile,
      schema: `cor_pg_${runId}`,
      databaseUrl: postgres.url,
    });
    cleanups.push(() => ponder.stop());
  }, 240_000);

  indexerSuite(() => ponder.url);
});
