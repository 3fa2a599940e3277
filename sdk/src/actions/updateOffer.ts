import { type Account, type Chain, type Client, type Hash, parseEventLogs, type Transport } from "viem";
import { iCorNetworkAbi } from "../generated/abis.ts";
import type { NodeInfo } from "../utils/decode.ts";
import { type NetworkWriteErrorType, type WriteParameters, writeNetwork } from "../utils/write.ts";
import { type OfferInput, toOffer } from "./registerNode.ts";

export type UpdateOfferParameters = WriteParameters & {
  /** The new offer; omitted fields take {@link offerDefaults} (not the current offer's values). */
  offer: OfferInput;
};

export type UpdateOfferReturnType = {
  nodeId: number;
  /** The offer as stored, shaped like getNode's `offer`. */
  offer: NodeInfo["offer"];
  hash: Hash;
};

export type UpdateOfferErrorType = NetworkWriteErrorType;

/**
 * Miner side: replaces the work the signer's node consents to (min price per token, open tasks at once, assignment
 * modes). Open assignments keep the terms they were made under. Reverts `NotRegistered`, `InvalidRole` (not a
 * miner).
 *
 * @param client - Client with the miner's account (or pass `account`).
 * @param parameters - {@link UpdateOfferParameters}
 * @returns The offer as stored. {@link UpdateOfferReturnType}
 *
 * @example
 * await updateOffer(client, {
 *   network: deployment.network,
 *   offer: { minPrice: parseCor('0.0002'), capacity: 4, modes: ['Router', 'Claim'] },
 * })
 */
export async function updateOffer<chain extends Chain | undefined, account extends Account | undefined>(
  client: Client<Transport, chain, account>,
  parameters: UpdateOfferParameters,
): Promise<UpdateOfferReturnType> {
  const { hash, receipt } = await writeNetwork(client, {
    network: parameters.network,
    functionName: "updateOffer",
    args: [toOffer(parameters.offer)],
    account: parameters.account,
    receiptTimeout: parameters.receiptTimeout,
  });
  const [event] = parseEventLogs({ abi: iCorNetworkAbi, logs: receipt.logs, eventName: "OfferUpdated" });
  const { minPrice, capacity, modes } = event.args.offer;
  const modeNames = (["Router", "Claim", "Dedicated"] as const).filter((_, i) => (modes >> i) & 1);
  return { nodeId: event.args.nodeId, offer: { minPrice, capacity, modes: modeNames }, hash };
}
