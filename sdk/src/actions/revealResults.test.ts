import { afterAll, beforeAll, expect, test } from "vitest";
import { contentHash } from "../protocol.ts";
import { type CorTestNetwork, setupNetwork, tempContentStore } from "../testing/fixture.ts";
import { openSession, registerMiners, submitAssigned } from "../testing/flow.ts";
import { StoreRequiredError } from "../utils/batch.ts";
import { parseCor } from "../utils/units.ts";
import { type CommitResultsReturnType, commitResults } from "./commitResults.ts";
import { getTask } from "./getTask.ts";
import { revealResults } from "./revealResults.ts";

let net: CorTestNetwork;
let store: Awaited<ReturnType<typeof tempContentStore>>;
let miners: number[];
let sessionId: number;
beforeAll(async () => {
  net = await setupNetwork();
  store = await tempContentStore();
  miners = await registerMiners(net, [2, 3]);
  sessionId = await openSession(net, 1, {
    deposit: parseCor("5"),
    redundancy: 2,
    maxTokens: 32,
    pricePerToken: parseCor("0.01"),
  });
});
afterAll(async () => {
  await store?.close();
  await net?.stop();
});

const texts = ["alpha beta", "gamma"];
/** Two tasks, both miners committed to `texts` in one batch each: returns the commits per miner. */
const committedTasks = async () => {
  const { network } = net.deployment;
  const ids = await submitAssigned(net, { sessionId, store, prompts: texts.map((t) => `prompt for ${t}`), miners });
  const out: CommitResultsReturnType["commits"][] = [];
  for (const i of [2, 3]) {
    const { commits } = await commitResults(net.client(i), {
      network,
      commits: ids.map((taskId, k) => ({ taskId, result: texts[k], tokens: 2 })),
    });
    out.push(commits);
  }
  return { ids, commits: out };
};

test("revealResults reveals several tasks in one transaction; the last batch finalizes both", async () => {
  const { network } = net.deployment;
  const { ids, commits } = await committedTasks();
  const first = await revealResults(net.client(2), {
    network,
    store,
    reveals: commits[0].map((c, k) => ({ taskId: c.taskId, salt: c.salt, slot: c.slot, result: texts[k], tokens: 2 })),
  });
  expect(first.reveals.map((r) => r.status)).toEqual(["Revealing", "Revealing"]);
  expect(first.reveals[0].resultHash).toBe(contentHash(texts[0]));

  const last = await revealResults(net.client(3), {
    network,
    reveals: commits[1].map((c, k) => ({
      taskId: c.taskId,
      salt: c.salt,
      resultHash: contentHash(texts[k]),
      resultCid: first.reveals[k].resultCid,
      tokens: 2,
    })),
  });
  expect(last.reveals.map((r) => r.status)).toEqual(["Finalized", "Finalized"]);
  expect(last.reveals[1].finalized?.resultHash).toBe(contentHash(texts[1]));
  expect(last.reveals[0].finalized?.paid).toBe(parseCor("0.04"));
  for (const taskId of ids) expect((await getTask(net.publicClient, { network, taskId })).status).toBe("Finalized");
});

test("all or nothing: one reveal that does not match its commitment reverts the batch", async () => {
  const { network } = net.deployment;
  const { ids, commits } = await committedTasks();
  const err = await revealResults(net.client(2), {
    network,
    store,
    reveals: [
      { taskId: ids[0], salt: commits[0][0].salt, result: texts[0], tokens: 2 },
      { taskId: ids[1], salt: commits[0][1].salt, result: "changed my mind", tokens: 2 },
    ],
  }).catch((e) => e);
  expect(err.errorName).toBe("CommitmentMismatch");
  expect((await getTask(net.publicClient, { network, taskId: ids[0] })).slots[0].revealed).toBe(false);
  await expect(
    revealResults(net.client(2), {
      network,
      reveals: [{ taskId: ids[0], salt: commits[0][0].salt, result: "x", tokens: 1 }],
    }),
  ).rejects.toBeInstanceOf(StoreRequiredError);
});
