import type { Hex } from "viem";
import { assignTask } from "../actions/assignTask.ts";
import { assignTasks } from "../actions/assignTasks.ts";
import { commitResult } from "../actions/commitResult.ts";
import { type CreateSessionParameters, createSession } from "../actions/createSession.ts";
import { registerNode } from "../actions/registerNode.ts";
import { type RevealResultReturnType, revealResult } from "../actions/revealResult.ts";
import { submitTask } from "../actions/submitTask.ts";
import { submitTasks } from "../actions/submitTasks.ts";
import type { ContentStore } from "../storage/index.ts";
import { parseCor } from "../utils/units.ts";
import type { CorTestNetwork } from "./fixture.ts";

/** Funds anvil accounts `indexes` with `stake` COR and registers each as a miner of the deployment's model. */
export async function registerMiners(
  net: CorTestNetwork,
  indexes: readonly number[],
  opts: { stake?: bigint } = {},
): Promise<number[]> {
  const stake = opts.stake ?? parseCor("100");
  const ids: number[] = [];
  for (const i of indexes) {
    await net.fund(i, stake);
    const { nodeId } = await registerNode(net.client(i), {
      network: net.deployment.network,
      role: "Miner",
      stake,
      models: [net.deployment.modelId],
      endpoint: `http://miner-${i}.test`,
    });
    ids.push(nodeId);
  }
  return ids;
}

/** Funds account `owner` with the deposit and opens a session on the deployment's model. */
export async function openSession(
  net: CorTestNetwork,
  owner: number,
  config: Omit<CreateSessionParameters, "network" | "modelId"> & { modelId?: Hex },
): Promise<number> {
  await net.fund(owner, config.deposit);
  const { sessionId } = await createSession(net.client(owner), {
    network: net.deployment.network,
    modelId: net.deployment.modelId,
    ...config,
  });
  return sessionId;
}

/**
 * Submits one task per prompt to `sessionId` (owned by anvil account `owner`, default 1) in one transaction, then
 * assigns every one of them to `miners` (node ids, slot order) in one transaction. Returns the task ids in order.
 */
export async function submitAssigned(
  net: CorTestNetwork,
  p: {
    owner?: number;
    sessionId: number;
    store: Pick<ContentStore, "add">;
    prompts: readonly string[];
    miners: readonly number[];
  },
): Promise<bigint[]> {
  const network = net.deployment.network;
  const owner = net.client(p.owner ?? 1);
  const { tasks } = await submitTasks(owner, {
    network,
    sessionId: p.sessionId,
    store: p.store,
    tasks: p.prompts.map((prompt) => ({ prompt })),
  });
  const ids = tasks.map((t) => t.taskId);
  await assignTasks(owner, { network, assignments: ids.map((taskId) => ({ taskId, nodeIds: [...p.miners] })) });
  return ids;
}

export type PlayedMiner = {
  /** Anvil account of an assigned miner. */
  index: number;
  /** The result it commits to (and reveals, unless `upload` says otherwise). */
  result: string;
  tokens: number;
  /** Bytes actually uploaded and revealed as CID (default: `result`): lets a test serve tampered content. */
  upload?: string;
};

/**
 * Plays the miners of a task by hand (no agents): every miner commits, then every miner reveals, in order.
 * Returns each reveal's result; the last one carries the settlement.
 */
export async function playMiners(
  net: CorTestNetwork,
  p: { taskId: bigint; store: Pick<ContentStore, "add">; miners: readonly PlayedMiner[] },
): Promise<RevealResultReturnType[]> {
  const network = net.deployment.network;
  const commits = [];
  for (const m of p.miners) {
    commits.push(
      await commitResult(net.client(m.index), { network, taskId: p.taskId, result: m.result, tokens: m.tokens }),
    );
  }
  const reveals: RevealResultReturnType[] = [];
  for (const [k, m] of p.miners.entries()) {
    const { slot, salt, resultHash } = commits[k];
    const { cid } = await p.store.add(m.upload ?? m.result);
    reveals.push(
      await revealResult(net.client(m.index), {
        network,
        taskId: p.taskId,
        slot,
        salt,
        resultHash,
        resultCid: cid,
        tokens: m.tokens,
      }),
    );
  }
  return reveals;
}

/**
 * Submits a task to `sessionId` (owned by account `owner`), assigns it to `miners` (node ids) and, when `play` is
 * given, plays those miners (anvil accounts, same order) through commit and reveal. Returns the task id and the
 * reveals (the last carries the settlement: "Validating" when an Embedding session's results differ).
 */
export async function runTask(
  net: CorTestNetwork,
  p: {
    owner: number;
    sessionId: number;
    miners: readonly number[];
    store: Pick<ContentStore, "add">;
    play?: readonly PlayedMiner[];
  },
): Promise<{ taskId: bigint; reveals: RevealResultReturnType[] }> {
  const network = net.deployment.network;
  const owner = net.client(p.owner);
  const { taskId } = await submitTask(owner, {
    network,
    sessionId: p.sessionId,
    prompt: "Once upon a time",
    store: p.store,
  });
  await assignTask(owner, { network, taskId, nodeIds: p.miners });
  const reveals = p.play ? await playMiners(net, { taskId, store: p.store, miners: p.play }) : [];
  return { taskId, reveals };
}
