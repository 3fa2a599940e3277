import { afterAll, beforeAll, expect, test } from "vitest";
import { iCorNetworkAbi } from "../generated/abis.ts";
import { type CorTestNetwork, setupNetwork, tempContentStore } from "../testing/fixture.ts";
import { openSession } from "../testing/flow.ts";
import { parseCor } from "../utils/units.ts";
import { authorizeSubmitter } from "./authorizeSubmitter.ts";
import { submitTask } from "./submitTask.ts";

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

test("an authorized account submits tasks the session pays for; revoking stops it", async () => {
  const { network } = net.deployment;
  const sessionId = await openSession(net, 1, { deposit: parseCor("1") });
  const isSubmitter = () =>
    net.publicClient.readContract({
      address: network,
      abi: iCorNetworkAbi,
      functionName: "isSubmitter",
      args: [sessionId, net.address(2)],
    });
  expect(await isSubmitter()).toBe(false);

  await authorizeSubmitter(net.client(1), { network, sessionId, submitter: net.address(2) });
  expect(await isSubmitter()).toBe(true);
  const { taskId } = await submitTask(net.client(2), { network, sessionId, prompt: "from a router", store });
  expect(taskId).toBe((BigInt(sessionId) << 32n) | 1n);

  await authorizeSubmitter(net.client(1), { network, sessionId, submitter: net.address(2), allowed: false });
  expect(await isSubmitter()).toBe(false);
  const err = await submitTask(net.client(2), { network, sessionId, prompt: "again", store }).catch((e) => e);
  expect(err.errorName).toBe("NotAuthorizedSubmitter");
});

test("only the owner can authorize", async () => {
  const err = await authorizeSubmitter(net.client(3), {
    network: net.deployment.network,
    sessionId: 1,
    submitter: net.address(3),
  }).catch((e) => e);
  expect(err.errorName).toBe("NotSessionOwner");
});
