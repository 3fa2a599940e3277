import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { revealRootArgs, rootBatchOf } from "@cor-network/sdk";
import type { Hex } from "viem";
import { afterEach, describe, expect, it } from "vitest";
import type { RevealItem } from "../shared/batch.ts";
import { openJournal } from "../shared/journal.ts";
import { createLogger } from "../shared/logger.ts";
import {
  type CommitJournals,
  createRevealHandler,
  forgetCommitment,
  journalCommitted,
  journalRoot,
  type Pending,
  type RootRecord,
  rootRecordOf,
  rootRefOf,
  sweepRoots,
} from "./reveal.ts";

// The miner's commit journals on real files (shared/journal.ts), and its reveal handler with the send replaced.
const H = (b: string) => `0x${b.repeat(32)}` as Hex;
const MINER = "0x00000000000000000000000000000000000000aa";
const logger = createLogger("test", {});
const dirs: string[] = [];
afterEach(() => {
  for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
});
/** Journals in a fresh data dir; `reopen` reads the same files again (a restarted miner). */
const journalsIn = () => {
  const dir = mkdtempSync(join(tmpdir(), "cor-reveal-"));
  dirs.push(dir);
  const open = (): CommitJournals => ({
    journal: openJournal<Pending>(join(dir, "journal.json")),
    roots: openJournal<RootRecord>(join(dir, "roots.json")),
  });
  return { dir, journals: open(), reopen: open };
};
const pending = (k: number): Pending => ({
  slot: k % 2,
  resultHash: H(`a${k}`),
  salt: H(`b${k}`),
  cid: `c${k}`,
  tokens: k,
});
const ids = [4294967301n, 4294967302n, 4294967303n];
/** Three journaled commitments batched under one root, as the commit batcher builds it. */
const batchOf = (j: CommitJournals) => {
  for (const [k, id] of ids.entries()) j.journal.set(String(id), pending(k));
  const batch = rootBatchOf(
    MINER,
    ids.map((taskId, k) => ({ taskId, ...pending(k) })),
  );
  journalRoot(
    j,
    batch,
    ids.map((_, k) => `c${k}`),
  );
  return batch;
};

describe("miner commit journals", () => {
  it("a journaled root batch survives a restart: the same revealRoot arguments for any subset", () => {
    const { journals, reopen } = journalsIn();
    const batch = batchOf(journals);
    const again = reopen();
    const record = again.roots.get(batch.root) as RootRecord;
    const ref = rootRefOf(batch.root, record, ids[2]);
    expect(ref?.index).toBe(2);
    expect(ref?.batch).toEqual(batch); // task ids back as bigints
    expect(revealRootArgs(ref?.batch ?? batch, ref?.cids ?? [], [0, 2])).toEqual(
      revealRootArgs(batch, ["c0", "c1", "c2"], [0, 2]),
    );
    expect(rootRefOf(batch.root, record, 7n)).toBeUndefined();
    expect(ids.map((id) => again.journal.get(String(id))?.root)).toEqual([batch.root, batch.root, batch.root]);
  });

  it("records which commitment landed: the root, or a single commit (the batch's fallback)", () => {
    const { journals } = journalsIn();
    const batch = batchOf(journals);
    journalCommitted(journals, ids[0], batch.root);
    journalCommitted(journals, ids[1], undefined);
    journalCommitted(journals, ids[2], H("ff")); // some other root: not this entry's
    journalCommitted(journals, 99n, batch.root); // no entry: nothing is created
    expect(ids.map((id) => journals.journal.get(String(id))?.rooted)).toEqual([true, false, false]);
    expect(journals.journal.get("99")).toBeUndefined();
  });

  it("a root record goes with the last task that points to it; orphans are swept", () => {
    const { dir, journals } = journalsIn();
    const batch = batchOf(journals);
    forgetCommitment(journals, String(ids[0]));
    forgetCommitment(journals, String(ids[1]));
    expect(journals.roots.get(batch.root)).toBeDefined();
    forgetCommitment(journals, String(ids[2]));
    expect(journals.roots.get(batch.root)).toBeUndefined();
    expect(JSON.parse(readFileSync(join(dir, "roots.json"), "utf8"))).toEqual({});

    // A crash after journaling a batch but before its commitRoot: the tasks are committed afresh (new entries).
    const orphan = batchOf(journals);
    const kept = rootBatchOf(MINER, [{ taskId: 5n, ...pending(5) }]);
    journals.journal.set("5", { ...pending(5), root: kept.root });
    journals.roots.set(kept.root, rootRecordOf(kept, ["c5"]));
    expect(journals.roots.get(orphan.root)).toBeDefined();
    for (const [k, id] of ids.entries()) journals.journal.set(String(id), pending(k));
    sweepRoots(journals);
    expect(journals.roots.entries().map(([root]) => root)).toEqual([kept.root]);
  });
});

describe("miner reveal handler with root batches", () => {
  it("a rooted entry is revealed through its root; an unknown outcome is read from the chain once", async () => {
    const { journals } = journalsIn();
    const batch = batchOf(journals);
    journalCommitted(journals, ids[0], batch.root);
    const sent: RevealItem[] = [];
    const lookups: bigint[] = [];
    const reveal = createRevealHandler({
      ...journals,
      reveal: async (item) => {
        await new Promise((r) => setTimeout(r, 20));
        sent.push(item);
      },
      committedAs: async (taskId) => {
        lookups.push(taskId);
        return taskId === ids[1] ? batch.root : H("0c"); // ids[1]: the root landed; ids[2]: a single commit did
      },
      logger,
    });
    await Promise.all([reveal(ids[0]), reveal(ids[1]), reveal(ids[1]), reveal(ids[2])]);
    expect(lookups).toEqual([ids[1], ids[2]]); // ids[0] was known; ids[1] asked twice at once: one run
    expect(sent.map((s) => [s.taskId, s.root?.index])).toEqual([
      [ids[0], 0],
      [ids[1], 1],
      [ids[2], undefined],
    ]);
    expect(sent[0].root?.batch.root).toBe(batch.root);
    expect(ids.map((id) => journals.journal.get(String(id))?.rooted)).toEqual([true, true, false]);
    expect(ids.map((id) => journals.journal.get(String(id))?.revealed)).toEqual([true, true, true]);
  });

  it("nothing committed on chain: no reveal, and the entry stays for a later try", async () => {
    const { journals } = journalsIn();
    batchOf(journals);
    const sent: RevealItem[] = [];
    const reveal = createRevealHandler({
      ...journals,
      reveal: async (item) => sent.push(item),
      committedAs: async () => undefined,
      logger,
    });
    await reveal(ids[0]);
    expect(sent).toEqual([]);
    expect(journals.journal.get(String(ids[0]))?.revealed).toBeUndefined();
  });

  it("a task settled while its reveal ran is not brought back into the journal", async () => {
    const { journals } = journalsIn();
    journals.journal.set("8", pending(8));
    const reveal = createRevealHandler({
      ...journals,
      reveal: async () => forgetCommitment(journals, "8"), // TaskFinalized handled before the send resolved
      logger,
    });
    await reveal(8n);
    expect(journals.journal.get("8")).toBeUndefined();
  });
});
