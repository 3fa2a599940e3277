import { afterAll, beforeAll, expect, test } from "vitest";
import { type CorTestNetwork, setupNetwork } from "../testing/fixture.ts";
import { openSession } from "../testing/flow.ts";
import { parseCor } from "../utils/units.ts";
import { getSession } from "./getSession.ts";
import { withdrawDeposit } from "./withdrawDeposit.ts";

let net: CorTestNetwork;
beforeAll(async () => {
  net = await setupNetwork();
});
afterAll(async () => {
  await net?.stop();
});

test("the owner withdraws part of the free balance, exactly", async () => {
  const { network } = net.deployment;
  const sessionId = await openSession(net, 1, { deposit: parseCor("4") });

  const { deposit } = await withdrawDeposit(net.client(1), { network, sessionId, amount: parseCor("1.5") });

  expect(deposit).toBe(parseCor("2.5"));
  expect(await net.balanceOf(1)).toBe(parseCor("1.5"));
  expect((await getSession(net.publicClient, { network, sessionId })).deposit).toBe(parseCor("2.5"));
});

test("withdrawing more than the free balance reverts with InsufficientDeposit", async () => {
  const err = await withdrawDeposit(net.client(1), {
    network: net.deployment.network,
    sessionId: 1,
    amount: parseCor("3"),
  }).catch((e) => e);
  expect(err.errorName).toBe("InsufficientDeposit");
  expect(err.shortMessage).toBe(
    "Session 1 has 2.5 COR free but you asked to withdraw 3 COR: escrow of open tasks returns to the free balance when they settle.",
  );
});

test("only the owner can withdraw (NotSessionOwner)", async () => {
  const err = await withdrawDeposit(net.client(2), {
    network: net.deployment.network,
    sessionId: 1,
    amount: 1n,
  }).catch((e) => e);
  expect(err.errorName).toBe("NotSessionOwner");
  expect(err.args).toEqual({ sessionId: 1n, caller: net.address(2) });
});
