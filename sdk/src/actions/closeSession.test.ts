import { afterAll, beforeAll, expect, test } from "vitest";
import { type CorTestNetwork, setupNetwork, tempContentStore } from "../testing/fixture.ts";
import { openSession } from "../testing/flow.ts";
import { parseCor } from "../utils/units.ts";
import { closeSession } from "./closeSession.ts";
import { getSession } from "./getSession.ts";
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

test("closing refunds the free balance now; open escrow stays in the session", async () => {
  const { network } = net.deployment;
  const sessionId = await openSession(net, 1, {
    deposit: parseCor("5"),
    redundancy: 2,
    pricePerToken: parseCor("0.01"),
    maxTokens: 50,
  });
  const { escrow } = await submitTask(net.client(1), { network, sessionId, prompt: "hello", store });
  expect(escrow).toBe(parseCor("1")); // 2 × 50 × 0.01

  const networkBefore = await net.balanceOf(network);
  const { refund } = await closeSession(net.client(1), { network, sessionId });

  expect(refund).toBe(parseCor("4"));
  expect(await net.balanceOf(1)).toBe(parseCor("4"));
  expect(await net.balanceOf(network)).toBe(networkBefore - parseCor("4"));
  expect(await getSession(net.publicClient, { network, sessionId })).toMatchObject({
    status: "Closed",
    deposit: 0n,
    escrowed: parseCor("1"),
  });
});

test("closing twice reverts with SessionNotOpen; a stranger gets NotSessionOwner", async () => {
  const { network } = net.deployment;
  const twice = await closeSession(net.client(1), { network, sessionId: 1 }).catch((e) => e);
  expect(twice.errorName).toBe("SessionNotOpen");
  const sessionId = await openSession(net, 1, { deposit: parseCor("1") });
  const stranger = await closeSession(net.client(2), { network, sessionId }).catch((e) => e);
  expect(stranger.errorName).toBe("NotSessionOwner");
  expect(stranger.shortMessage).toBe(
    `${net.address(2)} does not own session ${sessionId}: only its owner can withdraw, close, authorize or change the router.`,
  );
});
