import type {
  SimulateContractErrorType,
  WaitForTransactionReceiptErrorType,
  WriteContractErrorType,
} from "@wagmi/core";
import { type Hash, parseEventLogs } from "viem";
import type { ContractRevertedErrorType } from "../errors/contract.ts";
import type { AccountRequiredErrorType } from "../errors/task.ts";
import { iCorNetworkAbi } from "../generated/abis.ts";
import { type CorDeploymentErrorType, type CorWagmiConfig, getCorDeployment } from "./config.ts";
import { type WagmiWriteParameters, writeNetworkPullingWagmi } from "./write.ts";

export type DepositToSessionWagmiParameters = WagmiWriteParameters & {
  sessionId: number;
  amount: bigint;
  approve?: boolean | undefined;
};

export type DepositToSessionWagmiErrorType =
  | ContractRevertedErrorType
  | AccountRequiredErrorType
  | CorDeploymentErrorType
  | SimulateContractErrorType
  | WriteContractErrorType
  | WaitForTransactionReceiptErrorType;

export type DepositToSessionWagmiReturnType = { deposit: bigint; hash: Hash; approvalHash: Hash | undefined };

/**
 * Tops up a session through wagmi (simulated, approved if needed, then deposited).
 *
 * @example
 * await depositToSessionWagmi(config, { sessionId: 3, amount: parseCor('5') })
 */
export async function depositToSessionWagmi(
  config: CorWagmiConfig,
  parameters: DepositToSessionWagmiParameters,
): Promise<DepositToSessionWagmiReturnType> {
  const { hash, receipt, approvalHash } = await writeNetworkPullingWagmi(getCorDeployment(config, parameters), {
    functionName: "deposit",
    args: [parameters.sessionId, parameters.amount],
    account: parameters.account,
    amount: parameters.amount,
    approve: parameters.approve,
  });
  const [event] = parseEventLogs({ abi: iCorNetworkAbi, logs: receipt.logs, eventName: "SessionDeposited" });
  return { deposit: event.args.deposit, hash, approvalHash };
}
