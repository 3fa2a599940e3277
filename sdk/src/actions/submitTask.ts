import {
  type Account,
  type Address,
  type Chain,
  type Client,
  type Hash,
  type Hex,
  parseEventLogs,
  type Transport,
} from "viem";
import type { Recipient } from "../crypto/envelope.ts";
import { sealPrompt, type TaskKey } from "../crypto/envelope.ts";
import type { EncryptionKeys } from "../crypto/keys.ts";
import { EncryptionKeyRequiredError, type InvalidEnvelopeErrorType } from "../errors/crypto.ts";
import type { NotFoundErrorType } from "../errors/task.ts";
import { iCorNetworkAbi } from "../generated/abis.ts";
import type { ContentStore, StorageError } from "../storage/index.ts";
import { type TaskStatusName, taskStatusNameOf } from "../utils/enums.ts";
import { contentHashOf as contentHash } from "../utils/hash.ts";
import { type NetworkWriteErrorType, type WriteParameters, writeNetwork } from "../utils/write.ts";
import { type DeliverTaskKeysReturnType, deliverTaskKeys } from "./deliverTaskKeys.ts";
import { getRecipientKeys } from "./getRecipientKeys.ts";
import { getSession } from "./getSession.ts";

/** End-to-end encryption of a task (docs/privacy.md). */
export type TaskEncryption = {
  /** The client's X25519 keys; the task key is wrapped to `keys[0]` so the client can always recover it. */
  keys: EncryptionKeys;
  /** Also wrap to every Active validator's registered key (they must read results to check them). Default true. */
  validators?: boolean | undefined;
  /** More recipients known at submission (e.g. a Dedicated session's miners). */
  recipients?: readonly Recipient[] | undefined;
  /** Where key grants are sent from for miners assigned in the submit transaction (Dedicated mode). */
  store?: Pick<ContentStore, "get"> | undefined;
};

type PromptSource =
  | {
      /** Prompt text (UTF-8) or bytes: uploaded to `store`, hashed with contentHash(). */
      prompt: string | Uint8Array;
      /** Where prompts are stored (the embedded store, or Kubo). */
      store: Pick<ContentStore, "add">;
      promptCid?: undefined;
      promptHash?: undefined;
    }
  | {
      /** CID of a prompt already on IPFS. */
      promptCid: string;
      /** contentHash() of its exact bytes. */
      promptHash: Hex;
      prompt?: undefined;
      store?: undefined;
    };

export type SubmitTaskParameters = WriteParameters &
  PromptSource & {
    sessionId: number;
    /** Max output tokens per miner; default the session's maxTokens. Escrow = R × maxTokens × pricePerToken. */
    maxTokens?: number | undefined;
    /**
     * Encrypt the prompt end to end: IPFS gets an envelope, `promptHash` still commits to the plaintext. Required
     * in a session created with `encrypted: true` (its miners refuse plaintext prompts); also allowed in a
     * plaintext session (miners recognise the envelope).
     */
    encryption?: TaskEncryption | undefined;
  };

export type SubmitTaskReturnType = {
  /** `sessionId << 32 | index`. */
  taskId: bigint;
  promptCid: string;
  promptHash: Hex;
  /** Max output tokens per miner, as submitted. */
  maxTokens: number;
  /** COR (wei) moved from the session's free balance into the task's escrow. */
  escrow: bigint;
  /** Status right after submission: Queued, or Committing when a Dedicated session assigned it at once. */
  status: TaskStatusName;
  /** Block of the submission: pass it as `fromBlock` to waitForTaskResult / watchTask. */
  blockNumber: bigint;
  hash: Hash;
  /** Encrypted tasks: the task key (keep it in memory to skip recovering it from the envelope later). */
  taskKey?: TaskKey | undefined;
  /** Encrypted tasks assigned in the submit transaction (Dedicated mode): the key grants sent to their miners. */
  keyDelivery?: DeliverTaskKeysReturnType | undefined;
};

export type SubmitTaskErrorType = NetworkWriteErrorType | NotFoundErrorType | StorageError | InvalidEnvelopeErrorType;

/**
 * @internal What to store for a prompt (submitTask, submitTaskWagmi): the plaintext, or with `encryption` an
 * envelope (task key wrapped to the client, the Active validators and `recipients`). Never a silent plaintext
 * fallback: an encrypted session without `encryption` is refused.
 */
export async function preparePrompt(
  client: Client<Transport, Chain | undefined>,
  p: {
    network: Address;
    sessionId: number;
    bytes: Uint8Array;
    sessionEncrypted: boolean;
    encryption?: TaskEncryption | undefined;
  },
): Promise<{ stored: Uint8Array; taskKey?: TaskKey | undefined }> {
  const { encryption } = p;
  if (!encryption) {
    if (p.sessionEncrypted) {
      throw new EncryptionKeyRequiredError({
        details: `session ${p.sessionId} is encrypted: pass \`encryption: { keys }\` so the prompt is sealed, not sent in plaintext`,
      });
    }
    return { stored: p.bytes };
  }
  const own = encryption.keys.keys[0];
  if (!own) throw new EncryptionKeyRequiredError({ details: "`encryption.keys` holds no key pair" });
  const validators =
    encryption.validators === false ? [] : await getRecipientKeys(client, { network: p.network, role: "Validator" });
  const sealed = await sealPrompt({
    plaintext: p.bytes,
    sessionId: p.sessionId,
    recipients: [{ nodeId: 0, publicKey: own.publicKey }, ...validators, ...(encryption.recipients ?? [])],
  });
  return { stored: sealed.envelope, taskKey: sealed.taskKey };
}

/**
 * Submits a task to a session: uploads the prompt bytes to the content store (→ CID), commits to them with
 * `promptHash = contentHash(bytes)`, and escrows R × maxTokens × pricePerToken from the session's free balance.
 * The signer must be the session owner or an authorized submitter.
 *
 * @param client - Client with an account (or pass `account`).
 * @param parameters - {@link SubmitTaskParameters}
 * @returns Task id, prompt CID and hash, escrow. {@link SubmitTaskReturnType}
 *
 * @example
 * const store = await createEmbeddedStore({ directory: '.cor/ipfs' })
 * const { taskId, blockNumber } = await submitTask(client, {
 *   network: deployment.network,
 *   sessionId,
 *   prompt: 'Once upon a time',
 *   store,
 *   maxTokens: 64,
 * })
 * const result = await waitForTaskResult(client, { network: deployment.network, taskId, store, fromBlock: blockNumber })
 */
export async function submitTask<chain extends Chain | undefined, account extends Account | undefined>(
  client: Client<Transport, chain, account>,
  parameters: SubmitTaskParameters,
): Promise<SubmitTaskReturnType> {
  const { network, sessionId } = parameters;
  let promptCid: string;
  let promptHash: Hex;
  let taskKey: TaskKey | undefined;
  const { encryption } = parameters;
  const session = await getSession(client, { network, sessionId });
  if (parameters.prompt !== undefined) {
    const bytes =
      typeof parameters.prompt === "string" ? new TextEncoder().encode(parameters.prompt) : parameters.prompt;
    promptHash = contentHash(bytes);
    const prepared = await preparePrompt(client, {
      network,
      sessionId,
      bytes,
      sessionEncrypted: session.encrypted,
      encryption,
    });
    taskKey = prepared.taskKey;
    promptCid = (await parameters.store.add(prepared.stored)).cid;
  } else {
    if (encryption) {
      throw new EncryptionKeyRequiredError({
        details: "`encryption` needs the plaintext `prompt` (it seals it): a pre-uploaded promptCid is sent as is",
      });
    }
    promptCid = parameters.promptCid;
    promptHash = parameters.promptHash;
  }
  const maxTokens = parameters.maxTokens ?? session.maxTokens;

  const { hash, receipt } = await writeNetwork(client, {
    network,
    functionName: "submitTask",
    args: [sessionId, promptHash, promptCid, maxTokens],
    account: parameters.account,
    receiptTimeout: parameters.receiptTimeout,
  });
  const [submitted] = parseEventLogs({ abi: iCorNetworkAbi, logs: receipt.logs, eventName: "TaskSubmitted" });
  let status: TaskStatusName = "Queued";
  const phases = parseEventLogs({
    abi: iCorNetworkAbi,
    logs: receipt.logs,
    eventName: ["TaskAssigned", "TaskPhaseChanged"],
  });
  let miners: readonly number[] = [];
  for (const log of phases) {
    status = taskStatusNameOf(log.args.status);
    if (log.eventName === "TaskAssigned") miners = log.args.miners;
  }
  const keyDelivery =
    taskKey && encryption && miners.length
      ? await deliverTaskKeys(client, {
          network,
          taskId: submitted.args.taskId,
          store: encryption.store ?? { get: () => Promise.reject(new Error("no store")) },
          encryption: { keys: encryption.keys, taskKey },
          miners,
        })
      : undefined;
  return {
    taskId: submitted.args.taskId,
    promptCid,
    promptHash,
    maxTokens,
    escrow: submitted.args.escrow,
    status,
    blockNumber: receipt.blockNumber,
    hash,
    taskKey,
    keyDelivery,
  };
}
