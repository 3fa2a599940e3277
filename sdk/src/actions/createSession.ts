import { type Account, type Chain, type Client, type Hash, parseEventLogs, type Transport } from "viem";
import { iCorNetworkAbi } from "../generated/abis.ts";
import { writeNetworkPulling } from "../utils/allowance.ts";
import { type SessionConfigInput, type SessionConfigStruct, toSessionConfig } from "../utils/sessionConfig.ts";
import type { ApproveParameters, NetworkWriteErrorType, WriteParameters } from "../utils/write.ts";

export {
  type SessionConfigInput,
  type SessionConfigStruct,
  sessionDefaults,
  toSessionConfig,
} from "../utils/sessionConfig.ts";

export type CreateSessionParameters = WriteParameters &
  ApproveParameters &
  SessionConfigInput & {
    /** COR (wei) to fund the session with; each task escrows R × maxTokens × pricePerToken from it. */
    deposit: bigint;
  };

export type CreateSessionReturnType = {
  sessionId: number;
  /** The session's free balance (wei). */
  deposit: bigint;
  /** The configuration as sent. */
  config: SessionConfigStruct;
  hash: Hash;
  approvalHash: Hash | undefined;
};

export type CreateSessionErrorType = NetworkWriteErrorType;

/**
 * Opens a session: approves the network for the deposit (when needed: simulated first, so a call that would revert
 * throws before any approval), then calls `createSession` with the
 * configuration completed from {@link sessionDefaults}.
 *
 * @param client - Client with an account (or pass `account`).
 * @param parameters - {@link CreateSessionParameters}
 * @returns The session id. {@link CreateSessionReturnType}
 *
 * @example
 * const { sessionId } = await createSession(client, {
 *   network: deployment.network,
 *   modelId: deployment.modelId,
 *   deposit: parseCor('10'),
 *   redundancy: 3,
 *   pricePerToken: parseCor('0.001'),
 *   maxTokens: 128,
 * })
 */
export async function createSession<chain extends Chain | undefined, account extends Account | undefined>(
  client: Client<Transport, chain, account>,
  parameters: CreateSessionParameters,
): Promise<CreateSessionReturnType> {
  const { network, deposit, approve = true } = parameters;
  const config = toSessionConfig(parameters);
  const { hash, receipt, approvalHash } = await writeNetworkPulling(client, {
    network,
    amount: deposit,
    token: parameters.token,
    approve,
    functionName: "createSession",
    args: [config, deposit],
    account: parameters.account,
    receiptTimeout: parameters.receiptTimeout,
  });
  const [event] = parseEventLogs({ abi: iCorNetworkAbi, logs: receipt.logs, eventName: "SessionCreated" });
  return { sessionId: event.args.sessionId, deposit: event.args.deposit, config, hash, approvalHash };
}
