import type { Account, Chain, Client, Hash, Hex, Transport } from "viem";
import type { ContentStore, StorageError } from "../storage/index.ts";
import type { TaskStatusName } from "../utils/enums.ts";
import { contentHashOf as contentHash } from "../utils/hash.ts";
import { settlementOf, type TaskSettlement } from "../utils/settlement.ts";
import { type NotAssignedError, resolveSlot } from "../utils/slot.ts";
import {
  accountAddress,
  type NetworkWriteErrorType,
  resolveAccount,
  type WriteParameters,
  writeNetwork,
} from "../utils/write.ts";

type RevealSource =
  | {
      /** The result bytes (or UTF-8 text): uploaded to `store`, hashed with contentHash(). */
      result: string | Uint8Array;
      store: Pick<ContentStore, "add">;
      resultHash?: undefined;
      resultCid?: undefined;
    }
  | {
      /** contentHash() of the result bytes, as committed. */
      resultHash: Hex;
      /** CID of the result bytes on IPFS. */
      resultCid: string;
      result?: undefined;
      store?: undefined;
    };

export type RevealResultParameters = WriteParameters &
  RevealSource & {
    taskId: bigint;
    /** The salt used by commitResult. */
    salt: Hex;
    /** Output tokens produced (≤ the task's maxTokens); the miner is paid tokens × pricePerToken if accepted. */
    tokens: number;
    /** The signer's slot; found from the slot table when omitted. */
    slot?: number | undefined;
  };

export type RevealResultReturnType = {
  slot: number;
  resultHash: Hex;
  resultCid: string;
  /**
   * Task status after the reveal: Revealing while others have not revealed; Finalized when this was the last
   * reveal and results agreed (fast path) or settled by majority; Validating in Embedding mode; Failed.
   */
  status: TaskStatusName;
  /** Present when this reveal settled the task. */
  finalized?: TaskSettlement["finalized"];
  /** Present when this reveal failed the task. */
  failed?: TaskSettlement["failed"];
  hash: Hash;
};

export type RevealResultErrorType = NetworkWriteErrorType | NotAssignedError | StorageError;

/**
 * Miner side, step 2: reveals the committed result hash with its salt, the result CID and the output token
 * count. The contract checks it against the commitment (CommitmentMismatch otherwise). The last reveal settles
 * the task at once when every revealed hash is equal.
 *
 * @param client - Client with the assigned miner's account (or pass `account`).
 * @param parameters - {@link RevealResultParameters}
 * @returns The status after the reveal. {@link RevealResultReturnType}
 *
 * @example
 * const { status } = await revealResult(client, { network, taskId, salt, result: text, tokens: 42, store })
 */
export async function revealResult<chain extends Chain | undefined, account extends Account | undefined>(
  client: Client<Transport, chain, account>,
  parameters: RevealResultParameters,
): Promise<RevealResultReturnType> {
  const { network, taskId } = parameters;
  let resultHash: Hex;
  let resultCid: string;
  if (parameters.result !== undefined) {
    const bytes =
      typeof parameters.result === "string" ? new TextEncoder().encode(parameters.result) : parameters.result;
    resultHash = contentHash(bytes);
    resultCid = (await parameters.store.add(bytes)).cid;
  } else {
    resultHash = parameters.resultHash;
    resultCid = parameters.resultCid;
  }
  const slot =
    parameters.slot ??
    (await resolveSlot(client, {
      network,
      taskId,
      account: accountAddress(resolveAccount(client, parameters.account)),
    }));
  const { hash, receipt } = await writeNetwork(client, {
    network,
    functionName: "reveal",
    args: [taskId, slot, resultHash, parameters.salt, parameters.tokens, resultCid],
    account: parameters.account,
    receiptTimeout: parameters.receiptTimeout,
  });
  return { slot, resultHash, resultCid, ...settlementOf(receipt.logs, taskId, "Revealing"), hash };
}
