import { type Hash, type Hex, keccak256, parseEventLogs } from "viem";
import { iCorNetworkAbi } from "../generated/abis.ts";
import type { ContentStore } from "../storage/types.ts";
import type { CorConfig } from "./config.ts";
import { readSessionWagmi } from "./read.ts";
import { type WagmiWriteParameters, writeNetworkWagmi } from "./write.ts";

export type SubmitTaskWagmiParameters = WagmiWriteParameters & {
  sessionId: number;
  /** Prompt text or bytes, uploaded to `store` (in a browser: a Kubo store, createKuboStore). */
  prompt: string | Uint8Array;
  store: Pick<ContentStore, "add">;
  /** Default the session's maxTokens. */
  maxTokens?: number | undefined;
};

export type SubmitTaskWagmiReturnType = {
  taskId: bigint;
  promptCid: string;
  promptHash: Hex;
  escrow: bigint;
  blockNumber: bigint;
  hash: Hash;
};

/**
 * submitTask through wagmi: uploads the prompt, then submits its CID and keccak256 hash.
 *
 * @example
 * const { taskId } = await submitTaskWagmi(cor, { sessionId, prompt: 'Once upon a time', store })
 */
export async function submitTaskWagmi(
  cor: CorConfig,
  parameters: SubmitTaskWagmiParameters,
): Promise<SubmitTaskWagmiReturnType> {
  const bytes = typeof parameters.prompt === "string" ? new TextEncoder().encode(parameters.prompt) : parameters.prompt;
  const promptHash = keccak256(bytes);
  const { cid: promptCid } = await parameters.store.add(bytes);
  const maxTokens =
    parameters.maxTokens ?? (await readSessionWagmi(cor, { sessionId: parameters.sessionId })).maxTokens;
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
  };
}
