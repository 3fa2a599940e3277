import { afterAll, beforeAll, expect, test } from "vitest";
import { type CorTestNetwork, setupNetwork } from "../testing/fixture.ts";
import { openSession } from "../testing/flow.ts";
import { parseCor } from "../utils/units.ts";
import { closeSession } from "./closeSession.ts";
import { depositToSession } from "./depositToSession.ts";
import { getSession } from "./getSession.ts";

let net: CorTestNetwork;
beforeAll(async () => {
  net = await setupNetwork();
});
afterAll(async () => {
  await net?.stop();
});

test("anyone can top up an open session; the free balance grows by exactly the amount", async () => {
  const { network } = net.deployment;
  const sessionId = await openSession(net, 1, { deposit: parseCor("2") });
  await net.fund(2, parseCor("3.25"));

  const { deposit } = await depositToSession(net.client(2), { network, sessionId, amount: parseCor("3.25") });

  expect(deposit).toBe(parseCor("5.25"));
  expect(await net.balanceOf(2)).toBe(0n);
  expect((await getSession(net.publicClient, { network, sessionId })).deposit).toBe(parseCor("5.25"));
});

test("a closed session takes no deposits (SessionNotOpen)", async () => {
  const { network } = net.deployment;
  const sessionId = await openSession(net, 1, { deposit: parseCor("1") });
  await closeSession(net.client(1), { network, sessionId });
  await net.fund(2, parseCor("1"));
  const err = await depositToSession(net.client(2), { network, sessionId, amount: parseCor("1") }).catch((e) => e);
  expect(err.errorName).toBe("SessionNotOpen");
  expect(err.shortMessage).toBe(`Session ${sessionId} is closed: create a new session with createSession().`);
});

test("an unknown session reverts with UnknownSession", async () => {
  await net.fund(2, parseCor("1"));
  const err = await depositToSession(net.client(2), {
    network: net.deployment.network,
    sessionId: 99,
    amount: parseCor("1"),
  }).catch((e) => e);
  expect(err.errorName).toBe("UnknownSession");
  expect(err.shortMessage).toBe("Session 99 does not exist.");
});
