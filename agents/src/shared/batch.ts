import {
  assignTask,
  assignTasks,
  commitResult,
  commitResults,
  commitResultsRoot,
  type RootBatch,
  revealResult,
  revealResults,
  revealResultsRoot,
  rootBatchOf,
} from "@cor-network/sdk";
import type { Hex } from "viem";
import type { TxSender } from "./chain.ts";
import { AgentError } from "./errors.ts";
import type { Logger } from "./logger.ts";

type Waiter<T, R> = { item: T; resolve: (result: R) => void; reject: (err: unknown) => void };

/**
 * Collects items for `windowMs` (from the first one) and sends them as one batched transaction. The agent's
 * TxSender is pipelined (several transactions of one agent ride the same block), so the next window opens as soon
 * as a batch is broadcast: at most `maxInFlight` batches wait to be mined at once; items beyond that wait for one
 * of them and then go out at once (no second window). Items of different groups (`groupOf`) never share a
 * transaction: a flushed batch goes out as one transaction per group, all broadcast together. When a batch fails
 * (one bad item reverts the whole call), every item of it is sent on its own, so one bad task never blocks the
 * others: each caller gets its own single-call outcome. `windowMs <= 0` sends every item alone. Nonces stay
 * correct: every transaction goes through the one TxSender.
 */
export const createBatcher = <T, R = Hex>(opts: {
  windowMs: number;
  /** Largest batch (bounds calldata and gas); a full batch is sent at once. */
  maxItems?: number;
  /** Batches broadcast and not yet mined at once (default 4); 1 = the next batch waits for the last one to be mined. */
  maxInFlight?: number;
  sendOne: (item: T) => Promise<R>;
  /** Sends ≥ 2 items of one group as one transaction; its outcome is every item's. */
  sendMany: (items: T[]) => Promise<R>;
  logger: Logger;
  label: string;
  /** Items with the same key while one is pending share its transaction (a task revealed twice goes once). */
  keyOf?: (item: T) => string;
  /** Items that may share a transaction (default: all). */
  groupOf?: (item: T) => string;
}) => {
  const sameAs = new Map<string, Promise<R>>();
  const maxItems = opts.maxItems ?? 16;
  const maxInFlight = opts.maxInFlight ?? 4;
  const pending: Waiter<T, R>[] = [];
  let timer: NodeJS.Timeout | undefined;
  let inFlight = 0;
  const one = (w: Waiter<T, R>) => opts.sendOne(w.item).then(w.resolve, w.reject);
  const sendGroup = (group: Waiter<T, R>[]): Promise<unknown> =>
    group.length === 1
      ? one(group[0])
      : opts.sendMany(group.map((w) => w.item)).then(
          (result) => {
            for (const w of group) w.resolve(result);
          },
          (err) => {
            opts.logger.warn(
              { err: String((err as Error).message ?? err), items: group.length },
              `${opts.label} batch failed; sending each alone`,
            );
            return Promise.all(group.map(one));
          },
        );
  const groupsOf = (batch: Waiter<T, R>[]): Waiter<T, R>[][] => {
    if (!opts.groupOf) return [batch];
    const groups = new Map<string, Waiter<T, R>[]>();
    for (const w of batch) {
      const g = opts.groupOf(w.item);
      const list = groups.get(g);
      if (list) list.push(w);
      else groups.set(g, [w]);
    }
    return [...groups.values()];
  };
  const flush = async () => {
    if (timer) clearTimeout(timer);
    timer = undefined;
    if (inFlight >= maxInFlight || pending.length === 0) return;
    const batch = pending.splice(0, maxItems);
    inFlight++;
    if (pending.length) void flush(); // more than a full batch had waited: the rest goes now too (up to maxInFlight)
    try {
      await Promise.all(groupsOf(batch).map(sendGroup));
    } finally {
      inFlight--;
      if (pending.length && inFlight < maxInFlight && !timer) void flush(); // they waited for a batch slot
    }
  };
  return {
    /** Resolves with the outcome of the transaction that carried the item (batched or alone), once mined. */
    add: (item: T): Promise<R> => {
      if (opts.windowMs <= 0) return opts.sendOne(item);
      const key = opts.keyOf?.(item);
      const queued = key === undefined ? undefined : sameAs.get(key);
      if (queued) return queued;
      const p = new Promise<R>((resolve, reject) => {
        pending.push({ item, resolve, reject });
        if (inFlight >= maxInFlight) return; // goes when a batch in flight is mined
        if (pending.length >= maxItems) void flush();
        else timer ??= setTimeout(() => void flush(), opts.windowMs);
      });
      if (key !== undefined) {
        sameAs.set(key, p);
        const forget = () => sameAs.delete(key);
        p.then(forget, forget);
      }
      return p;
    },
    /** Sends whatever is pending now. */
    flush,
  };
};

/** A miner's commitment: the SDK computes `keccak256(abi.encode(taskId, miner, resultHash, tokens, salt))`. */
export type CommitItem = {
  taskId: bigint;
  slot: number;
  resultHash: Hex;
  tokens: number;
  salt: Hex;
  /** Where the result is stored (kept with a root batch, so any entry of it can be revealed from the record). */
  resultCid: string;
};

/** How a commitment landed: `root` when the slot was committed under a root (commitRoot), else with its own commitment. */
export type CommitOutcome = { hash: Hex; root?: Hex };

/** An entry of a root batch to reveal: the batch as committed, the result CID of each entry, and this entry's index. */
export type RootRef = { batch: RootBatch; cids: readonly string[]; index: number };

export type RevealItem = {
  taskId: bigint;
  slot: number;
  resultHash: Hex;
  salt: Hex;
  tokens: number;
  resultCid: string;
  /** Set when the slot was committed under a root (commitRoot): it can only be revealed through revealRoot. */
  root?: RootRef;
};

export type ResultBatchersOptions = {
  /**
   * Commit batches of ≥ 2 slots under one Merkle root (commitRoot; default true) instead of commitMany. A batch of
   * one is always a plain commit (cheaper).
   */
  roots?: boolean;
  /**
   * Called with a root batch right before its commitRoot is sent (a throw cancels the send): the miner journals it
   * here, because its slots can only ever be revealed with the same root and list.
   */
  beforeRoot?: (batch: RootBatch, cids: string[]) => void;
};

/**
 * A miner's commit and reveal batchers. Commits: ≥ 2 slots → commitRoot (SDK commitResultsRoot), or commitMany with
 * `roots: false`; one → commitResult. Reveals: slots committed under a root (`item.root`) go out per root through
 * revealRoot (SDK revealResultsRoot: the entries revealable now, the others passed as leaves), the rest through
 * revealMany / revealResult. A failed batch falls back to each item alone (a root entry alone is a revealRoot with
 * one index).
 */
export const createResultBatchers = (
  tx: TxSender,
  windowMs: number,
  logger: Logger,
  options: ResultBatchersOptions = {},
) => {
  const { client, network } = tx;
  const miner = client.account.address;
  const commitMany = async (commits: CommitItem[]): Promise<CommitOutcome> => {
    const items = commits.map(({ resultCid: _, ...c }) => c);
    if (options.roots === false) return { hash: (await commitResults(client, { network, commits: items })).hash };
    const batch = rootBatchOf(miner, items);
    options.beforeRoot?.(
      batch,
      commits.map((c) => c.resultCid),
    );
    const r = await commitResultsRoot(client, { network, commits: items });
    // Same entries, salts and order: the SDK rebuilt the very batch that was journaled.
    if (r.batch.root !== batch.root)
      throw new AgentError(`commitRoot sent root ${r.batch.root}, journaled ${batch.root}`);
    return { hash: r.hash, root: batch.root };
  };
  const revealOne = async ({ root, ...r }: RevealItem): Promise<Hex> =>
    root
      ? (await revealResultsRoot(client, { network, batch: root.batch, cids: root.cids, indexes: [root.index] })).hash
      : (await revealResult(client, { network, ...r })).hash;
  const revealMany = async (reveals: RevealItem[]): Promise<Hex> => {
    const root = reveals[0].root; // one group: all of one root, or none
    const { hash } = root
      ? await revealResultsRoot(client, {
          network,
          batch: root.batch,
          cids: root.cids,
          indexes: reveals.map((r) => (r.root as RootRef).index),
        })
      : await revealResults(client, { network, reveals: reveals.map(({ root: _, ...r }) => r) });
    return hash;
  };
  return {
    commits: createBatcher<CommitItem, CommitOutcome>({
      windowMs,
      logger,
      label: options.roots === false ? "commitMany" : "commitRoot",
      keyOf: (c) => `${c.taskId}:${c.slot}`,
      sendOne: async ({ resultCid: _, ...c }) => ({ hash: (await commitResult(client, { network, ...c })).hash }),
      sendMany: commitMany,
    }),
    reveals: createBatcher<RevealItem>({
      windowMs,
      logger,
      label: "reveal",
      keyOf: (r) => `${r.taskId}:${r.slot}`,
      groupOf: (r) => r.root?.batch.root ?? "",
      sendOne: revealOne,
      sendMany: revealMany,
    }),
  };
};

/** COR_BATCH_MS for agents without their own config field (the router): default 250, 0 = off. */
export const batchWindowFromEnv = (): number => {
  const v = Number(process.env.COR_BATCH_MS ?? 250);
  if (!Number.isInteger(v) || v < 0)
    throw new AgentError("COR_BATCH_MS must be a whole number of milliseconds (0 = off)");
  return v;
};

/** A router's assignment batcher (SDK assignTasks), falling back to assignTask. */
export const createAssignBatcher = (tx: TxSender, windowMs: number, logger: Logger) =>
  createBatcher<{ taskId: bigint; nodeIds: number[] }>({
    windowMs,
    logger,
    label: "assignMany",
    sendOne: async (a) => (await assignTask(tx.client, { network: tx.network, ...a })).hash,
    sendMany: async (assignments) => (await assignTasks(tx.client, { network: tx.network, assignments })).hash,
  });
