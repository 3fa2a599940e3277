import { concat, type Hex, keccak256, parseAbi, toHex, zeroHash } from "viem";
import { afterAll, beforeAll, expect, test } from "vitest";
import { getTask } from "../actions/getTask.ts";
import { contentHash } from "../protocol.ts";
import { type CorTestNetwork, setupNetwork, tempContentStore } from "../testing/fixture.ts";
import { openSession, registerMiners, submitAssigned } from "../testing/flow.ts";
import { commitmentOf } from "./hash.ts";
import { merkleRootOf, type RootEntry, revealRootArgs, rootBatchOf } from "./merkle.ts";
import { parseCor } from "./units.ts";

// The two entry points and their errors, written from ITaskManager (sdk/src/generated/abis.ts is regenerated from
// forge's output by `npm run abis`).
const rootAbi = parseAbi([
  "function commitRoot(uint256[] taskIds, uint8[] slots, bytes32 root)",
  "struct RootReveal { bytes32 resultHash; bytes32 salt; uint32 tokens; string resultCid; }",
  "function revealRoot(bytes32 root, uint256[] taskIds, uint8[] slots, bytes32[] leaves, RootReveal[] reveals)",
  "error RootMismatch(bytes32 root)",
  "error RootNotCommitted(bytes32 root)",
  "error AlreadyCommitted(uint256 taskId, uint8 slot)",
]);

const h = (s: string): Hex => keccak256(toHex(s));

test("merkleRootOf: a positional tree padded with zero leaves", () => {
  const [a, b, c] = [h("a"), h("b"), h("c")];
  expect(merkleRootOf([a])).toBe(a);
  expect(merkleRootOf([a, b])).toBe(keccak256(concat([a, b])));
  expect(merkleRootOf([a, b, c])).toBe(
    keccak256(concat([keccak256(concat([a, b])), keccak256(concat([c, zeroHash]))])),
  );
  // Positions matter: the same leaves in another order are another root.
  expect(merkleRootOf([b, a])).not.toBe(merkleRootOf([a, b]));
  expect(() => merkleRootOf([])).toThrow("at least one entry");
});

test("rootBatchOf / revealRootArgs refuse what the contract would refuse", () => {
  const e: RootEntry = { taskId: 1n, slot: 0, resultHash: h("r"), tokens: 1, salt: h("s") };
  expect(() => rootBatchOf(`0x${"11".repeat(20)}`, [e, e])).toThrow("listed twice");
  const batch = rootBatchOf(`0x${"11".repeat(20)}`, [e]);
  expect(batch.root).toBe(commitmentOf(1n, `0x${"11".repeat(20)}`, h("r"), 1, h("s")));
  expect(() => revealRootArgs(batch, ["cid"], [1])).toThrow("no entry 1");
  expect(() => revealRootArgs(batch, [], [0])).toThrow("no result CID");
});

let net: CorTestNetwork;
let store: Awaited<ReturnType<typeof tempContentStore>>;
let taskIds: bigint[];
beforeAll(async () => {
  net = await setupNetwork();
  store = await tempContentStore();
  const [miner] = await registerMiners(net, [2]);
  const sessionId = await openSession(net, 1, { deposit: parseCor("5"), redundancy: 1, maxTokens: 32 });
  taskIds = await submitAssigned(net, { sessionId, store, prompts: ["a", "b", "c"], miners: [miner] });
}, 120_000);
afterAll(async () => {
  await store?.close();
  await net?.stop();
});

test("a root built by the SDK is accepted by CorNetwork: commitRoot, then revealRoot in two calls", async () => {
  const { network } = net.deployment;
  const miner = net.client(2);
  const entries: RootEntry[] = taskIds.map((taskId, k) => ({
    taskId,
    slot: 0,
    resultHash: contentHash(`result ${k}`),
    tokens: 3 + k,
    salt: h(`salt ${k}`),
  }));
  const batch = rootBatchOf(net.address(2), entries);
  const commit = await miner.writeContract({
    address: network,
    abi: rootAbi,
    functionName: "commitRoot",
    args: [batch.taskIds, batch.slots, batch.root],
  });
  expect((await net.publicClient.waitForTransactionReceipt({ hash: commit })).status).toBe("success");
  for (const taskId of taskIds) {
    const t = await getTask(net.publicClient, { network, taskId });
    expect(t.status).toBe("Revealing");
  }
  const cids = await Promise.all(entries.map(async (_, k) => (await store.add(`result ${k}`)).cid));

  // A token count other than the committed one does not rebuild the root.
  const tampered = revealRootArgs(batch, cids, [0, 2]);
  tampered[4][1] = { ...tampered[4][1], tokens: tampered[4][1].tokens + 1 };
  await expect(
    net.publicClient.simulateContract({
      account: net.address(2),
      address: network,
      abi: rootAbi,
      functionName: "revealRoot",
      args: tampered,
    }),
  ).rejects.toThrow(/RootMismatch/);

  for (const indexes of [[0, 2], [1]]) {
    const hash = await miner.writeContract({
      address: network,
      abi: rootAbi,
      functionName: "revealRoot",
      args: revealRootArgs(batch, cids, indexes),
    });
    expect((await net.publicClient.waitForTransactionReceipt({ hash })).status).toBe("success");
  }
  for (const [k, taskId] of taskIds.entries()) {
    const t = await getTask(net.publicClient, { network, taskId });
    expect(t.status).toBe("Finalized");
    expect(t.resultHash).toBe(entries[k].resultHash);
  }
}, 120_000);
