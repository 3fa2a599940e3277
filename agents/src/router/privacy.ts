import {
  type ContentStore,
  deliverTaskKeys,
  type EncryptionKeys,
  getRecipientKeys,
  getSession,
  InvalidEnvelopeError,
  isEnvelope,
  NotFoundError,
  openFrame,
  openResult,
  recoverTaskKey,
  sealPrompt,
  streamKeyOf,
  type TaskKey,
} from "@cor-network/sdk";
import type { Clients } from "../shared/chain.ts";
import type { Logger } from "../shared/logger.ts";

/**
 * The router's side of end-to-end encryption (docs/privacy.md#router-mode-trust-model). For the tasks it submits
 * itself (its HTTP clients' prompts, in sessions whose on-chain `encrypted` flag is set) the router is the client:
 * it seals the prompt (task key wrapped to its own key and the active validators), grants the key to the miners
 * it assigns, opens the sealed token frames it relays and the final result. Tasks of other clients that it only
 * assigns stay opaque to it: their frames are relayed as they come, and their clients grant the keys.
 */
export const createRouterPrivacy = (opts: {
  clients: Clients;
  store: ContentStore;
  keys: EncryptionKeys;
  logger: Logger;
}) => {
  const { clients, store, keys, logger } = opts;
  const network = clients.deployment.network;
  const fromBlock = BigInt(clients.deployment.startBlock);
  const client = clients.publicClient;
  const taskKeys = new Map<string, TaskKey>();
  const encryptedSessions = new Map<number, Promise<boolean>>();
  const isEncrypted = (sessionId: number) => {
    let hit = encryptedSessions.get(sessionId);
    if (!hit) {
      // A session that does not exist is not encrypted: its submission then fails with the contract's own error.
      hit = getSession(client, { network, sessionId }).then(
        (s) => s.encrypted,
        (err) => {
          if (err instanceof NotFoundError) return false;
          throw err;
        },
      );
      hit.catch(() => encryptedSessions.delete(sessionId));
      encryptedSessions.set(sessionId, hit);
    }
    return hit;
  };

  return {
    /** The bytes to store for a prompt: an envelope when the session is encrypted (and the key to remember). */
    seal: async (sessionId: number, plaintext: Uint8Array): Promise<{ stored: Uint8Array; taskKey?: TaskKey }> => {
      if (!(await isEncrypted(sessionId))) return { stored: plaintext };
      const own = keys.keys[0];
      if (!own) throw new InvalidEnvelopeError({ kind: "prompt", details: "the router has no encryption key" });
      const validators = await getRecipientKeys(client, { network, role: "Validator" });
      const sealed = await sealPrompt({
        plaintext,
        sessionId,
        recipients: [{ nodeId: 0, publicKey: own.publicKey }, ...validators],
      });
      return { stored: sealed.envelope, taskKey: sealed.taskKey };
    },
    /** Keeps the key of a task it submitted (the newest 10 000; older ones are recovered from their envelope). */
    remember: (taskId: bigint, taskKey: TaskKey | undefined) => {
      if (!taskKey) return;
      if (taskKeys.size >= 10_000) taskKeys.delete(taskKeys.keys().next().value as string);
      taskKeys.set(taskId.toString(), taskKey);
    },
    /** Grants the key of a task this router submitted to the miners it just assigned. */
    grant: async (taskId: bigint, miners: readonly number[]) => {
      const taskKey = taskKeys.get(taskId.toString());
      if (!taskKey) return;
      const { failed } = await deliverTaskKeys(client, {
        network,
        taskId,
        store,
        encryption: { keys, taskKey },
        miners,
        fromBlock,
      });
      for (const f of failed) logger.warn(`Key grant failed task=${taskId} node=${f.nodeId}: ${f.error}`);
    },
    /** A streamed piece as the router's client should see it; undefined when a sealed frame does not open. */
    piece: (taskId: string, nodeId: number, index: number, piece: string): string | undefined => {
      const taskKey = taskKeys.get(taskId);
      if (!taskKey) return piece; // someone else's task: relayed as it came (sealed if it is encrypted)
      if (!piece.startsWith("enc:")) {
        logger.warn(`Dropped a plaintext token of encrypted task=${taskId} node=${nodeId}`);
        return undefined;
      }
      try {
        const frame = Buffer.from(piece.slice(4), "base64");
        return new TextDecoder().decode(openFrame(streamKeyOf(taskKey, BigInt(taskId), nodeId), index, frame));
      } catch {
        logger.warn(`Dropped a token frame that does not open task=${taskId} node=${nodeId} index=${index}`);
        return undefined;
      }
    },
    /** A stored result's plaintext (decrypted with the task key, recovered from the prompt envelope if needed). */
    open: async (taskId: bigint, stored: Uint8Array): Promise<Uint8Array> => {
      if (!isEnvelope(stored)) return stored;
      const taskKey =
        taskKeys.get(taskId.toString()) ??
        (await recoverTaskKey(client, { network, taskId, store, fromBlock, keys })).taskKey;
      return openResult({ taskKey, taskId, envelope: stored }).plaintext;
    },
  };
};
export type RouterPrivacy = ReturnType<typeof createRouterPrivacy>;
