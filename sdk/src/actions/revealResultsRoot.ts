import type { Account, Chain, Client, Hash, Transport } from "viem";
import type { RootBatch } from "../utils/merkle.ts";
import { revealRootArgs } from "../utils/merkle.ts";
import { settlementOf, type TaskSettlement } from "../utils/settlement.ts";
import { type AnyClient, type NetworkWriteErrorType, type WriteParameters, writeNetwork } from "../utils/write.ts";

export type RevealResultsRootParameters = WriteParameters & {
  /** The batch commitResultsRoot returned. */
  batch: RootBatch;
  /** Result CID of each entry of the batch, in batch order (only the revealed entries' are read). */
  cids: readonly string[];
  /** Entries to reveal now (positions in the batch); default all. The others can be revealed in a later call. */
  indexes?: readonly number[] | undefined;
};

export type RevealResultsRootReturnType = {
  /** One entry per revealed entry, in batch order: the task's status after, and its settlement if this settled it. */
  reveals: ({ taskId: bigint; slot: number } & TaskSettlement)[];
  hash: Hash;
};

export type RevealResultsRootErrorType = NetworkWriteErrorType | Error;

/**
 * Miner side: reveals slots committed with {@link commitResultsRoot} (`revealRoot`), all of them or those at
 * `indexes`. The contract rebuilds the root from the revealed results and the other entries' leaves
 * (`RootMismatch` otherwise; `RootNotCommitted` for a root this account never committed over this list); then the
 * rules of revealResult apply per slot, all or nothing.
 *
 * @param client - Client with the miner's account (or pass `account`).
 * @param parameters - {@link RevealResultsRootParameters}
 * @returns Each revealed task's status after the call. {@link RevealResultsRootReturnType}
 *
 * @example
 * const { reveals } = await revealResultsRoot(client, { network, batch, cids })
 */
export async function revealResultsRoot<chain extends Chain | undefined, account extends Account | undefined>(
  client: Client<Transport, chain, account>,
  parameters: RevealResultsRootParameters,
): Promise<RevealResultsRootReturnType> {
  const { batch } = parameters;
  const indexes = parameters.indexes ?? batch.entries.map((_, k) => k);
  // Throws before any transaction for an index outside the batch, nothing to reveal, or a missing CID.
  const args = revealRootArgs(batch, parameters.cids, indexes);
  const { hash, receipt } = await writeNetwork(client as AnyClient, {
    network: parameters.network,
    functionName: "revealRoot",
    args,
    account: parameters.account,
    receiptTimeout: parameters.receiptTimeout,
  });
  const revealed = [...new Set(indexes)].sort((a, b) => a - b).map((k) => batch.entries[k]);
  return {
    reveals: revealed.map((e) => ({
      taskId: e.taskId,
      slot: e.slot,
      ...settlementOf(receipt.logs, e.taskId, "Revealing"),
    })),
    hash,
  };
}
