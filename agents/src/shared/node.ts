import {
  type EncryptionKeyPair,
  getNode,
  NotFoundError,
  type OfferInput,
  registerNode,
  updateNode,
} from "@cor-network/sdk";
import type { Address, Client, Hex } from "viem";
import type { Clients, TxSender } from "./chain.ts";
import { loadNodeKeys } from "./keys.ts";
import type { Logger } from "./logger.ts";

/** The node's current X25519 public key for prompt encryption (its keyring lives in its data directory: keys.ts). */
export const loadEncryptionKey = (dataDir: string): { publicKey: Hex } => ({
  publicKey: (loadNodeKeys(dataDir).keys[0] as EncryptionKeyPair).publicKey,
});

/** The current node id of `account` (SDK getNode), 0 when it is not a registered node. */
export const nodeIdOfAccount = async (client: Client, network: Address, account: Address): Promise<number> => {
  try {
    return (await getNode(client, { network, account })).nodeId;
  } catch (err) {
    if (err instanceof NotFoundError) return 0;
    throw err;
  }
};

/**
 * Returns the node id of this account, registering it first (SDK registerNode: approve + register with `stake`) if
 * it is not registered. Idempotent: a restarted agent finds its existing registration.
 */
export const ensureRegistered = async (
  clients: Clients,
  tx: TxSender,
  logger: Logger,
  opts: {
    role: "Miner" | "Router" | "Validator";
    stake: bigint;
    models: Hex[];
    endpoint: string;
    dataDir: string;
    /** Miners: the work it consents to (SDK OfferInput); routers and validators register an empty offer. */
    offer?: OfferInput | undefined;
  },
): Promise<number> => {
  const network = clients.deployment.network;
  const { publicKey } = loadEncryptionKey(opts.dataDir);
  const existingId = await nodeIdOfAccount(tx.client, network, clients.account.address);
  const existing = existingId ? await getNode(tx.client, { network, nodeId: existingId }) : undefined;
  if (existing) {
    logger.info(`Registered already node=${existing.nodeId}`);
    // A key rotated while the node was down (COR_ENCRYPTION_KEY, rotateNodeKey) is published before work resumes.
    if (existing.encryptionKey.toLowerCase() !== publicKey.toLowerCase()) {
      await updateNode(tx.client, { network, encryptionKey: publicKey, endpoint: opts.endpoint });
      logger.info(`Published rotated encryption key node=${existing.nodeId} key=${publicKey.slice(0, 10)}…`);
    }
    return existing.nodeId;
  }
  const { nodeId } = await registerNode(tx.client, {
    network,
    token: clients.deployment.token,
    role: opts.role,
    stake: opts.stake,
    models: opts.models,
    encryptionKey: publicKey,
    endpoint: opts.endpoint,
    offer: opts.offer,
  });
  logger.info(`Registered ${opts.role.toLowerCase()} node=${nodeId} stake=${opts.stake} endpoint=${opts.endpoint}`);
  return nodeId;
};
