import { afterAll, beforeAll, expect, test } from "vitest";
import { isContractError } from "../errors/contract.ts";
import { type CorTestNetwork, setupNetwork, tempContentStore } from "../testing/fixture.ts";
import { openSession, registerMiners, runTask } from "../testing/flow.ts";
import { parseCor } from "../utils/units.ts";
import { attest } from "./attest.ts";
import { getParams } from "./getParams.ts";
import { getTask } from "./getTask.ts";
import { registerNode } from "./registerNode.ts";

let net: CorTestNetwork;
let store: Awaited<ReturnType<typeof tempContentStore>>;
let miners: number[];
let validatorId: number;
let sessionId: number;
beforeAll(async () => {
  net = await setupNetwork();
  store = await tempContentStore();
  miners = await registerMiners(net, [2, 3, 4, 5]);
  const stake = (await getParams(net.publicClient, { network: net.deployment.network })).minStake.validator;
  await net.fund(6, stake);
  ({ nodeId: validatorId } = await registerNode(net.client(6), {
    network: net.deployment.network,
    role: "Validator",
    stake,
  }));
  sessionId = await openSession(net, 1, {
    deposit: parseCor("2"),
    redundancy: 2,
    validation: "Embedding",
    quorum: 1,
    maxTokens: 16,
  });
});
afterAll(async () => {
  await store?.close();
  await net?.stop();
});

/**
 * A task whose two miners (anvil accounts `pair`, node ids miners[pair - 2]) revealed different results: it waits
 * for validators. A rejected miner is slashed, so each test uses its own pair.
 */
const validating = async (pair: [number, number]) => {
  const { taskId, reveals } = await runTask(net, {
    owner: 1,
    sessionId,
    miners: pair.map((i) => miners[i - 2]),
    store,
    play: [
      { index: pair[0], result: "a cat sat on the mat", tokens: 6 },
      { index: pair[1], result: "a dog ran in the park", tokens: 6 },
    ],
  });
  expect(reveals.at(-1)?.status).toBe("Validating");
  return taskId;
};

test("the quorum-th attestation settles the task on the validator's scores", async () => {
  const { network } = net.deployment;
  const taskId = await validating([2, 3]);
  const {
    validatorId: by,
    status,
    finalized,
    failed,
  } = await attest(net.client(6), {
    network,
    taskId,
    scores: [9500, 1000],
  });
  expect(by).toBe(validatorId);
  expect(status).toBe("Finalized");
  expect(failed).toBeUndefined();
  expect(finalized).toMatchObject({ winnerSlot: 0, winnerNodeId: miners[0] });
  expect((await getTask(net.publicClient, { network, taskId })).status).toBe("Finalized");
});

test("bad attestations revert with decoded errors and leave the task Validating", async () => {
  const { network } = net.deployment;
  const taskId = await validating([4, 5]);
  const length = await attest(net.client(6), { network, taskId, scores: [9500] }).catch((e) => e);
  expect(isContractError(length, "ScoresLengthMismatch")).toBe(true);
  const range = await attest(net.client(6), { network, taskId, scores: [10001, 0] }).catch((e) => e);
  expect(isContractError(range, "ScoreOutOfRange")).toBe(true);
  const miner = await attest(net.client(2), { network, taskId, scores: [9500, 0] }).catch((e) => e);
  expect(isContractError(miner, "NotValidator")).toBe(true);
  expect(miner.args.caller).toBe(net.address(2));
  expect((await getTask(net.publicClient, { network, taskId })).status).toBe("Validating");
});
