import { type Hash, parseEventLogs } from "viem";
import { iCorNetworkAbi } from "../generated/abis.ts";
import type { CorConfig } from "./config.ts";
import { ensureAllowanceWagmi, type WagmiWriteParameters, writeNetworkWagmi } from "./write.ts";

export type DepositToSessionWagmiParameters = WagmiWriteParameters & {
  sessionId: number;
  amount: bigint;
  approve?: boolean | undefined;
};

export type DepositToSessionWagmiReturnType = { deposit: bigint; hash: Hash; approvalHash: Hash | undefined };

/**
 * Tops up a session through wagmi (approve if needed, then deposit).
 *
 * @example
 * await depositToSessionWagmi(cor, { sessionId: 3, amount: parseCor('5') })
 */
export async function depositToSessionWagmi(
  cor: CorConfig,
  parameters: DepositToSessionWagmiParameters,
): Promise<DepositToSessionWagmiReturnType> {
  const approvalHash =
    parameters.approve === false
      ? undefined
      : await ensureAllowanceWagmi(cor, { amount: parameters.amount, account: parameters.account });
  const { hash, receipt } = await writeNetworkWagmi(cor, {
    functionName: "deposit",
    args: [parameters.sessionId, parameters.amount],
    account: parameters.account,
  });
  const [event] = parseEventLogs({ abi: iCorNetworkAbi, logs: receipt.logs, eventName: "SessionDeposited" });
  return { deposit: event.args.deposit, hash, approvalHash };
}
