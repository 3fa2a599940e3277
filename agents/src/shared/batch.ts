import type { Hex } from "viem";
import type { TxSender } from "./chain.ts";
import { AgentError } from "./errors.ts";
import type { Logger } from "./logger.ts";

type Waiter<T> = { item: T; resolve: (hash: Hex) => void; reject: (err: unknown) => void };

/**
 * Collects items for `windowMs` (from the first one) and sends them as one batched transaction; items that
 * arrive while a batch is being mined ride the next one, sent as soon as that one is mined. When the
 * batch fails (one bad item reverts the whole call), every item is sent on its own, so one bad task never
 * blocks the others: each caller gets its own single-call outcome. `windowMs <= 0` sends every item alone.
 * Transactions go through the agent's one TxSender, so nonces stay serialized.
 */
export const createBatcher = <T>(opts: {
  windowMs: number;
  /** Largest batch (bounds calldata and gas); a full batch is sent at once. */
  maxItems?: number;
  sendOne: (item: T) => Promise<Hex>;
  sendMany: (items: T[]) => Promise<Hex>;
  logger: Logger;
  label: string;
  /** Items with the same key while one is pending share its transaction (a task revealed twice goes once). */
  keyOf?: (item: T) => string;
}) => {
  const sameAs = new Map<string, Promise<Hex>>();
  const maxItems = opts.maxItems ?? 16;
  const pending: Waiter<T>[] = [];
  let timer: NodeJS.Timeout | undefined;
  let sending = false;
  const one = (w: Waiter<T>) => opts.sendOne(w.item).then(w.resolve, w.reject);
  const flush = async () => {
    if (timer) clearTimeout(timer);
    timer = undefined;
    if (sending || pending.length === 0) return;
    const batch = pending.splice(0, maxItems);
    sending = true;
    try {
      if (batch.length === 1) await one(batch[0]);
      else
        await opts.sendMany(batch.map((w) => w.item)).then(
          (hash) => {
            for (const w of batch) w.resolve(hash);
          },
          (err) => {
            opts.logger.warn(
              { err: String((err as Error).message ?? err), items: batch.length },
              `${opts.label} batch failed; sending each alone`,
            );
            return Promise.all(batch.map(one));
          },
        );
    } finally {
      sending = false;
      if (pending.length) void flush(); // they waited for this batch to be mined: no extra window
    }
  };
  return {
    /** Resolves with the hash of the transaction that carried the item (batched or alone), once mined. */
    add: (item: T): Promise<Hex> => {
      if (opts.windowMs <= 0) return opts.sendOne(item);
      const key = opts.keyOf?.(item);
      const queued = key === undefined ? undefined : sameAs.get(key);
      if (queued) return queued;
      const p = new Promise<Hex>((resolve, reject) => {
        pending.push({ item, resolve, reject });
        if (sending) return; // goes with the next batch, when this one is mined
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

export type CommitItem = { taskId: bigint; slot: number; commitment: Hex };
export type RevealItem = {
  taskId: bigint;
  slot: number;
  resultHash: Hex;
  salt: Hex;
  tokens: number;
  resultCid: string;
};

/** A miner's commit and reveal batchers (commitMany / revealMany), falling back to commit / reveal. */
export const createResultBatchers = (tx: TxSender, windowMs: number, logger: Logger) => ({
  commits: createBatcher<CommitItem>({
    windowMs,
    logger,
    label: "commitMany",
    keyOf: (c) => `${c.taskId}:${c.slot}`,
    sendOne: (c) => tx.write("commit", [c.taskId, c.slot, c.commitment], `commit task=${c.taskId}`),
    sendMany: (cs) =>
      tx.write(
        "commitMany",
        [cs.map((c) => c.taskId), cs.map((c) => c.slot), cs.map((c) => c.commitment)],
        `commitMany tasks=${cs.map((c) => c.taskId).join(",")}`,
      ),
  }),
  reveals: createBatcher<RevealItem>({
    windowMs,
    logger,
    label: "revealMany",
    keyOf: (r) => `${r.taskId}:${r.slot}`,
    sendOne: (r) =>
      tx.write("reveal", [r.taskId, r.slot, r.resultHash, r.salt, r.tokens, r.resultCid], `reveal task=${r.taskId}`),
    sendMany: (rs) => tx.write("revealMany", [rs], `revealMany tasks=${rs.map((r) => r.taskId).join(",")}`),
  }),
});

/** COR_BATCH_MS for agents without their own config field (the router): default 250, 0 = off. */
export const batchWindowFromEnv = (): number => {
  const v = Number(process.env.COR_BATCH_MS ?? 250);
  if (!Number.isInteger(v) || v < 0)
    throw new AgentError("COR_BATCH_MS must be a whole number of milliseconds (0 = off)");
  return v;
};

/** A router's assignment batcher (assignMany), falling back to assignTask. */
export const createAssignBatcher = (tx: TxSender, windowMs: number, logger: Logger) =>
  createBatcher<{ taskId: bigint; nodeIds: number[] }>({
    windowMs,
    logger,
    label: "assignMany",
    sendOne: (a) => tx.write("assignTask", [a.taskId, a.nodeIds], `assign task=${a.taskId}`),
    sendMany: (as) =>
      tx.write(
        "assignMany",
        [as.map((a) => a.taskId), as.map((a) => a.nodeIds)],
        `assignMany tasks=${as.map((a) => a.taskId).join(",")}`,
      ),
  });
