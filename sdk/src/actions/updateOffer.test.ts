import { afterAll, beforeAll, expect, test } from "vitest";
import { isContractError } from "../errors/contract.ts";
import { type CorTestNetwork, setupNetwork } from "../testing/fixture.ts";
import { registerMiners } from "../testing/flow.ts";
import { parseCor } from "../utils/units.ts";
import { getNode } from "./getNode.ts";
import { getParams } from "./getParams.ts";
import { registerNode } from "./registerNode.ts";
import { updateOffer } from "./updateOffer.ts";

let net: CorTestNetwork;
beforeAll(async () => {
  net = await setupNetwork();
});
afterAll(async () => {
  await net?.stop();
});

test("registerNode stores a miner's offer and updateOffer replaces it", async () => {
  const { network, modelId } = net.deployment;
  await net.fund(2, parseCor("100"));
  const { nodeId } = await registerNode(net.client(2), {
    network,
    role: "Miner",
    stake: parseCor("100"),
    models: [modelId],
    offer: { minPrice: 5n, capacity: 2, modes: ["Claim"] },
  });
  expect((await getNode(net.publicClient, { network, nodeId })).offer).toEqual({
    minPrice: 5n,
    capacity: 2,
    modes: ["Claim"],
  });

  const offer = { minPrice: parseCor("0.0002"), capacity: 4, modes: ["Router", "Dedicated"] as const };
  const result = await updateOffer(net.client(2), { network, offer });
  expect(result.nodeId).toBe(nodeId);
  expect(result.offer).toEqual({ ...offer, modes: ["Router", "Dedicated"] });
  expect((await getNode(net.publicClient, { network, nodeId })).offer).toEqual(result.offer);
});

test("a router cannot make an offer (InvalidRole)", async () => {
  const { network } = net.deployment;
  await registerMiners(net, [3]);
  const stake = (await getParams(net.publicClient, { network })).minStake.router;
  await net.fund(4, stake);
  await registerNode(net.client(4), { network, role: "Router", stake });
  const err = await updateOffer(net.client(4), { network, offer: { capacity: 1 } }).catch((e) => e);
  expect(isContractError(err, "InvalidRole")).toBe(true);
});
