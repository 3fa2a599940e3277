import {
  type ContentStore,
  contentHash,
  type EncryptionKeys,
  EnvelopeTamperedError,
  getTaskLogs,
  isEnvelope,
  NotFoundError,
  openAssignedPrompt,
  openResult,
  type TaskKey,
} from "@cor-network/sdk";
import type { Address, Chain, Client, Transport } from "viem";

/**
 * The validator's side of end-to-end encryption (docs/privacy.md): clients wrap each encrypted task's key to every
 * Active validator at submission, so a validator recovers it from the prompt envelope and reads the results (and,
 * for replay, the prompt) it must check. A validator without a wrapped key (registered after the submission, or
 * rotated its key away) throws MissingWrappedKeyError / StaleRecipientKeyError, and a prompt that does not match
 * its on-chain hash EnvelopeTamperedError: it must not attest, since it
 * cannot tell good results from bad ones. A result that does not decrypt under the task key is the miner's fault:
 * it reads as empty, and scores lowest.
 */
export const createValidatorPrivacy = (opts: {
  client: Client<Transport, Chain | undefined>;
  network: Address;
  fromBlock: bigint;
  store: Pick<ContentStore, "get">;
  keys: () => EncryptionKeys;
}) => {
  const taskKeys = new Map<string, Promise<{ taskKey: TaskKey; prompt: Uint8Array }>>();
  const opened = (taskId: bigint) => {
    const key = taskId.toString();
    let hit = taskKeys.get(key);
    if (!hit) {
      hit = (async () => {
        const [submitted] = await getTaskLogs(opts.client, { ...opts, taskId, eventNames: ["TaskSubmitted"] });
        if (!submitted) throw new NotFoundError({ kind: "task", id: taskId, details: "no TaskSubmitted event" });
        const { promptCid, sessionId, promptHash } = submitted.args;
        const envelope = await opts.store.get(promptCid);
        const o = await openAssignedPrompt({ envelope, keys: opts.keys(), sessionId, taskId });
        if (contentHash(o.plaintext) !== promptHash) {
          throw new EnvelopeTamperedError({
            kind: "prompt",
            taskId,
            details: "the decrypted prompt does not match the on-chain promptHash",
          });
        }
        return { taskKey: o.taskKey, prompt: o.plaintext };
      })();
      hit.catch(() => taskKeys.delete(key));
      taskKeys.set(key, hit);
    }
    return hit;
  };
  return {
    /** The plaintext of a revealed result as stored (an envelope is decrypted; a bad one reads as empty). */
    readResult: async (taskId: bigint, stored: Uint8Array): Promise<Uint8Array> => {
      if (!isEnvelope(stored)) return stored;
      const { taskKey } = await opened(taskId);
      try {
        return openResult({ taskKey, taskId, envelope: stored }).plaintext;
      } catch {
        return new Uint8Array();
      }
    },
    /** The plaintext prompt of an encrypted task (replay validation). */
    readPrompt: async (taskId: bigint): Promise<Uint8Array> => (await opened(taskId)).prompt,
    forget: (taskId: string) => {
      taskKeys.delete(taskId);
    },
  };
};
