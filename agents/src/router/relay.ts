import type { TaskEvent } from "./state.ts";

type Relayed = Extract<TaskEvent, { type: "token" }>;

type TaskStream = {
  /** Miner whose tokens are relayed now. */
  source?: number;
  relayed: Relayed[];
  /** Tokens received per miner, by index (every assigned miner streams the same task). */
  buffers: Map<number, string[]>;
  /** Miners that sent their last token (`done`): losing them later loses nothing. */
  complete: Set<number>;
  /** Miners assigned to the task (candidates to fail over to). */
  miners: number[];
  /** The source that dropped while no other miner had reached its index yet (reported at the take-over). */
  lostSource?: number;
  ended: boolean;
};

/**
 * Optimistic stream relay with failover. The first miner to produce a task's first token is relayed; when its
 * connection drops before it finished, the relay continues from another assigned miner's stream at the same
 * token index, so the client sees one uninterrupted stream. When no live source is left it ends the task's
 * stream with an `error` event at once.
 */
export const createStreamRelay = (opts: { emit: (e: TaskEvent) => void; isLive: (nodeId: number) => boolean }) => {
  const tasks = new Map<string, TaskStream>();
  const ensure = (taskId: string): TaskStream => {
    let t = tasks.get(taskId);
    if (!t) tasks.set(taskId, (t = { relayed: [], buffers: new Map(), complete: new Set(), miners: [], ended: false }));
    return t;
  };
  /** Relays the source's tokens from the next index on, as far as they are contiguous. */
  const flush = (taskId: string, t: TaskStream) => {
    const buf = t.source === undefined ? undefined : t.buffers.get(t.source);
    if (!buf || t.source === undefined) return;
    while (buf[t.relayed.length] !== undefined) {
      const e: Relayed = {
        type: "token",
        taskId,
        nodeId: t.source,
        index: t.relayed.length,
        piece: buf[t.relayed.length],
      };
      t.relayed.push(e);
      opts.emit(e);
    }
  };
  /** A miner can take over when it has the next token the client has not seen yet. */
  const canTakeOver = (t: TaskStream, id: number) => t.buffers.get(id)?.[t.relayed.length] !== undefined;
  const takeOver = (taskId: string, t: TaskStream, from: number | undefined) => {
    t.lostSource = undefined;
    opts.emit({
      type: "status",
      taskId,
      status: "StreamFailover",
      detail: { from: from ?? null, to: t.source, index: t.relayed.length },
    });
    flush(taskId, t);
  };
  const end = (taskId: string, t: TaskStream, code: string, message: string) => {
    t.ended = true;
    opts.emit({ type: "error", taskId, code, message });
  };
  const failover = (taskId: string, t: TaskStream, lost: number) => {
    const candidates = [...new Set([...t.miners, ...t.buffers.keys()])].filter((id) => id !== lost && id !== 0);
    const alive = candidates.filter((id) => opts.isLive(id) || t.complete.has(id));
    const ready = alive
      .filter((id) => canTakeOver(t, id))
      .sort((a, b) => (t.buffers.get(b)?.length ?? 0) - (t.buffers.get(a)?.length ?? 0));
    const from = t.source ?? t.lostSource;
    t.source = ready[0];
    if (t.source !== undefined) {
      takeOver(taskId, t, from);
      return;
    }
    t.lostSource = from;
    if (!alive.some((id) => !t.complete.has(id))) {
      end(
        taskId,
        t,
        "stream_lost",
        `Task ${taskId}: every miner streaming it disconnected after ${t.relayed.length} tokens`,
      );
    }
    // Otherwise a live assigned miner has not reached this index yet: it becomes the source when it does.
  };
  return {
    /** Starts tracking a task this router submitted (its stream can be ended before any miner streams). */
    track: (taskId: string) => {
      ensure(taskId);
    },
    /** The task's assigned miners (from TaskAssigned, including replacements). */
    assigned: (taskId: string, miners: number[]) => {
      ensure(taskId).miners = miners.filter((id) => id !== 0);
    },
    token: (nodeId: number, taskId: string, index: number, piece: string) => {
      const t = ensure(taskId);
      if (t.ended) return;
      let buf = t.buffers.get(nodeId);
      if (!buf) t.buffers.set(nodeId, (buf = []));
      buf[index] = piece;
      if (t.source === undefined && canTakeOver(t, nodeId)) {
        t.source = nodeId;
        // A live miner that was behind when the source dropped reached the index: it takes over now.
        if (t.relayed.length > 0) return takeOver(taskId, t, t.lostSource);
      }
      if (t.source === nodeId) flush(taskId, t);
    },
    done: (nodeId: number, taskId: string) => {
      tasks.get(taskId)?.complete.add(nodeId);
    },
    /** A miner's connection dropped: every task it was the source of fails over. */
    lost: (nodeId: number) => {
      for (const [taskId, t] of tasks) {
        if (t.ended || t.complete.has(nodeId)) continue;
        if (t.source === nodeId || (t.source === undefined && t.miners.includes(nodeId))) failover(taskId, t, nodeId);
      }
    },
    /** Ends a task's stream with an error (the task failed on chain, the router is stopping). */
    fail: (taskId: string, code: string, message: string) => {
      const t = ensure(taskId);
      if (!t.ended) end(taskId, t, code, message);
    },
    /** The task is final: nothing more is relayed; its log is kept for `keepMs` for late readers. */
    finish: (taskId: string, keepMs = 60_000) => {
      const t = tasks.get(taskId);
      if (!t) return;
      t.ended = true;
      t.buffers.clear();
      setTimeout(() => tasks.delete(taskId), keepMs).unref?.();
    },
    /** Tokens relayed so far (a late subscriber starts from these). */
    log: (taskId: string): readonly Relayed[] => tasks.get(taskId)?.relayed ?? [],
    source: (taskId: string) => tasks.get(taskId)?.source,
    openTasks: () => [...tasks.entries()].filter(([, t]) => !t.ended).map(([id]) => id),
  };
};
export type StreamRelay = ReturnType<typeof createStreamRelay>;
