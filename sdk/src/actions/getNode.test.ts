import { afterAll, beforeAll, expect, test } from "vitest";
import { NotFoundError } from "../errors/task.ts";
import { type CorTestNetwork, setupNetwork } from "../testing/fixture.ts";
import { parseCor } from "../utils/units.ts";
import { getNode } from "./getNode.ts";
import { registerNode } from "./registerNode.ts";

let net: CorTestNetwork;
beforeAll(async () => {
  net = await setupNetwork();
});
afterAll(async () => {
  await net?.stop();
});

test("getNode reads a registration by id or by account", async () => {
  const { network } = net.deployment;
  const key = `0x${"42".repeat(32)}` as const;
  await net.fund(3, parseCor("100"));
  const { nodeId } = await registerNode(net.client(3), {
    network,
    role: "Validator",
    stake: parseCor("100"),
    encryptionKey: key,
  });
  const expected = {
    nodeId,
    account: net.address(3),
    role: "Validator",
    status: "Active",
    until: 0,
    score: 5000,
    speed: 0,
    accepted: 0,
    rejected: 0,
    timedOut: 0,
    tokensServed: 0n,
    rewards: 0n,
    stake: parseCor("100"),
    open: 0,
    offer: { minPrice: 0n, capacity: 0, modes: [] },
    encryptionKey: key,
  };
  expect(await getNode(net.publicClient, { network, nodeId })).toEqual(expected);
  expect(await getNode(net.publicClient, { network, account: net.address(3) })).toEqual(expected);
});

test("unknown nodes and unregistered accounts are NotFoundError", async () => {
  const { network } = net.deployment;
  await expect(getNode(net.publicClient, { network, nodeId: 99 })).rejects.toBeInstanceOf(NotFoundError);
  const err = await getNode(net.publicClient, { network, account: net.address(8) }).catch((e) => e);
  expect(err).toBeInstanceOf(NotFoundError);
  expect(err.details).toBe("the account is not a registered node");
});
