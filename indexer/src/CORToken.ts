/**
 * COR token balances. Cheap (two upserts per Transfer) and lets an analyst check money conservation:
 * balance(network) == network.deposits + escrowed + stakes + rewardsUnclaimed + protocolFees.
 */
import { ponder } from "ponder:registry";
import { tokenBalance } from "ponder:schema";
import { zeroAddress } from "viem";

ponder.on("CORToken:Transfer", async ({ event, context }) => {
  const { from, to, value } = event.args;
  // Both sides of a transfer change a balance; the mint (from zero) only credits.
  if (from !== zeroAddress) {
    await context.db
      .insert(tokenBalance)
      .values({ account: from, balance: -value })
      .onConflictDoUpdate((row) => ({ balance: row.balance - value }));
  }
  if (to !== zeroAddress) {
    await context.db
      .insert(tokenBalance)
      .values({ account: to, balance: value })
      .onConflictDoUpdate((row) => ({ balance: row.balance + value }));
  }
});
