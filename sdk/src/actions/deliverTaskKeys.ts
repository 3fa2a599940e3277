import type { Address, BlockNumber, Chain, Client, Hex, ReadContractErrorType, Transport } from "viem";
import { getContractEvents } from "viem/actions";
import { getAction } from "viem/utils";
import { grantTaskKey, openPrompt, promptRecipients, type Recipient, type TaskKey } from "../crypto/envelope.ts";
import type { EncryptionKeys } from "../crypto/keys.ts";
import type {
  EnvelopeTamperedErrorType,
  InvalidEnvelopeErrorType,
  NotARecipientErrorType,
  StaleRecipientKeyErrorType,
} from "../errors/crypto.ts";
import { NotFoundError, type NotFoundErrorType } from "../errors/task.ts";
import { iCorNetworkAbi } from "../generated/abis.ts";
import type { ContentStore, StorageError } from "../storage/index.ts";
import { getTaskLogs } from "../utils/logs.ts";
import type { NetworkParameter } from "../utils/write.ts";
import { getRecipientKeys } from "./getRecipientKeys.ts";
import { getTask } from "./getTask.ts";

/** Path of a miner's key-grant endpoint, under the endpoint URL it registered. */
export const grantPath = (taskId: bigint) => `/v1/tasks/${taskId}/key`;

export type DeliverTaskKeysParameters = NetworkParameter & {
  taskId: bigint;
  /** Where the prompt envelope is (to recover the task key with `encryption.keys` when `taskKey` is not given). */
  store: Pick<ContentStore, "get">;
  encryption: {
    /** The client's keys: the envelope wraps the task key to `keys[0]` (node id 0). */
    keys: EncryptionKeys;
    /** The task key, if the caller still holds it (submitTask returns it); saves one fetch and one X25519. */
    taskKey?: TaskKey | undefined;
  };
  /** Miners to grant the key to; default the task's assigned miners (getTask). */
  miners?: readonly number[] | undefined;
  /** First block of the task's events (the submit block). Default 0. */
  fromBlock?: BlockNumber | undefined;
  /** Per-miner HTTP timeout, ms. Default 5000. */
  timeout?: number | undefined;
};

export type DeliverTaskKeysReturnType = {
  /** Miners now holding the key: granted over HTTP, or already in the prompt envelope under their current key. */
  delivered: number[];
  /** Miners the grant could not reach (no endpoint, HTTP error): they cannot work; their slots expire and are reassigned. */
  failed: { nodeId: number; error: string }[];
};

export type DeliverTaskKeysErrorType =
  | NotFoundErrorType
  | NotARecipientErrorType
  | StaleRecipientKeyErrorType
  | EnvelopeTamperedErrorType
  | InvalidEnvelopeErrorType
  | StorageError
  | ReadContractErrorType;

/** @internal Where a task's events and content are: what the encrypted-task helpers below read. */
export type TaskContentContext = {
  network: Address;
  taskId: bigint;
  store: Pick<ContentStore, "get">;
  fromBlock: BlockNumber;
};

/** @internal The prompt envelope of a task (from its TaskSubmitted event) and its submission context. */
export async function getPromptEnvelope(
  client: Client<Transport, Chain | undefined>,
  p: TaskContentContext,
): Promise<{ envelope: Uint8Array; promptCid: string; promptHash: Hex; sessionId: number }> {
  const [submitted] = await getTaskLogs(client, { ...p, eventNames: ["TaskSubmitted"] });
  if (!submitted) {
    throw new NotFoundError({
      kind: "task",
      id: p.taskId,
      details: `no TaskSubmitted event from block ${p.fromBlock}`,
    });
  }
  const { promptCid, promptHash, sessionId } = submitted.args;
  return { envelope: await p.store.get(promptCid), promptCid, promptHash, sessionId };
}

/**
 * The task key of an encrypted task, recovered from its prompt envelope (found through the task's TaskSubmitted
 * event from `fromBlock`) with keys the envelope is wrapped to: the submitter's, a router's or a miner's. Also
 * returns the envelope and the decrypted prompt. Throws NotFoundError without a TaskSubmitted event, and the
 * envelope errors of openPrompt (NotARecipientError, EnvelopeTamperedError, …).
 *
 * @example
 * const { taskKey, plaintext } = await recoverTaskKey(client, { network, taskId, store, fromBlock, keys })
 */
export async function recoverTaskKey(
  client: Client<Transport, Chain | undefined>,
  p: TaskContentContext & { keys: EncryptionKeys },
): Promise<{ taskKey: TaskKey; envelope: Uint8Array; plaintext: Uint8Array }> {
  const { envelope, sessionId } = await getPromptEnvelope(client, p);
  const opened = await openPrompt({ envelope, keys: p.keys, sessionId, taskId: p.taskId });
  return { taskKey: opened.taskKey, envelope, plaintext: opened.plaintext };
}

/** @internal The endpoint URL a node registered (NodeRegistered, or its latest NodeUpdated). */
export async function getNodeEndpoint(
  client: Client<Transport, Chain | undefined>,
  p: { network: Address; nodeId: number },
): Promise<string | undefined> {
  const events = getAction(client, getContractEvents, "getContractEvents");
  const [registered, updated] = await Promise.all(
    (["NodeRegistered", "NodeUpdated"] as const).map((eventName) =>
      events({ address: p.network, abi: iCorNetworkAbi, eventName, args: { nodeId: p.nodeId }, fromBlock: 0n }),
    ),
  );
  const last = [...registered, ...updated].sort((a, b) =>
    a.blockNumber === b.blockNumber
      ? (a.logIndex ?? 0) - (b.logIndex ?? 0)
      : Number((a.blockNumber ?? 0n) - (b.blockNumber ?? 0n)),
  );
  return (last.at(-1)?.args as { endpoint?: string } | undefined)?.endpoint;
}

/**
 * Grants an encrypted task's key to its assigned miners: the path by which miners assigned after submission
 * (Router and Claim modes, reassigned slots, a miner that rotated its key) can read the prompt.
 *
 * Reads each miner's current registered key (getNode) and endpoint (its registration events), wraps the task key to
 * them in one grant and POSTs it to `<endpoint>/v1/tasks/<taskId>/key`. The grant only opens this task's envelope
 * and only for those keys, so it can travel over plain HTTP. Miners already in the envelope under their current key
 * are skipped. `waitForTaskResult(…, { encryption })` calls this on every TaskAssigned; call it yourself from any
 * watcher that holds the client's keys.
 *
 * @param client - Any client.
 * @param parameters - {@link DeliverTaskKeysParameters}
 * @returns Which miners hold the key now. {@link DeliverTaskKeysReturnType}
 *
 * @example
 * const { delivered, failed } = await deliverTaskKeys(client, { network, taskId, store, encryption: { keys } })
 */
export async function deliverTaskKeys<chain extends Chain | undefined>(
  client: Client<Transport, chain>,
  parameters: DeliverTaskKeysParameters,
): Promise<DeliverTaskKeysReturnType> {
  const c: Client<Transport, Chain | undefined> = client;
  const { network, taskId } = parameters;
  const fromBlock = parameters.fromBlock ?? 0n;
  const miners =
    parameters.miners ?? (await getTask(c, { network, taskId })).slots.map((s) => s.nodeId).filter((id) => id !== 0);
  let taskKey = parameters.encryption.taskKey;
  let inEnvelope: Recipient[] = [];
  if (!taskKey) {
    const recovered = await recoverTaskKey(c, {
      network,
      taskId,
      store: parameters.store,
      fromBlock,
      keys: parameters.encryption.keys,
    });
    taskKey = recovered.taskKey;
    inEnvelope = promptRecipients(recovered.envelope);
  }
  const current = await getRecipientKeys(c, { network, nodeIds: [...new Set(miners)] });
  const delivered: number[] = [];
  const failed: DeliverTaskKeysReturnType["failed"] = [];
  for (const id of miners)
    if (!current.some((r) => r.nodeId === id)) failed.push({ nodeId: id, error: "no encryption key registered" });
  const toGrant = current.filter((r) => {
    const covered = inEnvelope.some(
      (e) => e.nodeId === r.nodeId && e.publicKey.toLowerCase() === r.publicKey.toLowerCase(),
    );
    if (covered) delivered.push(r.nodeId);
    return !covered;
  });
  if (toGrant.length === 0) return { delivered, failed };
  const grant = await grantTaskKey({ taskKey, taskId, recipients: toGrant });
  await Promise.all(
    toGrant.map(async ({ nodeId }) => {
      try {
        const endpoint = await getNodeEndpoint(c, { network, nodeId });
        if (!endpoint) throw new Error("no endpoint registered");
        const res = await fetch(new URL(grantPath(taskId), endpoint), {
          method: "POST",
          headers: { "content-type": "application/octet-stream" },
          body: grant as Uint8Array<ArrayBuffer>,
          signal: AbortSignal.timeout(parameters.timeout ?? 5000),
        });
        if (!res.ok) throw new Error(`HTTP ${res.status}: ${(await res.text()).slice(0, 200)}`);
        delivered.push(nodeId);
      } catch (err) {
        failed.push({ nodeId, error: (err as Error).message });
      }
    }),
  );
  return { delivered, failed };
}
