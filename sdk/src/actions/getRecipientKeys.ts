import type { Chain, Client, ReadContractErrorType, Transport } from "viem";
import { readContract } from "viem/actions";
import { getAction } from "viem/utils";
import type { Recipient } from "../crypto/envelope.ts";
import { iCorNetworkAbi } from "../generated/abis.ts";
import { toNodeInfo } from "../utils/decode.ts";
import type { RoleName } from "../utils/enums.ts";
import type { NetworkParameter } from "../utils/write.ts";

export type GetRecipientKeysParameters = NetworkParameter &
  (
    | {
        /** These nodes, whatever their role. */
        nodeIds: readonly number[];
        role?: undefined;
      }
    | {
        /** Every Active node of this role (e.g. `Validator`: the nodes that may attest an encrypted task). */
        role: RoleName;
        nodeIds?: undefined;
      }
  );

export type GetRecipientKeysReturnType = Recipient[];

export type GetRecipientKeysErrorType = ReadContractErrorType;

/**
 * Reads nodes' registered X25519 keys (bytes32, `register` / `updateNode`), the keys task keys are wrapped to.
 * Nodes without a key (zero) are left out: nothing can be wrapped to them.
 *
 * @param client - Any client.
 * @param parameters - {@link GetRecipientKeysParameters}
 * @returns `{ nodeId, publicKey }` per node. {@link GetRecipientKeysReturnType}
 *
 * @example
 * const validators = await getRecipientKeys(client, { network, role: 'Validator' })
 */
export async function getRecipientKeys<chain extends Chain | undefined>(
  client: Client<Transport, chain>,
  parameters: GetRecipientKeysParameters,
): Promise<GetRecipientKeysReturnType> {
  const read = getAction(client, readContract, "readContract");
  const { network } = parameters;
  const ids =
    parameters.nodeIds ??
    Array.from(
      { length: await read({ address: network, abi: iCorNetworkAbi, functionName: "nodeCount" }) },
      (_, i) => i + 1,
    );
  const nodes = await Promise.all(
    ids.map(async (nodeId) =>
      toNodeInfo(
        nodeId,
        await read({ address: network, abi: iCorNetworkAbi, functionName: "getNode", args: [nodeId] }),
      ),
    ),
  );
  return nodes
    .filter((n) => (parameters.role ? n.role === parameters.role && n.status === "Active" : true))
    .filter((n) => /[1-9a-f]/i.test(n.encryptionKey.slice(2)))
    .map((n) => ({ nodeId: n.nodeId, publicKey: n.encryptionKey }));
}
