import { afterAll, beforeAll, describe, expect, test } from "vitest";
import { ResultVerificationError, TaskFailedError, TimeoutError } from "../errors/task.ts";
import { iCorNetworkAbi } from "../generated/abis.ts";
import { contentHash } from "../protocol.ts";
import { type CorTestNetwork, setupNetwork, tempContentStore } from "../testing/fixture.ts";
import { openSession, playMiners, registerMiners } from "../testing/flow.ts";
import type { TaskStatusName } from "../utils/enums.ts";
import { parseCor } from "../utils/units.ts";
import { assignTask } from "./assignTask.ts";
import { getSession } from "./getSession.ts";
import { submitTask } from "./submitTask.ts";
import { waitForTaskResult } from "./waitForTaskResult.ts";

let net: CorTestNetwork;
let store: Awaited<ReturnType<typeof tempContentStore>>;
let miners: number[];
const price = parseCor("0.001");
beforeAll(async () => {
  net = await setupNetwork();
  store = await tempContentStore();
  miners = await registerMiners(net, [2, 3, 4]);
});
afterAll(async () => {
  await store?.close();
  await net?.stop();
});

// Direct mode, no router and no agents: the client submits and assigns, the test plays the miners.
describe("waitForTaskResult (direct mode)", () => {
  test("R=1: downloads the winner's result from IPFS and verifies it against the chain", async () => {
    const { network } = net.deployment;
    const sessionId = await openSession(net, 1, { deposit: parseCor("1"), pricePerToken: price, maxTokens: 64 });
    const { taskId, blockNumber } = await submitTask(net.client(1), {
      network,
      sessionId,
      prompt: "Once upon a time",
      store,
    });
    const statuses: TaskStatusName[] = [];
    const waiting = waitForTaskResult(net.client(1), {
      network,
      taskId,
      store,
      fromBlock: blockNumber,
      timeout: 20_000,
      pollingInterval: 50,
      onStatus: (s) => statuses.push(s),
    });

    await assignTask(net.client(1), { network, taskId, nodeIds: [miners[0]] });
    const text = "Once upon a time, there was a little girl named Lily.";
    await playMiners(net, { taskId, store, miners: [{ index: 2, result: text, tokens: 12 }] });
    const result = await waiting;

    expect(result).toMatchObject({
      taskId,
      text,
      resultHash: contentHash(text),
      winnerNodeId: miners[0],
      winnerSlot: 0,
      tokens: 12,
      cost: 12n * price,
      refund: 64n * price - 12n * price,
    });
    expect(new TextDecoder().decode(result.bytes)).toBe(text);
    expect(result.resultCid).toMatch(/^baf/);
    expect(statuses.at(-1)).toBe("Finalized");
    expect(statuses).toContain("Queued");
    const session = await getSession(net.publicClient, { network, sessionId });
    expect(session).toMatchObject({ deposit: parseCor("1") - 12n * price, escrowed: 0n });
  });

  test("R=3 fast path: three equal results finalize at the last reveal without validators", async () => {
    const { network } = net.deployment;
    const sessionId = await openSession(net, 1, {
      deposit: parseCor("1"),
      redundancy: 3,
      pricePerToken: price,
      maxTokens: 32,
    });
    const { taskId, blockNumber } = await submitTask(net.client(1), { network, sessionId, prompt: "Lily", store });
    await assignTask(net.client(1), { network, taskId, nodeIds: miners });
    const text = "Lily liked to play in the park.";
    const reveals = await playMiners(net, {
      taskId,
      store,
      miners: [
        // Identical results carry identical committed token counts (a different count is a different result).
        { index: 2, result: text, tokens: 8 },
        { index: 3, result: text, tokens: 8 },
        { index: 4, result: text, tokens: 8 },
      ],
    });
    expect(reveals.map((r) => r.status)).toEqual(["Revealing", "Revealing", "Finalized"]);

    // Already settled: the wait returns from the logs at once.
    const result = await waitForTaskResult(net.publicClient, { network, taskId, store, fromBlock: blockNumber });
    expect(result).toMatchObject({ text, winnerSlot: 0, winnerNodeId: miners[0], tokens: 8 });
    expect(result.cost).toBe((8n + 8n + 8n) * price);
    expect(result.fees.validator).toBe(0n);
  });

  test("a result whose bytes do not match the finalized hash is rejected (ResultVerificationError)", async () => {
    const { network } = net.deployment;
    const sessionId = await openSession(net, 1, { deposit: parseCor("1"), pricePerToken: price, maxTokens: 32 });
    const { taskId, blockNumber } = await submitTask(net.client(1), { network, sessionId, prompt: "tamper", store });
    await assignTask(net.client(1), { network, taskId, nodeIds: [miners[1]] });
    // The miner commits to one text but serves other bytes under the CID it reveals.
    await playMiners(net, {
      taskId,
      store,
      miners: [{ index: 3, result: "the committed text", upload: "something else entirely", tokens: 4 }],
    });

    const err = await waitForTaskResult(net.publicClient, { network, taskId, store, fromBlock: blockNumber }).catch(
      (e) => e,
    );
    expect(err).toBeInstanceOf(ResultVerificationError);
    expect(err.expectedHash).toBe(contentHash("the committed text"));
    expect(err.actualHash).toBe(contentHash("something else entirely"));
    expect(err.shortMessage).toContain("do not trust it");
  });

  test("a task that fails throws TaskFailedError with the FailReason", async () => {
    const { network } = net.deployment;
    const sessionId = await openSession(net, 1, {
      deposit: parseCor("1"),
      pricePerToken: price,
      maxTokens: 32,
      windows: { precommit: 5 },
    });
    const { taskId, blockNumber, escrow } = await submitTask(net.client(1), { network, sessionId, prompt: "x", store });
    // Nobody takes the task: past the deadline anyone may expire the vacant slot, which fails the task.
    await net.increaseTime(6);
    const client = net.client(9);
    await client.waitForTransactionReceipt({
      hash: await client.writeContract({
        address: network,
        abi: iCorNetworkAbi,
        functionName: "expire",
        args: [taskId, 0],
      }),
    });

    const err = await waitForTaskResult(net.publicClient, { network, taskId, store, fromBlock: blockNumber }).catch(
      (e) => e,
    );
    expect(err).toBeInstanceOf(TaskFailedError);
    expect(err.reason).toBe("NoMiners");
    expect(err.refund).toBe(escrow);
    expect(err.shortMessage).toBe(
      `Task ${taskId} failed (NoMiners): no eligible miner took a slot before the deadline. Its escrow of 0.032 COR went back to session ${sessionId}.`,
    );
  });

  test("gives up with a TimeoutError that says where the task was", async () => {
    const { network } = net.deployment;
    const sessionId = await openSession(net, 1, { deposit: parseCor("1"), pricePerToken: price, maxTokens: 8 });
    const { taskId, blockNumber } = await submitTask(net.client(1), { network, sessionId, prompt: "slow", store });
    const err = await waitForTaskResult(net.publicClient, {
      network,
      taskId,
      store,
      fromBlock: blockNumber,
      timeout: 300,
      pollingInterval: 50,
    }).catch((e) => e);
    expect(err).toBeInstanceOf(TimeoutError);
    expect(err.retryable).toBe(true);
    expect(err.shortMessage).toBe(`Timed out after 300 ms waiting for task ${taskId} to settle.`);
    expect(err.details).toBe("last status seen: Queued");
  });
});
