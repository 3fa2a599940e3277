import { assignTask, assignTasks, commitResult, commitResults, revealResult, revealResults } from "@cor-network/sdk";
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

/** A miner's commitment: the SDK computes `keccak256(abi.encode(taskId, miner, resultHash, tokens, salt))`. */
export type CommitItem = { taskId: bigint; slot: number; resultHash: Hex; tokens: number; salt: Hex };
export type RevealItem = {
  taskId: bigint;
  slot: number;
  resultHash: Hex;
  salt: Hex;
  tokens: number;
  resultCid: string;
};

/** A miner's commit and reveal batchers (SDK commitResults / revealResults), falling back to commitResult / revealResult. */
export const createResultBatchers = (tx: TxSender, windowMs: number, logger: Logger) => {
  const { client, network } = tx;
  return {
    commits: createBatcher<CommitItem>({
      windowMs,
      logger,
      label: "commitMany",
      keyOf: (c) => `${c.taskId}:${c.slot}`,
      sendOne: async (c) => (await commitResult(client, { network, ...c })).hash,
      sendMany: async (commits) => (await commitResults(client, { network, commits })).hash,
    }),
    reveals: createBatcher<RevealItem>({
      windowMs,
      logger,
      label: "revealMany",
      keyOf: (r) => `${r.taskId}:${r.slot}`,
      sendOne: async (r) => (await revealResult(client, { network, ...r })).hash,
      sendMany: async (reveals) => (await revealResults(client, { network, reveals })).hash,
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
