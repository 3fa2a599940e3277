import type {
  SimulateContractErrorType,
  WaitForTransactionReceiptErrorType,
  WriteContractErrorType,
} from "@wagmi/core";
import { type Hash, parseEventLogs } from "viem";
import type { ContractRevertedErrorType } from "../errors/contract.ts";
import type { AccountRequiredErrorType } from "../errors/task.ts";
import { iCorNetworkAbi } from "../generated/abis.ts";
import { type SessionConfigInput, toSessionConfig } from "../utils/sessionConfig.ts";
import { type CorDeploymentErrorType, type CorWagmiConfig, getCorDeployment } from "./config.ts";
import { type WagmiWriteParameters, writeNetworkPullingWagmi } from "./write.ts";

export type CreateSessionWagmiParameters = WagmiWriteParameters &
  Omit<SessionConfigInput, "modelId"> & {
    /** Default the deployment's model. */
    modelId?: SessionConfigInput["modelId"] | undefined;
    /** COR (wei) to fund the session with. */
    deposit: bigint;
    /** Approve the network for the deposit first when needed (default true). */
    approve?: boolean | undefined;
  };

export type CreateSessionWagmiErrorType =
  | ContractRevertedErrorType
  | AccountRequiredErrorType
  | CorDeploymentErrorType
  | SimulateContractErrorType
  | WriteContractErrorType
  | WaitForTransactionReceiptErrorType;

export type CreateSessionWagmiReturnType = { sessionId: number; hash: Hash; approvalHash: Hash | undefined };

/**
 * createSession through wagmi (the connected wallet signs): simulated, approved if needed, then sent. A call that
 * would revert throws its decoded error before any approval.
 *
 * @example
 * const { sessionId } = await createSessionWagmi(config, { deposit: parseCor('10'), redundancy: 3 })
 */
export async function createSessionWagmi(
  config: CorWagmiConfig,
  parameters: CreateSessionWagmiParameters,
): Promise<CreateSessionWagmiReturnType> {
  const cor = getCorDeployment(config, parameters);
  const modelId = parameters.modelId ?? cor.deployment.modelId;
  if (!modelId) throw new TypeError("createSessionWagmi: pass modelId (the deployment has none)");
  const { hash, receipt, approvalHash } = await writeNetworkPullingWagmi(cor, {
    functionName: "createSession",
    args: [toSessionConfig({ ...parameters, modelId }), parameters.deposit],
    account: parameters.account,
    amount: parameters.deposit,
    approve: parameters.approve,
  });
  const [event] = parseEventLogs({ abi: iCorNetworkAbi, logs: receipt.logs, eventName: "SessionCreated" });
  return { sessionId: event.args.sessionId, hash, approvalHash };
}
