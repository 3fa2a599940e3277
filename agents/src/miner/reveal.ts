import { contractErrorOf, type RootBatch } from "@cor-network/sdk";
import type { Address, Hex } from "viem";
import type { RevealItem, RootRef } from "../shared/batch.ts";
import type { Journal } from "../shared/journal.ts";
import type { Logger } from "../shared/logger.ts";

/** What the miner journals per commitment, before the commit is sent (so it can reveal after a crash). */
export type Pending = {
  slot: number;
  resultHash: Hex;
  salt: Hex;
  cid: string;
  tokens: number;
  revealed?: boolean;
  /** Set by a result strategy that withholds its reveal (fault drills). */
  withhold?: boolean;
  /**
   * The root batch (roots journal) this slot was sent under with commitRoot, set before the send. Whether the
   * root or the slot's own commitment landed is `rooted` (or, when unknown after a crash, the TaskCommitted log).
   */
  root?: Hex;
  /** true: committed under `root`; false: with its own commitment (commit / commitMany, or a root batch's fallback). */
  rooted?: boolean;
};

/**
 * A root batch as the miner journals it (roots.json, keyed by root), JSON-safe: everything revealRoot needs for
 * any subset of its entries, whatever became of the other entries' tasks.
 */
export type RootRecord = {
  miner: Address;
  taskIds: string[];
  slots: number[];
  leaves: Hex[];
  entries: { taskId: string; slot: number; resultHash: Hex; tokens: number; salt: Hex }[];
  cids: string[];
};

export const rootRecordOf = (batch: RootBatch, cids: readonly string[]): RootRecord => ({
  miner: batch.miner,
  taskIds: batch.taskIds.map(String),
  slots: [...batch.slots],
  leaves: [...batch.leaves],
  entries: batch.entries.map((e) => ({ ...e, taskId: String(e.taskId) })),
  cids: [...cids],
});

/** The batch of a journaled root, ready for revealResultsRoot, and this task's entry in it. */
export const rootRefOf = (root: Hex, r: RootRecord, taskId: bigint): RootRef | undefined => {
  const index = r.taskIds.indexOf(taskId.toString());
  if (index < 0) return undefined;
  const batch: RootBatch = {
    miner: r.miner,
    root,
    taskIds: r.taskIds.map(BigInt),
    slots: [...r.slots],
    leaves: [...r.leaves],
    entries: r.entries.map((e) => ({ ...e, taskId: BigInt(e.taskId) })),
  };
  return { batch, cids: r.cids, index };
};

/** The miner's commit journals: one entry per task (journal.json) and one per root batch (roots.json). */
export type CommitJournals = { journal: Journal<Pending>; roots: Journal<RootRecord> };

/** Updates a task's entry if it still exists (a task settled meanwhile stays forgotten). */
const update = (journal: Journal<Pending>, key: string, patch: Partial<Pending>) => {
  const p = journal.get(key);
  if (p) journal.set(key, { ...p, ...patch });
};

/** Journals a root batch right before its commitRoot is sent: the record first, then each entry's pointer to it. */
export const journalRoot = ({ journal, roots }: CommitJournals, batch: RootBatch, cids: readonly string[]) => {
  roots.set(batch.root, rootRecordOf(batch, cids));
  for (const taskId of batch.taskIds) update(journal, taskId.toString(), { root: batch.root });
};

/** Records how a task's commit landed (`root` from the batcher's outcome: committed under that root). */
export const journalCommitted = ({ journal }: CommitJournals, taskId: bigint, root: Hex | undefined) =>
  update(journal, taskId.toString(), { rooted: root !== undefined && journal.get(taskId.toString())?.root === root });

/** Whether a journaled root batch is still needed: some task of it still points to it. */
const rootInUse = (journal: Journal<Pending>, root: string, record: RootRecord) =>
  record.taskIds.some((id) => journal.get(id)?.root === root);

/** Forgets a settled task, and its root batch once no task of that batch is left in the journal. */
export const forgetCommitment = ({ journal, roots }: CommitJournals, key: string) => {
  const p = journal.get(key);
  if (!p) return;
  journal.delete(key);
  const record = p.root ? roots.get(p.root) : undefined;
  if (p.root && record && !rootInUse(journal, p.root, record)) roots.delete(p.root);
};

/**
 * Drops root batches no task points to (at startup): a crash between journaling a batch and sending its commitRoot
 * leaves one behind, and the restarted miner commits those tasks afresh.
 */
export const sweepRoots = ({ journal, roots }: CommitJournals) => {
  for (const [root, record] of roots.entries()) if (!rootInUse(journal, root, record)) roots.delete(root);
};

/** The reveal of a journaled commitment, or undefined when there is nothing (more) to reveal. */
export const revealItemOf = (taskId: bigint, p: Pending | undefined): RevealItem | undefined =>
  p && !p.revealed && !p.withhold
    ? { taskId, slot: p.slot, resultHash: p.resultHash, salt: p.salt, tokens: p.tokens, resultCid: p.cid }
    : undefined;

/**
 * A reveal that reverted because there is nothing left to reveal: revealed already (by an earlier attempt that
 * landed), the task left the reveal phase, or the slot was dropped as late. The journal entry is done then; any
 * other failure (network, a revert that may pass later) keeps it for the next TaskPhaseChanged or restart.
 */
export const revealIsMoot = (err: unknown): boolean =>
  contractErrorOf(err, ["AlreadyRevealed", "WrongPhase", "SlotDropped"]) !== undefined;

/**
 * The miner's reveal handler: reveals a journaled commitment once (batched), and marks it done in the journal. A
 * slot committed under a root is revealed through that root (revealRoot, with the journaled batch); when it is not
 * known whether the root or a single commit landed (a crash, or a root commit that failed on our side but was
 * mined), `committedAs` reads the slot's commitment from its TaskCommitted log.
 */
export const createRevealHandler = (deps: {
  journal: Journal<Pending>;
  roots?: Journal<RootRecord>;
  reveal: (item: RevealItem) => Promise<unknown>;
  /** The commitment the chain holds for this miner's slot (TaskCommitted), undefined if it never committed. */
  committedAs?: (taskId: bigint, slot: number) => Promise<Hex | undefined>;
  logger: Logger;
}) => {
  /** A task asked to reveal again while its reveal runs (after the commit and from the event) shares that run. */
  const running = new Map<string, Promise<void>>();
  const run = async (taskId: bigint): Promise<void> => {
    const key = taskId.toString();
    let p = deps.journal.get(key);
    const item = revealItemOf(taskId, p);
    if (!p || !item) return;
    const started = Date.now();
    try {
      if (p.root && p.rooted === undefined && deps.committedAs) {
        const commitment = await deps.committedAs(taskId, p.slot);
        if (commitment === undefined) {
          deps.logger.warn(`Nothing committed to reveal task=${key}`);
          return;
        }
        update(deps.journal, key, { rooted: commitment === p.root });
        p = { ...p, rooted: commitment === p.root };
      }
      if (p.root && p.rooted) {
        const record = deps.roots?.get(p.root);
        const ref = record && rootRefOf(p.root, record, taskId);
        if (!ref) throw new Error(`root ${p.root} of task ${key} is not journaled`);
        item.root = ref;
      }
      await deps.reveal(item);
      update(deps.journal, key, { revealed: true });
      deps.logger.info(
        `Revealed result task=${key} cid=${p.cid}${item.root ? " (root)" : ""} (${Date.now() - started}ms)`,
      );
    } catch (err) {
      if (revealIsMoot(err)) update(deps.journal, key, { revealed: true });
      else deps.logger.warn({ err: String((err as Error).message).split("\n")[0] }, `Reveal failed task=${key}`);
    }
  };
  return (taskId: bigint): Promise<void> => {
    const key = taskId.toString();
    const now = running.get(key);
    if (now) return now;
    const p = run(taskId).finally(() => running.delete(key));
    running.set(key, p);
    return p;
  };
};
