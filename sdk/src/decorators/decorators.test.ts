import { createPublicClient, http, publicActions } from "viem";
import { afterAll, beforeAll, expect, expectTypeOf, test } from "vitest";
import type { GetTaskReturnType } from "../actions/getTask.ts";
import { isContractError } from "../errors/contract.ts";
import { type CorTestNetwork, setupNetwork, tempContentStore } from "../testing/fixture.ts";
import { TaskStatus } from "../utils/enums.ts";
import { parseCor } from "../utils/units.ts";
import { corActions } from "./corActions.ts";
import { corWalletActions } from "./corWalletActions.ts";
import { NetworkRequiredError } from "./network.ts";

let net: CorTestNetwork;
let store: Awaited<ReturnType<typeof tempContentStore>>;
beforeAll(async () => {
  net = await setupNetwork();
  store = await tempContentStore();
});
afterAll(async () => {
  await store?.close();
  await net?.stop();
});

/** Anvil account `i` as a wallet client decorated with every COR action, the network bound once. */
const cor = (i: number) =>
  net
    .client(i)
    .extend(corActions({ network: net.deployment.network }))
    .extend(corWalletActions({ network: net.deployment.network }));

test("a whole task through decorated clients: register, open, submit, assign, commit, reveal, result", async () => {
  const { modelId } = net.deployment;
  const minerIds: number[] = [];
  for (const i of [2, 3]) {
    await net.fund(i, parseCor("100"));
    minerIds.push((await cor(i).registerNode({ role: "Miner", stake: parseCor("100"), models: [modelId] })).nodeId);
  }
  await net.fund(1, parseCor("1"));
  const owner = cor(1);
  const { sessionId } = await owner.createSession({ modelId, deposit: parseCor("1"), redundancy: 2, maxTokens: 16 });
  const { taskId, blockNumber } = await owner.submitTask({ sessionId, prompt: "Once upon a time", store });
  const statuses: string[] = [];
  const unwatch = owner.watchTask({ taskId, fromBlock: blockNumber, onStatus: (status) => statuses.push(status) });
  await owner.assignTask({ taskId, nodeIds: minerIds });

  const text = "there was a tiny robot";
  const commits = [await cor(2).commitResult({ taskId, result: text, tokens: 5 })];
  commits.push(await cor(3).commitResult({ taskId, result: text, tokens: 5 }));
  await cor(2).revealResult({ taskId, salt: commits[0].salt, result: text, tokens: 5, store });
  const last = await cor(3).revealResult({ taskId, salt: commits[1].salt, result: text, tokens: 5, store });
  expect(last.status).toBe("Finalized");

  const result = await owner.waitForTaskResult({ taskId, store, fromBlock: blockNumber, timeout: 60_000 });
  expect(result.text).toBe(text);
  expect((await owner.verifyResult({ taskId, result: text })).valid).toBe(true);
  const task = await owner.getTask({ taskId });
  expect(task.status).toBe("Finalized");
  expectTypeOf(task).toEqualTypeOf<GetTaskReturnType>();
  expect((await owner.getRawTask({ taskId })).status).toBe(TaskStatus.Finalized);
  expect((await owner.getRawSession({ sessionId })).owner).toBe(net.address(1));
  expect(await owner.getSessionCount({})).toBeGreaterThanOrEqual(sessionId);
  await expect.poll(() => statuses.at(-1), { timeout: 30_000 }).toBe("Finalized");
  unwatch();
});

test("decorated writes throw the same decoded errors, and a call can pass its own network and account", async () => {
  const owner = cor(1);
  const err = await owner.closeSession({ sessionId: 999 }).catch((e) => e);
  expect(isContractError(err)).toBe(true);
  const other = await owner.getNode({ nodeId: 1, network: net.deployment.network });
  expect(other.role).toBe("Miner");
  const { sessionId } = await owner.createSession({ modelId: net.deployment.modelId, deposit: 0n });
  // Account 1 signs for itself; account 4 is not the owner: the `account` parameter changes the signer.
  const refused = await owner.closeSession({ sessionId, account: net.client(4).account }).catch((e) => e);
  expect(isContractError(refused, "NotSessionOwner")).toBe(true);
});

test("without a bound network every call names it; leaving it out is a type error and a clear runtime error", async () => {
  const reader = createPublicClient({ chain: net.chain, transport: http(net.rpcUrl) }).extend(corActions());
  const params = await reader.getParams({ network: net.deployment.network });
  expect(params.minStake.miner).toBeGreaterThan(0n);
  const missing = await Promise.resolve()
    // @ts-expect-error network is required when corActions() was given none
    .then(() => reader.getParams({}))
    .catch((e) => e);
  expect(missing).toBeInstanceOf(NetworkRequiredError);
  expect(missing.shortMessage).toContain("getParams needs the network address");

  const writer = net.client(1).extend(publicActions).extend(corWalletActions());
  const none = await Promise.resolve()
    // @ts-expect-error network is required when corWalletActions() was given none
    .then(() => writer.requestExit({}))
    .catch((e) => e);
  expect(none).toBeInstanceOf(NetworkRequiredError);
  expectTypeOf(writer.claimTask).parameter(0).toHaveProperty("network");
});
