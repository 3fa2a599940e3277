import { afterAll, beforeAll, expect, test } from "vitest";
import { isContractError } from "../errors/contract.ts";
import { type CorTestNetwork, setupNetwork, tempContentStore } from "../testing/fixture.ts";
import { openSession, registerMiners, runTask } from "../testing/flow.ts";
import { parseCor } from "../utils/units.ts";
import { finalizeTask } from "./finalizeTask.ts";
import { getTask } from "./getTask.ts";

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

test("a Validating task without quorum after its attest deadline fails with NoQuorum", async () => {
  const { network } = net.deployment;
  const attestWindow = 40;
  const miners = await registerMiners(net, [2, 3]);
  const sessionId = await openSession(net, 1, {
    deposit: parseCor("2"),
    redundancy: 2,
    validation: "Embedding",
    maxTokens: 16,
    windows: { attest: attestWindow },
  });
  const { taskId } = await runTask(net, {
    owner: 1,
    sessionId,
    miners,
    store,
    play: [
      { index: 2, result: "one answer", tokens: 3 },
      { index: 3, result: "another answer", tokens: 4 },
    ],
  });

  const early = await finalizeTask(net.client(5), { network, taskId }).catch((e) => e);
  expect(isContractError(early, "DeadlineNotPassed")).toBe(true);
  expect(early.retryable).toBe(true);

  await net.increaseTime(attestWindow + 1);
  const { status, failed, finalized } = await finalizeTask(net.client(5), { network, taskId });
  expect(status).toBe("Failed");
  expect(failed?.reason).toBe("NoQuorum");
  expect(finalized).toBeUndefined();
  expect((await getTask(net.publicClient, { network, taskId })).status).toBe("Failed");

  const twice = await finalizeTask(net.client(5), { network, taskId }).catch((e) => e);
  expect(isContractError(twice, "WrongPhase")).toBe(true);
});
