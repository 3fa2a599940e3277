import { assignTask, assignTasks, commitResult, commitResults, revealResult, revealResults } from "@cor-network/sdk";
import type { Hex } from "viem";
import type { TxSender } from "./chain.ts";
import { AgentError } from "./errors.ts";
import type { Logger } from "./logger.ts";

type Waiter<T> = { item: T; resolve: (hash: Hex) => void; reject: (err: unknown) => void };

/**
 * Collects items for `windowMs` (from the first one) and sends them as one batched transaction. The agent's
 * TxSender is pipelined (several transactions of one agent ride the same block), so the next window opens as soon
 * as a batch is broadcast: at most `maxInFlight` batches wait to be mined at once; items beyond that wait for one
 * of them and then go out at once (no second window). When a batch fails (one bad item reverts the whole call),
 * every item is sent on its own, so one bad task never blocks the others: each caller gets its own single-call
 * outcome. `windowMs <= 0` sends every item alone. Nonces stay correct: every transaction goes through the one
 * TxSender.
 */
export const createBatcher = <T>(opts: {
  windowMs: number;
  /** Largest batch (bounds calldata and gas); a full batch is sent at once. */
  maxItems?: number;
  /** Batches broadcast and not yet mined at once (default 4); 1 = the next batch waits for the last one to be mined. */
  maxInFlight?: number;
  sendOne: (item: T) => Promise<Hex>;
  sendMany: (items: T[]) => Promise<Hex>;
  logger: Logger;
  label: string;
  /** Items with the same key while one is pending share its transaction (a task revealed twice goes once). */
  keyOf?: (item: T) => string;
}) => {
  const sameAs = new Map<string, Promise<Hex>>();
  const maxItems = opts.maxItems ?? 16;
  const maxInFlight = opts.maxInFlight ?? 4;
  const pending: Waiter<T>[] = [];
  let timer: NodeJS.Timeout | undefined;
  let inFlight = 0;
  const one = (w: Waiter<T>) => opts.sendOne(w.item).then(w.resolve, w.reject);
  const flush = async () => {
    if (timer) clearTimeout(timer);
    timer = undefined;
    if (inFlight >= maxInFlight || pending.length === 0) return;
    const batch = pending.splice(0, maxItems);
    inFlight++;
    if (pending.length) void flush(); // more than a full batch had waited: the rest goes now too (up to maxInFlight)
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
      inFlight--;
      if (pending.length && inFlight < maxInFlight && !timer) void flush(); // they waited for a batch slot
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
