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

const OUTCOME = ["Accepted", "Rejected", "TimedOut"];

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
}, 180_000);

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

  it("records every outcome: assignments, failures, slashes, withdrawals, params changes", async () => {
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
      "Void",
    ]);

    const { T2, T4, T5, T6, T7, T8, T10, T12 } = scenario.tasks;
    const data = await graphql<{
      t2: { assignments: { items: { slot: number; attempt: number; nodeId: number; outcome: string }[] } };
      t4: { failReason: string; assignments: { items: { outcome: string }[] } };
      t5: { droppedMask: number; outputTokens: number; tokensPaid: number };
      t6: {
        validatingTime: string | null;
        attestations: { items: { validatorId: number; outcome: string; payout: string }[] };
      };
      t7: { failReason: string; retries: number };
      t8: { status: string; winnerSlot: number };
      t10: { assignments: { items: { slot: number; attempt: number; nodeId: number; outcome: string }[] } };
      t12: { status: string; miners: number[] };
    }>(
      url,
      `query ($t2: BigInt!, $t4: BigInt!, $t5: BigInt!, $t6: BigInt!, $t7: BigInt!, $t8: BigInt!, $t10: BigInt!, $t12: BigInt!) {
        t2: task(id: $t2) { assignments(orderBy: "slot") { items { slot attempt nodeId outcome } } }
        t4: task(id: $t4) { failReason assignments { items { outcome } } }
        t5: task(id: $t5) { droppedMask outputTokens tokensPaid }
        t6: task(id: $t6) { validatingTime attestations { items { validatorId outcome payout } } }
        t7: task(id: $t7) { failReason retries }
        t8: task(id: $t8) { status winnerSlot }
        t10: task(id: $t10) { assignments { items { slot attempt nodeId outcome } } }
        t12: task(id: $t12) { status miners }
      }`,
      Object.fromEntries(
        Object.entries({ t2: T2, t4: T4, t5: T5, t6: T6, t7: T7, t8: T8, t10: T10, t12: T12 }).map(([k, v]) => [
          k,
          String(v),
        ]),
      ),
    );
    // T2: miner 3 expired on slot 2, miner 4 took it (attempt 1) and was accepted.
    const t2 = [...data.t2.assignments.items].sort((a, b) => a.slot - b.slot || a.attempt - b.attempt);
    expect(t2).toEqual([
      { slot: 0, attempt: 0, nodeId: 1, outcome: "Accepted" },
      { slot: 1, attempt: 0, nodeId: 2, outcome: "Accepted" },
      { slot: 2, attempt: 0, nodeId: 3, outcome: "Expired" },
      { slot: 2, attempt: 1, nodeId: 4, outcome: "Accepted" },
    ]);
    expect(data.t4.failReason).toBe("NoMajority");
    expect(data.t4.assignments.items.map((a) => a.outcome)).toEqual(["Void", "Void", "Void"]);
    expect(data.t5.droppedMask).toBe(4);
    expect(data.t5.outputTokens).toBe(12);
    expect(data.t5.tokensPaid).toBe(24);
    expect(data.t6.validatingTime).not.toBeNull();
    expect(data.t6.attestations.items.map((a) => a.outcome)).toEqual(["Accepted", "Accepted"]);
    expect(data.t6.attestations.items.every((a) => BigInt(a.payout) > 0n)).toBe(true);
    expect(data.t7.failReason).toBe("RetriesExhausted");
    expect(data.t8).toEqual({ status: "Finalized", winnerSlot: 0 });
    const t10 = [...data.t10.assignments.items].sort((a, b) => a.slot - b.slot || a.attempt - b.attempt);
    expect(t10.map((a) => [a.slot, a.attempt, a.nodeId, a.outcome])).toEqual([
      [0, 0, 2, "Accepted"],
      [1, 0, 4, "Expired"],
      [1, 1, 1, "Accepted"],
    ]);
    expect(data.t12).toEqual({ status: "Queued", miners: [2, 0] });

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

  it("serves /stats, /leaderboard and /sessions/:id/summary", async () => {
    const url = getUrl();
    const stats = (await (await fetch(`${url}/stats`)).json()) as {
      tasks: number;
      tokensServed: string;
      medianTimeToFinalitySeconds: number | null;
      tasksByStatus: Record<string, number>;
      tasksPerDay: { tasksSubmitted: number }[];
    };
    const taskCount = expected.tasks.length;
    expect(stats.tasks).toBe(taskCount);
    expect(Object.values(stats.tasksByStatus).reduce((a, b) => a + b, 0)).toBe(taskCount);
    expect(stats.tasksByStatus.Finalized).toBe(expected.tasks.filter((t) => t.status === "Finalized").length);
    expect(stats.tasksByStatus.Failed).toBe(expected.tasks.filter((t) => t.status === "Failed").length);
    const served = expected.nodes.reduce((sum, n) => sum + BigInt(n.tokensServed as string), 0n);
    expect(stats.tokensServed).toBe(String(served));
    expect(stats.medianTimeToFinalitySeconds).toBeGreaterThan(0);
    expect(stats.tasksPerDay.reduce((a, d) => a + d.tasksSubmitted, 0)).toBe(taskCount);

    const board = (await (await fetch(`${url}/leaderboard`)).json()) as { id: number; score: number; speed: number }[];
    const miners = expected.nodes.filter((n) => n.role === "Miner" && n.status !== "Unregistered");
    expect(board.map((m) => m.id).sort()).toEqual(miners.map((m) => m.id).sort());
    for (let i = 1; i < board.length; i++) expect(board[i - 1]!.score).toBeGreaterThanOrEqual(board[i]!.score);

    const [S1] = scenario.sessions;
    const summary = (await (await fetch(`${url}/sessions/${S1}/summary`)).json()) as {
      session: { taskCount: number; deposit: string };
      tasksByStatus: Record<string, number>;
      recentTasks: unknown[];
    };
    const s1 = expected.sessions.find((s) => s.id === S1)!;
    expect(summary.session.taskCount).toBe(s1.taskCount);
    expect(summary.session.deposit).toBe(s1.deposit);
    expect(summary.tasksByStatus).toMatchObject({ Finalized: 4, Failed: 1, Queued: 1 });
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
  }, 120_000);

  indexerSuite(() => ponder.url);
});
