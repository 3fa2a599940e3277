import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import {
  assignTasks,
  expireSlot,
  getNode,
  getTask,
  iCorNetworkAbi,
  parseCor,
  submitTasks,
  type TaskStatusName,
} from "@cor-network/sdk";
import { type ContentStore, createEmbeddedStore } from "@cor-network/sdk/storage";
import { anvilKey, type CorTestNetwork, openSession, setupNetwork } from "@cor-network/sdk/testing";
import { decodeFunctionData, type Hex } from "viem";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type MinerHooks, startMiner } from "./index.ts";
import type { Pending, RootRecord } from "./reveal.ts";

// Real parts: anvil with the forge-deployed contracts, the embedded IPFS store, node-llama-cpp on stories260K and
// two miners exactly as `cor miner` runs them. Miner A (under test) commits its batches under one root; miner B is
// honest too, with a test seam that holds back or drops its commit of chosen tasks (the other slot of each task),
// so the tests choose when a task of A's root becomes revealable, or that it never does.

const A = 2;
const B = 3;
let net: CorTestNetwork;
let store: ContentStore;
let root: string;
let deploymentFile: string;
let sessionId: number;
let nodeA = 0;
let nodeB = 0;
const stops = new Map<string, () => Promise<void>>();

/** Miner B's seam: tasks whose commit waits for `release`, and tasks it never commits. */
const held = new Map<bigint, Promise<void>>();
const dropped = new Set<bigint>();
const hooksB: MinerHooks = {
  result: async ({ taskId, text, tokens }) => {
    await held.get(taskId);
    return dropped.has(taskId) ? null : { text, tokens };
  },
};
const hold = (ids: bigint[]) => {
  let release = () => {};
  const gate = new Promise<void>((r) => {
    release = r;
  });
  for (const id of ids) held.set(id, gate);
  return release;
};

const minerA = async () => {
  const m = await startMiner({
    rpcUrl: net.rpcUrl,
    deployment: deploymentFile,
    privateKey: anvilKey(A),
    ipfsDir: join(root, "ipfs"),
    dataDir: join(root, "a"),
    // A wide window: the three tasks of a test land in one commit batch even on a loaded host.
    batchMs: "4000",
    concurrency: "3",
  });
  stops.set("a", m.stop);
  return m;
};

beforeAll(async () => {
  process.env.COR_LOG_LEVEL ??= "warn";
  root = mkdtempSync(join(tmpdir(), "cor-root-"));
  net = await setupNetwork();
  deploymentFile = join(root, "deployment.json");
  writeFileSync(deploymentFile, JSON.stringify(net.deployment));
  store = await createEmbeddedStore({ directory: join(root, "ipfs") }); // the miners' store (an embedded node each)
  await net.fund(A, parseCor("2000"));
  await net.fund(B, parseCor("2000"));
  nodeA = (await minerA()).nodeId;
  const b = await startMiner(
    {
      rpcUrl: net.rpcUrl,
      deployment: deploymentFile,
      privateKey: anvilKey(B),
      ipfsDir: join(root, "ipfs"),
      dataDir: join(root, "b"),
      concurrency: "3",
    },
    hooksB,
  );
  nodeB = b.nodeId;
  stops.set("b", b.stop);
  sessionId = await openSession(net, 1, {
    deposit: parseCor("10"),
    redundancy: 2,
    maxTokens: 16,
    retryLimit: 0,
    windows: { precommit: 60, reveal: 120, attest: 60 },
  });
}, 120_000);

afterAll(async () => {
  for (const stop of stops.values()) await stop().catch(() => undefined);
  await store?.close();
  await net?.stop();
  if (root) rmSync(root, { recursive: true, force: true });
});

const network = () => net.deployment.network;
const task = (taskId: bigint) => getTask(net.publicClient, { network: network(), taskId });
const waitFor = async <T>(fn: () => Promise<T | undefined>, what: string, timeoutMs = 45_000): Promise<T> => {
  const started = Date.now();
  for (;;) {
    const v = await fn();
    if (v !== undefined) return v;
    if (Date.now() - started > timeoutMs) throw new Error(`Timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 100));
  }
};
const waitStatus = (ids: bigint[], status: TaskStatusName) =>
  waitFor(
    async () => ((await Promise.all(ids.map(task))).every((t) => t.status === status) ? true : undefined),
    `tasks ${ids} ${status}`,
  );
const waitCommittedBy = (ids: bigint[], slot: number) =>
  waitFor(
    async () => ((await Promise.all(ids.map(task))).every((t) => t.slots[slot].committed) ? true : undefined),
    `slot ${slot} committed on ${ids}`,
  );

/** Three tasks of the R=2 session, each assigned to A (slot 0) and B (slot 1) in one transaction. */
const submitAssigned = async (n = 3) => {
  const { tasks } = await submitTasks(net.client(1), {
    network: network(),
    sessionId,
    store,
    tasks: Array.from({ length: n }, (_, i) => ({ prompt: `Once upon a time ${i} ${Math.random()}`, maxTokens: 8 })),
  });
  return tasks.map((t) => t.taskId);
};
const assign = (ids: bigint[]) =>
  assignTasks(net.client(1), {
    network: network(),
    assignments: ids.map((taskId) => ({ taskId, nodeIds: [nodeA, nodeB] })),
  });

/** A's TaskCommitted / TaskRevealed logs of `ids`, with the function of the transaction that emitted each. */
const logsOfA = async (eventName: "TaskCommitted" | "TaskRevealed", ids: bigint[]) => {
  const logs = await net.publicClient.getContractEvents({
    address: network(),
    abi: iCorNetworkAbi,
    eventName,
    args: { nodeId: nodeA },
    fromBlock: 0n,
  });
  const mine = logs.filter((l) => ids.includes(l.args.taskId as bigint));
  return Promise.all(
    mine.map(async (l) => {
      const tx = await net.publicClient.getTransaction({ hash: l.transactionHash });
      const call = decodeFunctionData({ abi: iCorNetworkAbi, data: tx.input });
      return { taskId: l.args.taskId as bigint, fn: call.functionName, args: call.args, log: l };
    }),
  );
};
const sorted = (ids: readonly bigint[]) => [...ids].sort((a, b) => (a < b ? -1 : 1));
const journalOfA = () => JSON.parse(readFileSync(join(root, "a", "journal.json"), "utf8")) as Record<string, Pending>;
const rootsOfA = () => JSON.parse(readFileSync(join(root, "a", "roots.json"), "utf8")) as Record<string, RootRecord>;

describe("miner commits batches under one root (commitRoot) and reveals them with revealRoot", () => {
  it("three tasks committed under one root are revealed through it, finalized, and paid", async () => {
    const before = await getNode(net.publicClient, { network: network(), nodeId: nodeA });
    const ids = await submitAssigned();
    await assign(ids);
    await waitStatus(ids, "Finalized");

    const commits = await logsOfA("TaskCommitted", ids);
    expect(commits.map((c) => c.fn)).toEqual(["commitRoot", "commitRoot", "commitRoot"]);
    const roots = new Set(commits.map((c) => (c.log.args as { commitment: Hex }).commitment));
    expect(roots.size).toBe(1); // one root for the three slots: the transaction lists them all
    expect(sorted(commits[0].args?.[0] as bigint[])).toEqual(ids); // (in the order the commits were ready)
    const reveals = await logsOfA("TaskRevealed", ids);
    expect(reveals.map((r) => r.fn)).toEqual(["revealRoot", "revealRoot", "revealRoot"]);

    const after = await getNode(net.publicClient, { network: network(), nodeId: nodeA });
    expect(after.accepted - before.accepted).toBe(3);
    expect(after.rewards).toBeGreaterThan(before.rewards);
    // Settled tasks leave the journals: the root record goes with its last task.
    await waitFor(async () => (ids.some((id) => journalOfA()[String(id)]) ? undefined : true), "journal cleared");
    expect(Object.keys(rootsOfA())).not.toContain([...roots][0]);
  });

  it("a miner restarted between commitRoot and the reveal phase reveals from its journals (root found on chain)", async () => {
    const ids = await submitAssigned();
    const release = hold(ids); // B's commits wait: the tasks stay Committing after A's commit
    await assign(ids);
    await waitCommittedBy(ids, 0);
    const record = await waitFor(async () => {
      const j = journalOfA();
      return ids.every((id) => j[String(id)]?.rooted === true) ? j : undefined;
    }, "A's journal: committed under the root");
    const rootHash = record[String(ids[0])].root as Hex;
    expect(sorted(rootsOfA()[rootHash].taskIds.map(BigInt))).toEqual(ids);

    await stops.get("a")?.();
    // As if A crashed after commitRoot was mined but before it journaled the outcome: the restarted miner must find
    // from the TaskCommitted logs that the root landed.
    const stripped = journalOfA();
    for (const id of ids) delete stripped[String(id)].rooted;
    writeFileSync(join(root, "a", "journal.json"), JSON.stringify(stripped));

    release(); // B commits: the tasks reach the reveal phase while A is down
    await waitStatus(ids, "Revealing");
    const before = await getNode(net.publicClient, { network: network(), nodeId: nodeA });
    await minerA();
    await waitStatus(ids, "Finalized");
    const reveals = await logsOfA("TaskRevealed", ids);
    expect(reveals.map((r) => r.fn)).toEqual(["revealRoot", "revealRoot", "revealRoot"]);
    expect(reveals.map((r) => r.args?.[0])).toEqual([rootHash, rootHash, rootHash]);
    const after = await getNode(net.publicClient, { network: network(), nodeId: nodeA });
    expect(after.accepted - before.accepted).toBe(3);
  });

  it("one task of the root never becomes revealable and fails: the others are revealed (its leaf given) and paid", async () => {
    const ids = await submitAssigned();
    const [t1, t2, t3] = ids;
    dropped.add(t2); // B never commits t2: it stays Committing until its slot expires, then fails (retry limit 0)
    const release = hold([t3]); // t3 reaches the reveal phase later than t1: reveal windows apart
    const before = await getNode(net.publicClient, { network: network(), nodeId: nodeA });
    await assign(ids);
    await waitStatus([t1], "Finalized");
    release();
    await waitStatus([t3], "Finalized");
    expect((await task(t2)).status).toBe("Committing");

    const commits = await logsOfA("TaskCommitted", ids);
    expect(new Set(commits.map((c) => (c.log.args as { commitment: Hex }).commitment)).size).toBe(1);
    const reveals = await logsOfA("TaskRevealed", ids);
    expect(reveals.map((r) => r.taskId)).toEqual([t1, t3]);
    for (const r of reveals) {
      expect(r.fn).toBe("revealRoot");
      const [, listed, , leaves] = r.args as unknown as readonly [Hex, bigint[], number[], Hex[]];
      expect(sorted(listed)).toEqual(ids); // the exact committed list, the unrevealed entries as leaves
      expect(leaves).toHaveLength(3);
    }
    const after = await getNode(net.publicClient, { network: network(), nodeId: nodeA });
    expect(after.accepted - before.accepted).toBe(2);

    // t2's precommit window passes; B's slot is expired and the task fails. A forgets it, and the root with it.
    await net.increaseTime(61);
    const { status } = await expireSlot(net.client(1), { network: network(), taskId: t2, slot: 1 });
    expect(status).toBe("Failed");
    await waitFor(async () => (journalOfA()[String(t2)] ? undefined : true), "A forgets the failed task");
    expect(Object.keys(rootsOfA())).toHaveLength(0);
  });
});
