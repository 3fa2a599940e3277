import type { WaitForTransactionReceiptErrorType, WriteContractErrorType } from "@wagmi/core";
import { type Hash, type Hex, keccak256, parseEventLogs } from "viem";
import { preparePrompt, type TaskEncryption } from "../actions/submitTask.ts";
import type { TaskKey } from "../crypto/envelope.ts";
import type { ContractRevertedErrorType } from "../errors/contract.ts";
import type { EncryptionKeyRequiredErrorType } from "../errors/crypto.ts";
import type { AccountRequiredErrorType } from "../errors/task.ts";
import { iCorNetworkAbi } from "../generated/abis.ts";
import type { ContentStore, StorageError } from "../storage/types.ts";
import { type CorDeploymentErrorType, type CorWagmiConfig, getCorDeployment } from "./config.ts";
import { type ReadErrorType, readSessionWagmi } from "./read.ts";
import { type WagmiWriteParameters, writeNetworkWagmi } from "./write.ts";

export type SubmitTaskWagmiParameters = WagmiWriteParameters & {
  sessionId: number;
  /** Prompt text or bytes, uploaded to `store` (in a browser: a Kubo store, createKuboStore). */
  prompt: string | Uint8Array;
  store: Pick<ContentStore, "add">;
  /** Default the session's maxTokens. */
  maxTokens?: number | undefined;
  /** Seal the prompt end to end (required in an encrypted session): see submitTask and docs/privacy.md. */
  encryption?: TaskEncryption | undefined;
};

export type SubmitTaskWagmiErrorType =
  | ContractRevertedErrorType
  | AccountRequiredErrorType
  | CorDeploymentErrorType
  | EncryptionKeyRequiredErrorType
  | StorageError
  | ReadErrorType
  | WriteContractErrorType
  | WaitForTransactionReceiptErrorType;

export type SubmitTaskWagmiReturnType = {
  taskId: bigint;
  promptCid: string;
  promptHash: Hex;
  escrow: bigint;
  blockNumber: bigint;
  hash: Hash;
  /** Encrypted tasks: the task key (pass it to waitForTaskResult's `encryption.taskKey`). */
  taskKey?: TaskKey | undefined;
};

/**
 * submitTask through wagmi: uploads the prompt, then submits its CID and keccak256 hash.
 *
 * @example
 * const { taskId } = await submitTaskWagmi(config, { sessionId, prompt: 'Once upon a time', store })
 */
export async function submitTaskWagmi(
  config: CorWagmiConfig,
  parameters: SubmitTaskWagmiParameters,
): Promise<SubmitTaskWagmiReturnType> {
  const cor = getCorDeployment(config, parameters);
  const bytes = typeof parameters.prompt === "string" ? new TextEncoder().encode(parameters.prompt) : parameters.prompt;
  const promptHash = keccak256(bytes);
  const session = await readSessionWagmi(config, { sessionId: parameters.sessionId, chainId: cor.chainId });
  // An encrypted session gets an envelope (the hash stays the plaintext's), never the plaintext.
  const { stored, taskKey } = await preparePrompt(cor.config.getClient({ chainId: cor.chainId }), {
    network: cor.deployment.network,
    sessionId: parameters.sessionId,
    bytes,
    sessionEncrypted: session.encrypted,
    encryption: parameters.encryption,
  });
  const { cid: promptCid } = await parameters.store.add(stored);
  const maxTokens = parameters.maxTokens ?? session.maxTokens;
  const { hash, receipt } = await writeNetworkWagmi(cor, {
    functionName: "submitTask",
    args: [parameters.sessionId, promptHash, promptCid, maxTokens],
    account: parameters.account,
  });
  const [event] = parseEventLogs({ abi: iCorNetworkAbi, logs: receipt.logs, eventName: "TaskSubmitted" });
  return {
    taskId: event.args.taskId,
    promptCid,
    promptHash,
    escrow: event.args.escrow,
    blockNumber: receipt.blockNumber,
    hash,
    taskKey,
  };
}
