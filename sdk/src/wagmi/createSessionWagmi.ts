import { type Hash, parseEventLogs } from "viem";
import { iCorNetworkAbi } from "../generated/abis.ts";
import { type SessionConfigInput, toSessionConfig } from "../utils/sessionConfig.ts";
import type { CorConfig } from "./config.ts";
import { ensureAllowanceWagmi, type WagmiWriteParameters, writeNetworkWagmi } from "./write.ts";

export type CreateSessionWagmiParameters = WagmiWriteParameters &
  Omit<SessionConfigInput, "modelId"> & {
    /** Default the deployment's model. */
    modelId?: SessionConfigInput["modelId"] | undefined;
    /** COR (wei) to fund the session with. */
    deposit: bigint;
    /** Approve the network for the deposit first when needed (default true). */
    approve?: boolean | undefined;
  };

export type CreateSessionWagmiReturnType = { sessionId: number; hash: Hash; approvalHash: Hash | undefined };

/**
 * createSession through wagmi (the connected wallet signs): approve if needed, then createSession.
 *
 * @example
 * const { sessionId } = await createSessionWagmi(cor, { deposit: parseCor('10'), redundancy: 3 })
 */
export async function createSessionWagmi(
  cor: CorConfig,
  parameters: CreateSessionWagmiParameters,
): Promise<CreateSessionWagmiReturnType> {
  const modelId = parameters.modelId ?? cor.deployment.modelId;
  if (!modelId) throw new TypeError("createSessionWagmi: pass modelId (the deployment has none)");
  const approvalHash =
    parameters.approve === false
      ? undefined
      : await ensureAllowanceWagmi(cor, { amount: parameters.deposit, account: parameters.account });
  const { hash, receipt } = await writeNetworkWagmi(cor, {
    functionName: "createSession",
    args: [toSessionConfig({ ...parameters, modelId }), parameters.deposit],
    account: parameters.account,
  });
  const [event] = parseEventLogs({ abi: iCorNetworkAbi, logs: receipt.logs, eventName: "SessionCreated" });
  return { sessionId: event.args.sessionId, hash, approvalHash };
}
