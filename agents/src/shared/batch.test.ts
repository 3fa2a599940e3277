import { contentHash, getTask, iCorNetworkAbi, parseCor, type RootBatch } from "@cor-network/sdk";
import {
  anvilKey,
  type CorTestNetwork,
  openSession,
  registerMiners,
  setupNetwork,
  submitAssigned,
  tempContentStore,
} from "@cor-network/sdk/testing";
import { decodeFunctionData, type Hex, keccak256, toHex } from "viem";
import { afterAll, beforeAll, expect, test } from "vitest";
import { createResultBatchers, type ResultBatchersOptions, type RevealItem } from "./batch.ts";
import { createClients, createTxSender } from "./chain.ts";
import { revertName } from "./errors.ts";
import { createLogger } from "./logger.ts";

// Real parts: anvil with the forge-deployed contracts, the agents' own TxSender (nonces), and the miner's batchers
// over commitRoot/revealRoot (and commitMany/revealMany as the baseline).
let net: CorTestNetwork;
let store: Awaited<ReturnType<typeof tempContentStore>>;
let sessionId: number;
let minerNode: number;
const logger = createLogger("test", {});
beforeAll(async () => {
  net = await setupNetwork();
  store = await tempContentStore();
  [minerNode] = await registerMiners(net, [2]);
  sessionId = await openSession(net, 1, { deposit: parseCor("5"), redundancy: 1, maxTokens: 16 });
});
afterAll(async () => {
  await store?.close();
  await net?.stop();
});

/** n Queued tasks assigned to the one miner (R=1). */
const assigned = (n: number) =>
  submitAssigned(net, {
    sessionId,
    store,
    prompts: Array.from({ length: n }, (_, i) => `p${i} ${Math.random()}`),
    miners: [minerNode],
  });
/** The miner's batchers; `roots` collects every root batch the commit batcher journals before sending it. */
const minerBatchers = async (windowMs: number, options: ResultBatchersOptions = {}) => {
  const clients = await createClients(net.rpcUrl, anvilKey(2) as Hex, net.deployment);
  const roots: { batch: RootBatch; cids: string[] }[] = [];
  const batchers = createResultBatchers(createTxSender(clients, logger), windowMs, logger, {
    beforeRoot: (batch, cids) => roots.push({ batch, cids }),
    ...options,
  });
  return { ...batchers, roots };
};
const salt = (i: bigint) => keccak256(toHex(`salt-${i}`));
const commitOf = (taskId: bigint, text: string) => ({
  taskId,
  slot: 0,
  resultHash: contentHash(text),
  tokens: 1,
  salt: salt(taskId),
  resultCid: `bafy-${taskId}`,
});
const revealOf = (taskId: bigint, text: string, root?: { batch: RootBatch; cids: string[] }): RevealItem => ({
  taskId,
  slot: 0,
  resultHash: contentHash(text),
  salt: salt(taskId),
  tokens: 1,
  resultCid: `bafy-${taskId}`,
  ...(root ? { root: { ...root, index: root.batch.taskIds.indexOf(taskId) } } : {}),
});
const functionOf = async (hash: Hex) => {
  const tx = await net.publicClient.getTransaction({ hash });
  return decodeFunctionData({ abi: iCorNetworkAbi, data: tx.input }).functionName;
};
const gasOf = async (hashes: Hex[]) => {
  let gas = 0n;
  for (const hash of new Set(hashes)) gas += (await net.publicClient.getTransactionReceipt({ hash })).gasUsed;
  return gas;
};
const statusesOf = (ids: bigint[]) =>
  Promise.all(
    ids.map(async (taskId) => (await getTask(net.publicClient, { network: net.deployment.network, taskId })).status),
  );

test("commits ready within the window go out as one commitRoot, journaled first; their reveals as one revealRoot", async () => {
  const ids = await assigned(3);
  const batch = await minerBatchers(200);
  const commits = await Promise.all(ids.map((id) => batch.commits.add(commitOf(id, "ok"))));
  expect(new Set(commits.map((c) => c.hash)).size).toBe(1);
  expect(await functionOf(commits[0].hash)).toBe("commitRoot");
  expect(batch.roots).toHaveLength(1);
  const [root] = batch.roots;
  expect(commits.map((c) => c.root)).toEqual(ids.map(() => root.batch.root));
  expect(root.batch.taskIds).toEqual(ids);
  expect(root.cids).toEqual(ids.map((id) => `bafy-${id}`));
  expect(await statusesOf(ids)).toEqual(["Revealing", "Revealing", "Revealing"]);

  // The same reveal asked for twice (after the commit and from the event) rides along once, not reverting the batch.
  const twice = [...ids, ids[0]];
  const revealHashes = await Promise.all(twice.map((id) => batch.reveals.add(revealOf(id, "ok", root))));
  expect(new Set(revealHashes).size).toBe(1);
  expect(await functionOf(revealHashes[0])).toBe("revealRoot");
  expect(await statusesOf(ids)).toEqual(["Finalized", "Finalized", "Finalized"]);
});

test("one batch of reveals spanning two roots and single commits: one transaction per root, one revealMany", async () => {
  const ids = await assigned(6);
  const batch = await minerBatchers(150);
  // Two commit windows → two roots; then two single commits (window 0 = each alone).
  const first = await Promise.all(ids.slice(0, 2).map((id) => batch.commits.add(commitOf(id, "ok"))));
  const second = await Promise.all(ids.slice(2, 4).map((id) => batch.commits.add(commitOf(id, "ok"))));
  const singles = await minerBatchers(0);
  const plain = await Promise.all(ids.slice(4).map((id) => singles.commits.add(commitOf(id, "ok"))));
  expect(first[0].root).not.toBe(second[0].root);
  expect(plain.map((c) => c.root)).toEqual([undefined, undefined]);

  const [r1, r2] = batch.roots;
  const items = ids.map((id, k) => revealOf(id, "ok", k < 2 ? r1 : k < 4 ? r2 : undefined));
  const hashes = await Promise.all(items.map((item) => batch.reveals.add(item)));
  expect(hashes[0]).toBe(hashes[1]);
  expect(hashes[2]).toBe(hashes[3]);
  expect(hashes[4]).toBe(hashes[5]);
  expect(new Set(hashes).size).toBe(3);
  expect(await Promise.all([hashes[0], hashes[2], hashes[4]].map(functionOf))).toEqual([
    "revealRoot",
    "revealRoot",
    "revealMany",
  ]);
  expect(new Set(await statusesOf(ids))).toEqual(new Set(["Finalized"]));
});

test("a root entry that is no longer revealable fails its batch; the others are still revealed, each through the root", async () => {
  const ids = await assigned(3);
  const batch = await minerBatchers(200);
  await Promise.all(ids.map((id) => batch.commits.add(commitOf(id, "ok"))));
  const [root] = batch.roots;
  // Entry 1 is revealed already (e.g. by an attempt before a restart): revealing it again reverts AlreadyRevealed.
  const early = await batch.reveals.add(revealOf(ids[1], "ok", root));
  expect(await functionOf(early)).toBe("revealRoot");
  expect(await statusesOf(ids)).toEqual(["Revealing", "Finalized", "Revealing"]);

  const outcomes = await Promise.allSettled(ids.map((id) => batch.reveals.add(revealOf(id, "ok", root))));
  expect(outcomes.map((o) => o.status)).toEqual(["fulfilled", "rejected", "fulfilled"]);
  expect(revertName((outcomes[1] as PromiseRejectedResult).reason)).toBe("WrongPhase"); // finalized meanwhile
  const [a, c] = [outcomes[0], outcomes[2]] as PromiseFulfilledResult<Hex>[];
  expect(a.value).not.toBe(c.value); // each alone after the batch failed, the others' leaves given
  expect(await statusesOf(ids)).toEqual(["Finalized", "Finalized", "Finalized"]);
});

test("a commit batch with one bad item falls back to single commits: the others land, only the bad one fails", async () => {
  const ids = await assigned(3);
  const batch = await minerBatchers(200);
  const bad = { ...commitOf(ids[1], "ok"), slot: 1 }; // R=1: slot 1 is nobody's (NotAssigned)
  const outcomes = await Promise.allSettled([
    batch.commits.add(commitOf(ids[0], "ok")),
    batch.commits.add(bad),
    batch.commits.add(commitOf(ids[2], "ok")),
  ]);
  expect(outcomes.map((o) => o.status)).toEqual(["fulfilled", "rejected", "fulfilled"]);
  expect(revertName((outcomes[1] as PromiseRejectedResult).reason)).toBe("NotAssigned");
  const [a, c] = (outcomes as PromiseFulfilledResult<{ hash: Hex; root?: Hex }>[]).filter((o) => o.value);
  expect(a.value.hash).not.toBe(c.value.hash); // sent alone after the batch failed
  expect([a.value.root, c.value.root]).toEqual([undefined, undefined]); // plain commits: revealed with reveal
  expect(await statusesOf(ids)).toEqual(["Revealing", "Committing", "Revealing"]);
  await batch.commits.add(commitOf(ids[1], "ok")); // the good commit of the bad item: every task settles
  const revealed = await Promise.all(ids.map((id) => batch.reveals.add(revealOf(id, "ok"))));
  expect(await functionOf(revealed[0])).toBe("revealMany");
  expect(new Set(await statusesOf(ids))).toEqual(new Set(["Finalized"])); // (the miner's offer capacity is 8 tasks)
});

test("COR_BATCH_MS=0 sends every item alone", async () => {
  const ids = await assigned(2);
  const batch = await minerBatchers(0);
  const commits = await Promise.all(ids.map((id) => batch.commits.add(commitOf(id, "ok"))));
  expect(new Set(commits.map((c) => c.hash)).size).toBe(2);
  expect(await functionOf(commits[0].hash)).toBe("commit");
  const reveals = await Promise.all(ids.map((id) => batch.reveals.add(revealOf(id, "ok"))));
  expect(new Set(reveals).size).toBe(2);
  expect(await functionOf(reveals[0])).toBe("reveal");
});

test("gas at R=3: 8 tasks through commitRoot/revealRoot cost less than through commitMany/revealMany (same run)", async () => {
  const n = 8;
  const others = await registerMiners(net, [3, 4]);
  const session = await openSession(net, 1, { deposit: parseCor("5"), redundancy: 3, maxTokens: 16 });
  const batchersOf = (roots: boolean) =>
    Promise.all(
      [2, 3, 4].map(async (i) => {
        const clients = await createClients(net.rpcUrl, anvilKey(i) as Hex, net.deployment);
        const journaled: { batch: RootBatch; cids: string[] }[] = [];
        const b = createResultBatchers(createTxSender(clients, logger), 50, logger, {
          roots,
          beforeRoot: (batch, cids) => journaled.push({ batch, cids }),
        });
        return { ...b, journaled };
      }),
    );
  /** Gas of the miners' commits and reveals per task; the reveals in `calls` rounds (windows that opened apart). */
  const run = async (roots: boolean, calls: number) => {
    const ids = await submitAssigned(net, {
      sessionId: session,
      store,
      prompts: Array.from({ length: n }, (_, i) => `gas ${i} ${Math.random()}`),
      miners: [minerNode, ...others],
    });
    const miners = await batchersOf(roots);
    const hashes: Hex[] = [];
    for (const [slot, m] of miners.entries()) {
      const commits = await Promise.all(ids.map((id) => m.commits.add({ ...commitOf(id, "ok"), slot })));
      expect(new Set(commits.map((c) => c.hash)).size).toBe(1);
      hashes.push(commits[0].hash);
    }
    for (let k = 0; k < n; k += n / calls) {
      for (const [slot, m] of miners.entries()) {
        const part = ids.slice(k, k + n / calls).map((id) => ({ ...revealOf(id, "ok", m.journaled[0]), slot }));
        const reveals = await Promise.all(part.map((item) => m.reveals.add(item)));
        expect(new Set(reveals).size).toBe(1);
        hashes.push(reveals[0]);
      }
    }
    expect(new Set(await statusesOf(ids))).toEqual(new Set(["Finalized"]));
    return Math.round(Number(await gasOf(hashes)) / n);
  };
  const many = await run(false, 1);
  const root = await run(true, 1);
  const many4 = await run(false, 4);
  const root4 = await run(true, 4);
  logger.info(
    { many, root, many4, root4 },
    `Gas per task of the 3 miners' commits + reveals (R=3, 8 tasks, incl. 21k per tx): revealed in one call each: commitMany/revealMany ${many}, commitRoot/revealRoot ${root} (${(root / many).toFixed(3)}x); revealed in 4 calls each: ${many4} vs ${root4} (${(root4 / many4).toFixed(3)}x)`,
  );
  expect(root).toBeLessThan(many);
  expect(root4).toBeLessThan(many4);
});
