import { afterAll, beforeAll, expect, test } from "vitest";
import { NotFoundError } from "../errors/task.ts";
import { type CorTestNetwork, setupNetwork } from "../testing/fixture.ts";
import { openSession, registerMiners } from "../testing/flow.ts";
import { parseCor } from "../utils/units.ts";
import { getSession } from "./getSession.ts";

let net: CorTestNetwork;
beforeAll(async () => {
  net = await setupNetwork();
});
afterAll(async () => {
  await net?.stop();
});

test("getSession decodes enums, windows and the router", async () => {
  const { network, modelId } = net.deployment;
  await net.fund(5, parseCor("100"));
  const { registerNode } = await import("./registerNode.ts");
  const { nodeId: routerId } = await registerNode(net.client(5), { network, role: "Router", stake: parseCor("100") });
  const sessionId = await openSession(net, 1, {
    deposit: parseCor("3"),
    redundancy: 5,
    validation: "Replay",
    assignment: "Router",
    quorum: 3,
    minReputation: 4_000,
    retryLimit: 3,
    sampling: { temperature: 0.7, topK: 40, topP: 0.9 },
    encrypted: true,
    routerId,
    windows: { precommit: 11, reveal: 12, attest: 13 },
  });
  expect(await getSession(net.publicClient, { network, sessionId })).toEqual({
    sessionId,
    owner: net.address(1),
    status: "Open",
    modelId,
    redundancy: 5,
    validation: "Replay",
    assignment: "Router",
    quorum: 3,
    retryLimit: 3,
    encrypted: true,
    sampling: { temperature: 0.7, topK: 40, topP: 0.9 },
    routerId,
    deposit: parseCor("3"),
    escrowed: 0n,
    taskCount: 0,
    pricePerToken: parseCor("0.0001"),
    maxTokens: 256,
    minReputation: 4_000,
    windows: { precommit: 11, reveal: 12, attest: 13 },
    dedicatedMiners: [],
  });
});

test("Claim and Dedicated assignment names decode too", async () => {
  const { network } = net.deployment;
  const miners = await registerMiners(net, [2, 3, 4]);
  const claim = await openSession(net, 1, { deposit: 0n, assignment: "Claim", validation: "None" });
  const dedicated = await openSession(net, 1, { deposit: 0n, assignment: "Dedicated", dedicatedMiners: miners });
  expect((await getSession(net.publicClient, { network, sessionId: claim })).assignment).toBe("Claim");
  expect((await getSession(net.publicClient, { network, sessionId: claim })).validation).toBe("None");
  expect(await getSession(net.publicClient, { network, sessionId: dedicated })).toMatchObject({
    assignment: "Dedicated",
    dedicatedMiners: miners,
  });
});

test("an unknown session is a NotFoundError", async () => {
  await expect(getSession(net.publicClient, { network: net.deployment.network, sessionId: 77 })).rejects.toThrow(
    NotFoundError,
  );
});
