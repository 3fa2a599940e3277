import { afterAll, beforeAll, expect, test } from "vitest";
import { type CorTestNetwork, setupNetwork } from "../testing/fixture.ts";
import { parseCor } from "../utils/units.ts";
import { getParams } from "./getParams.ts";

let net: CorTestNetwork;
beforeAll(async () => {
  net = await setupNetwork();
});
afterAll(async () => {
  await net?.stop();
});

test("getParams returns the deploy script's defaults", async () => {
  expect(await getParams(net.publicClient, { network: net.deployment.network })).toEqual({
    minStake: { miner: parseCor("100"), router: parseCor("100"), validator: parseCor("100") },
    unstakeCooldown: 3600,
    protocolFeeBps: 200,
    validatorFeeBps: 300,
    routerFeeBps: 100,
    rejectSlashBps: 1000,
    withholdSlashBps: 1000,
    validatorSlashBps: 1000,
    attestDeviationBps: 1000,
    auditBps: 1000,
    bars: { embedding: 8000, replay: 9000 },
    minPricePerToken: 1_000_000_000n,
    reputationFeeUnit: parseCor("12.5"),
    minQuorum: 1,
    maxRetryLimit: 3,
  });
});
