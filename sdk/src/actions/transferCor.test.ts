import { afterAll, beforeAll, expect, test } from "vitest";
import { isContractError } from "../errors/contract.ts";
import { type CorTestNetwork, setupNetwork } from "../testing/fixture.ts";
import { parseCor } from "../utils/units.ts";
import { transferCor } from "./transferCor.ts";

let net: CorTestNetwork;
beforeAll(async () => {
  net = await setupNetwork();
});
afterAll(async () => {
  await net?.stop();
});

test("transferCor moves exactly the amount; more than the balance is a decoded token error", async () => {
  const { network } = net.deployment;
  const before = await net.balanceOf(6);
  await transferCor(net.client(0), { network, to: net.address(6), amount: parseCor("2.5") });
  expect(await net.balanceOf(6)).toBe(before + parseCor("2.5"));

  const err = await transferCor(net.client(6), { network, to: net.address(7), amount: parseCor("3") }).catch((e) => e);
  expect(isContractError(err, "ERC20InsufficientBalance")).toBe(true);
  expect(err.args.needed).toBe(parseCor("3"));
  expect(await net.balanceOf(7)).toBe(0n);
});
