import {
  type Account,
  type Chain,
  type Client,
  type Hash,
  type Hex,
  parseEventLogs,
  type Transport,
  toHex,
} from "viem";
import { iCorNetworkAbi } from "../generated/abis.ts";
import { type TaskStatusName, taskStatusNameOf } from "../utils/enums.ts";
import { commitmentOf, contentHashOf as contentHash } from "../utils/hash.ts";
import { type NotAssignedError, resolveSlot } from "../utils/slot.ts";
import {
  accountAddress,
  type NetworkWriteErrorType,
  resolveAccount,
  type WriteParameters,
  writeNetwork,
} from "../utils/write.ts";

type ResultSource =
  | {
      /** The result bytes (or UTF-8 text) the miner will upload and reveal. */
      result: string | Uint8Array;
      resultHash?: undefined;
    }
  | {
      /** contentHash() of the result bytes. */
      resultHash: Hex;
      result?: undefined;
    };

export type CommitResultParameters = WriteParameters &
  ResultSource & {
    taskId: bigint;
    /** Output token count of the result: committed now, revealed (and paid) later. */
    tokens: number;
    /** The signer's slot on the task; found from the slot table when omitted. */
    slot?: number | undefined;
    /** 32 random bytes; generated when omitted. Keep it: the reveal needs the same salt. */
    salt?: Hex | undefined;
  };

export type CommitResultReturnType = {
  slot: number;
  resultHash: Hex;
  /** Needed by revealResult: store it with the result until the reveal. */
  salt: Hex;
  commitment: Hex;
  /** Task status after the commit: Revealing once every slot committed. */
  status: TaskStatusName;
  hash: Hash;
};

export type CommitResultErrorType = NetworkWriteErrorType | NotAssignedError;

/** 32 cryptographically random bytes as hex: a fresh commitment salt. */
export const randomSalt = (): Hex => toHex(globalThis.crypto.getRandomValues(new Uint8Array(32)));

/**
 * Miner side, step 1: precommits to a result with `keccak256(abi.encode(taskId, miner, resultHash, tokens, salt))`
 * before the precommit deadline. Binding the miner's address stops others from copying the commitment.
 *
 * @param client - Client with the assigned miner's account (or pass `account`).
 * @param parameters - {@link CommitResultParameters}
 * @returns Slot, salt and commitment. {@link CommitResultReturnType}
 *
 * @example
 * const { salt, slot } = await commitResult(client, { network, taskId, result: text, tokens: 42 })
 * // … once every slot committed (status Revealing):
 * await revealResult(client, { network, taskId, slot, salt, result: text, tokens: 42, store })
 */
export async function commitResult<chain extends Chain | undefined, account extends Account | undefined>(
  client: Client<Transport, chain, account>,
  parameters: CommitResultParameters,
): Promise<CommitResultReturnType> {
  const { network, taskId } = parameters;
  const miner = accountAddress(resolveAccount(client, parameters.account));
  const resultHash = parameters.resultHash ?? contentHash(parameters.result as string | Uint8Array);
  const salt = parameters.salt ?? randomSalt();
  const slot = parameters.slot ?? (await resolveSlot(client, { network, taskId, account: miner }));
  const commitment = commitmentOf(taskId, miner, resultHash, parameters.tokens, salt);
  const { hash, receipt } = await writeNetwork(client, {
    network,
    functionName: "commit",
    args: [taskId, slot, commitment],
    account: parameters.account,
    receiptTimeout: parameters.receiptTimeout,
  });
  const phase = parseEventLogs({ abi: iCorNetworkAbi, logs: receipt.logs, eventName: "TaskPhaseChanged" });
  const status = phase.length ? taskStatusNameOf(phase[phase.length - 1].args.status) : "Committing";
  return { slot, resultHash, salt, commitment, status, hash };
}
