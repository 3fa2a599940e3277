import { contractErrorOf } from "@cor-network/sdk";
import type { Hex } from "viem";
import type { RevealItem } from "../shared/batch.ts";
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

/** The miner's reveal handler: reveals a journaled commitment once (batched), and marks it done in the journal. */
export const createRevealHandler =
  (deps: { journal: Journal<Pending>; reveal: (item: RevealItem) => Promise<unknown>; logger: Logger }) =>
  async (taskId: bigint): Promise<void> => {
    const key = taskId.toString();
    const p = deps.journal.get(key);
    const item = revealItemOf(taskId, p);
    if (!p || !item) return;
    const started = Date.now();
    try {
      await deps.reveal(item);
      deps.journal.set(key, { ...p, revealed: true });
      deps.logger.info(`Revealed result task=${key} cid=${p.cid} (${Date.now() - started}ms)`);
    } catch (err) {
      if (revealIsMoot(err)) deps.journal.set(key, { ...p, revealed: true });
      else deps.logger.warn({ err: String((err as Error).message).split("\n")[0] }, `Reveal failed task=${key}`);
    }
  };
