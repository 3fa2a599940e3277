import { afterAll, beforeAll, expect, test } from "vitest";
import { NotFoundError } from "../errors/task.ts";
import { type CorTestNetwork, setupNetwork } from "../testing/fixture.ts";
import { openSession, registerMiners } from "../testing/flow.ts";
import { SessionStatus, ValidationMode } from "../utils/enums.ts";
import { parseCor } from "../utils/units.ts";
import { getRawSession } from "./getRawSession.ts";
import { getSession } from "./getSession.ts";

let net: CorTestNetwork;
beforeAll(async () => {
  net = await setupNetwork();
});
afterAll(async () => {
  await net?.stop();
});

test("getRawSession returns the struct as stored: enum values, scaled sampling, packed miners", async () => {
  const { network } = net.deployment;
  const miners = await registerMiners(net, [2, 3]);
  const sessionId = await openSession(net, 1, {
    deposit: parseCor("2"),
    validation: "Replay",
    assignment: "Dedicated",
    dedicatedMiners: miners,
    sampling: { temperature: 0.7, topK: 40, topP: 0.9 },
  });
  const raw = await getRawSession(net.publicClient, { network, sessionId });
  expect(raw).toMatchObject({
    owner: net.address(1),
    status: SessionStatus.Open,
    validation: ValidationMode.Replay,
    assignment: 2,
    temperature: 700,
    topK: 40,
    topP: 9_000,
    deposit: parseCor("2"),
    taskCount: 0,
  });
  expect(raw.dedicated).toBe(BigInt(miners[0]) | (BigInt(miners[1]) << 32n));
  // getSession is this struct decoded.
  expect(await getSession(net.publicClient, { network, sessionId })).toMatchObject({
    status: "Open",
    validation: "Replay",
    sampling: { temperature: 0.7, topK: 40, topP: 0.9 },
    dedicatedMiners: miners,
  });
});

test("an unknown session is a NotFoundError", async () => {
  await expect(getRawSession(net.publicClient, { network: net.deployment.network, sessionId: 77 })).rejects.toThrow(
    NotFoundError,
  );
});
