import { type Address, concat, type Hex, keccak256, zeroHash } from "viem";
import { commitmentOf } from "./hash.ts";

// Batched commitments (CorNetwork.commitRoot / revealRoot): a miner commits several slots under one Merkle root
// instead of one commitment per slot. The tree is positional: leaf k is the commitment of entry k of the batch list
// (exactly commitmentOf), the leaves are padded with zero to a power of two, and a node is
// keccak256(left ‖ right). A one-entry batch's root is its commitment. The contract rebuilds the tree at reveal, so
// an entry can only ever be opened at its own position: one answer per slot.

/** One slot of a root batch: the task and slot it commits, and what `commitmentOf` binds. */
export type RootEntry = { taskId: bigint; slot: number; resultHash: Hex; tokens: number; salt: Hex };

/** A root batch as committed: `commitRoot(taskIds, slots, root)`. Keep it (and the entries) to reveal later. */
export type RootBatch = {
  miner: Address;
  root: Hex;
  taskIds: bigint[];
  slots: number[];
  /** Leaf k: the commitment of entry k. */
  leaves: Hex[];
  entries: RootEntry[];
};

/** One reveal of `revealRoot`: the RootReveal struct of the ABI. */
export type RootRevealArg = { resultHash: Hex; salt: Hex; tokens: number; resultCid: string };

/** Root of the positional tree over `leaves` (zero-padded to a power of two). */
export const merkleRootOf = (leaves: readonly Hex[]): Hex => {
  if (leaves.length === 0) throw new Error("merkleRootOf: a root batch has at least one entry");
  let size = 1;
  while (size < leaves.length) size <<= 1;
  let level: Hex[] = Array.from({ length: size }, (_, k) => leaves[k] ?? zeroHash);
  while (level.length > 1) {
    const next: Hex[] = [];
    for (let i = 0; i < level.length; i += 2) next.push(keccak256(concat([level[i], level[i + 1]])));
    level = next;
  }
  return level[0];
};

/** Builds the batch `miner` commits with `commitRoot(batch.taskIds, batch.slots, batch.root)`. */
export const rootBatchOf = (miner: Address, entries: readonly RootEntry[]): RootBatch => {
  const seen = new Set<string>();
  for (const e of entries) {
    const key = `${e.taskId}:${e.slot}`;
    // The contract refuses it too (AlreadyCommitted): say it before a transaction is sent.
    if (seen.has(key)) throw new Error(`rootBatchOf: task ${e.taskId} slot ${e.slot} is listed twice`);
    seen.add(key);
  }
  const leaves = entries.map((e) => commitmentOf(e.taskId, miner, e.resultHash, e.tokens, e.salt));
  return {
    miner,
    root: merkleRootOf(leaves),
    taskIds: entries.map((e) => e.taskId),
    slots: entries.map((e) => e.slot),
    leaves,
    entries: [...entries],
  };
};

/**
 * Arguments of `revealRoot(root, taskIds, slots, leaves, reveals)` revealing the entries at `indexes` (default:
 * every entry; `leaves` is then empty). `cids[k]` is the result CID of entry k.
 */
export const revealRootArgs = (
  batch: RootBatch,
  cids: readonly string[],
  indexes: readonly number[] = batch.entries.map((_, k) => k),
): readonly [Hex, bigint[], number[], Hex[], RootRevealArg[]] => {
  const n = batch.entries.length;
  const chosen = new Set(indexes);
  for (const k of chosen) {
    if (!Number.isInteger(k) || k < 0 || k >= n) throw new Error(`revealRootArgs: no entry ${k} in a batch of ${n}`);
  }
  if (chosen.size === 0) throw new Error("revealRootArgs: nothing to reveal");
  const reveals: RootRevealArg[] = [];
  const leaves: Hex[] = [];
  for (let k = 0; k < n; k++) {
    const e = batch.entries[k];
    if (!chosen.has(k)) {
      leaves.push(batch.leaves[k]);
      continue;
    }
    leaves.push(zeroHash);
    const resultCid = cids[k];
    if (!resultCid) throw new Error(`revealRootArgs: no result CID for entry ${k}`);
    reveals.push({ resultHash: e.resultHash, salt: e.salt, tokens: e.tokens, resultCid });
  }
  return [batch.root, batch.taskIds, batch.slots, chosen.size === n ? [] : leaves, reveals];
};
