import { afterAll, beforeAll, expect, test } from "vitest";
import { type CorTestNetwork, setupNetwork } from "../testing/fixture.ts";
import { openSession } from "../testing/flow.ts";
import { getSessionCount } from "./getSessionCount.ts";

let net: CorTestNetwork;
beforeAll(async () => {
  net = await setupNetwork();
});
afterAll(async () => {
  await net?.stop();
});

test("getSessionCount counts the sessions opened: the newest session's id", async () => {
  const { network } = net.deployment;
  const before = await getSessionCount(net.publicClient, { network });
  const first = await openSession(net, 1, { deposit: 0n });
  const second = await openSession(net, 2, { deposit: 0n });
  expect(first).toBe(before + 1);
  expect(await getSessionCount(net.publicClient, { network })).toBe(second);
  expect(second).toBe(before + 2);
});
