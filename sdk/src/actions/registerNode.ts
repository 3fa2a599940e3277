import { type Account, type Chain, type Client, type Hash, type Hex, parseEventLogs, type Transport } from "viem";
import { iCorNetworkAbi } from "../generated/abis.ts";
import { writeNetworkPulling } from "../utils/allowance.ts";
import { assignmentModeValue, type RoleName, roleValue } from "../utils/enums.ts";
import type { ApproveParameters, NetworkWriteErrorType, WriteParameters } from "../utils/write.ts";

const ZERO_KEY = `0x${"0".repeat(64)}` as Hex;

export type RegisterNodeParameters = WriteParameters &
  ApproveParameters & {
    /** "Miner" | "Router" | "Validator" (or the enum value). */
    role: Exclude<RoleName, "None"> | number;
    /** COR (wei) to stake; at least the role's minimum (getParams().minStake). */
    stake: bigint;
    /** Model ids served. Miners: 1..16 registered models; routers and validators: none (default []). */
    models?: readonly Hex[] | undefined;
    /** X25519 public key for prompt encryption (default zero: no encrypted prompts). */
    encryptionKey?: Hex | undefined;
    /** URL where the node is reachable; only in the NodeRegistered event (default ""). */
    endpoint?: string | undefined;
    /**
     * Miners: the work the node consents to (see {@link offerDefaults}). Nobody can assign it to a session paying
     * less than `minPrice` per token, in a mode not in `modes`, or beyond `capacity` open tasks.
     */
    offer?: OfferInput | undefined;
  };

/** What a miner offers: min COR wei per output token, open tasks at once, accepted assignment modes. */
export type OfferInput = {
  minPrice?: bigint | undefined;
  capacity?: number | undefined;
  modes?: readonly ("Router" | "Claim" | "Dedicated")[] | undefined;
};

/** Offer defaults: any price above the network floor, 8 open tasks, every assignment mode. */
export const offerDefaults = { minPrice: 0n, capacity: 8, modes: ["Router", "Claim", "Dedicated"] } as const;

/** The Offer struct as the contract takes it. */
export const toOffer = (input: OfferInput = {}) => ({
  minPrice: input.minPrice ?? offerDefaults.minPrice,
  capacity: input.capacity ?? offerDefaults.capacity,
  modes: (input.modes ?? offerDefaults.modes).reduce((mask, m) => mask | (1 << assignmentModeValue(m)), 0),
});

export type RegisterNodeReturnType = {
  /** The new registration id. */
  nodeId: number;
  hash: Hash;
  /** The approval sent first, when the allowance was too low. */
  approvalHash: Hash | undefined;
};

export type RegisterNodeErrorType = NetworkWriteErrorType;

/**
 * Registers the signer as a node: approves the network for the stake (when needed: simulated first, so a call
 * that would revert throws before any approval), then calls `register`.
 *
 * @param client - Client with an account (or pass `account`).
 * @param parameters - {@link RegisterNodeParameters}
 * @returns The node id and transaction hashes. {@link RegisterNodeReturnType}
 *
 * @example
 * import { createWalletClient, http } from 'viem'
 * import { privateKeyToAccount } from 'viem/accounts'
 * import { loadDeployment, parseCor, registerNode } from '@cor-network/sdk'
 *
 * const deployment = loadDeployment(31337)
 * const client = createWalletClient({ account: privateKeyToAccount(key), transport: http(rpcUrl) })
 * const { nodeId } = await registerNode(client, {
 *   network: deployment.network,
 *   role: 'Miner',
 *   stake: parseCor('100'),
 *   models: [deployment.modelId],
 *   endpoint: 'http://127.0.0.1:8545',
 * })
 */
export async function registerNode<chain extends Chain | undefined, account extends Account | undefined>(
  client: Client<Transport, chain, account>,
  parameters: RegisterNodeParameters,
): Promise<RegisterNodeReturnType> {
  const { network, stake, approve = true } = parameters;
  const { hash, receipt, approvalHash } = await writeNetworkPulling(client, {
    network,
    amount: stake,
    token: parameters.token,
    approve,
    functionName: "register",
    args: [
      roleValue(parameters.role),
      stake,
      parameters.models ?? [],
      parameters.encryptionKey ?? ZERO_KEY,
      parameters.endpoint ?? "",
      // Only miners are assigned work: routers and validators register an empty offer.
      roleValue(parameters.role) === 1 ? toOffer(parameters.offer) : toOffer({ capacity: 0, modes: [] }),
    ],
    account: parameters.account,
    receiptTimeout: parameters.receiptTimeout,
  });
  const [event] = parseEventLogs({ abi: iCorNetworkAbi, logs: receipt.logs, eventName: "NodeRegistered" });
  return { nodeId: event.args.nodeId, hash, approvalHash };
}
