import { afterAll, beforeAll, expect, test } from "vitest";
import { isContractError } from "../errors/contract.ts";
import { type CorTestNetwork, setupNetwork, tempContentStore } from "../testing/fixture.ts";
import { openSession, registerMiners } from "../testing/flow.ts";
import { parseCor } from "../utils/units.ts";
import { claimTask } from "./claimTask.ts";
import { getTask } from "./getTask.ts";
import { submitTask } from "./submitTask.ts";

let net: CorTestNetwork;
let store: Awaited<ReturnType<typeof tempContentStore>>;
let miners: number[];
beforeAll(async () => {
  net = await setupNetwork();
  store = await tempContentStore();
  miners = await registerMiners(net, [2, 3, 4]);
});
afterAll(async () => {
  await store?.close();
  await net?.stop();
});

const submit = async (sessionId: number) =>
  (await submitTask(net.client(1), { network: net.deployment.network, sessionId, prompt: "Once upon a time", store }))
    .taskId;

test("miners claim the vacant slots in order; the last claim starts the precommit phase", async () => {
  const { network } = net.deployment;
  const sessionId = await openSession(net, 1, {
    deposit: parseCor("1"),
    redundancy: 2,
    assignment: "Claim",
    maxTokens: 16,
  });
  const taskId = await submit(sessionId);

  const first = await claimTask(net.client(3), { network, taskId });
  expect(first).toMatchObject({ slot: 0, nodeId: miners[1], miners: [miners[1], 0], status: "Queued" });

  const second = await claimTask(net.client(2), { network, taskId });
  expect(second).toMatchObject({ slot: 1, nodeId: miners[0], miners: [miners[1], miners[0]], status: "Committing" });
  const task = await getTask(net.publicClient, { network, taskId });
  expect(task.slots.map((s) => s.nodeId)).toEqual([miners[1], miners[0]]);
  expect(task.status).toBe("Committing");
  expect(second.deadline).toBe(task.deadline);

  // Every slot taken: the third miner is refused with the task's phase, decoded by name.
  const late = await claimTask(net.client(4), { network, taskId }).catch((e) => e);
  expect(isContractError(late, "WrongPhase")).toBe(true);
});

test("a second claim by the same miner and a claim on a Router session revert with decoded errors", async () => {
  const { network } = net.deployment;
  const claimSession = await openSession(net, 1, {
    deposit: parseCor("1"),
    redundancy: 2,
    assignment: "Claim",
    maxTokens: 16,
  });
  const taskId = await submit(claimSession);
  await claimTask(net.client(2), { network, taskId });
  const twice = await claimTask(net.client(2), { network, taskId }).catch((e) => e);
  expect(isContractError(twice, "DuplicateMiner")).toBe(true);
  expect(twice.args.nodeId).toBe(miners[0]);

  const routerSession = await openSession(net, 1, { deposit: parseCor("1"), maxTokens: 16 });
  const routed = await claimTask(net.client(2), { network, taskId: await submit(routerSession) }).catch((e) => e);
  expect(isContractError(routed, "WrongAssignmentMode")).toBe(true);
});
