import { erc20Abi, type Hex, maxUint256 } from "viem";
import { type OfferInput, toOffer } from "../../../sdk/src/actions/registerNode.ts";
import type { EncryptionKeyPair } from "../../../sdk/src/crypto/keys.ts";
import { Role } from "../../../sdk/src/protocol.ts";
import { type Clients, networkAbi, type TxSender } from "./chain.ts";
import { loadNodeKeys } from "./keys.ts";
import type { Logger } from "./logger.ts";

/** The node's current X25519 public key for prompt encryption (its keyring lives in its data directory: keys.ts). */
export const loadEncryptionKey = (dataDir: string): { publicKey: Hex } => ({
  publicKey: (loadNodeKeys(dataDir).keys[0] as EncryptionKeyPair).publicKey,
});

/**
 * Returns the node id of this account, registering it first (approve + register with `stake`) if it is not
 * registered. Idempotent: a restarted agent finds its existing registration.
 */
export const ensureRegistered = async (
  clients: Clients,
  tx: TxSender,
  logger: Logger,
  opts: {
    role: keyof typeof Role;
    stake: bigint;
    models: Hex[];
    endpoint: string;
    dataDir: string;
    /** Miners: the work it consents to (SDK OfferInput); routers and validators register an empty offer. */
    offer?: OfferInput | undefined;
  },
): Promise<number> => {
  const { publicClient, account, deployment } = clients;
  const read = (functionName: string, args: readonly unknown[]) =>
    publicClient.readContract({
      address: deployment.network,
      abi: networkAbi,
      functionName,
      args,
    } as never) as Promise<unknown>;
  const existing = Number(await read("nodeIdOf", [account.address]));
  if (existing !== 0) {
    logger.info(`Registered already node=${existing}`);
    // A key rotated while the node was down (COR_ENCRYPTION_KEY, rotateNodeKey) is published before work resumes.
    const { publicKey } = loadEncryptionKey(opts.dataDir);
    const node = (await read("getNode", [existing])) as { encryptionKey: Hex };
    if (node.encryptionKey.toLowerCase() !== publicKey.toLowerCase()) {
      await tx.write("updateNode", [publicKey, opts.endpoint], "updateNode");
      logger.info(`Published rotated encryption key node=${existing} key=${publicKey.slice(0, 10)}…`);
    }
    return existing;
  }
  const allowance = (await publicClient.readContract({
    address: deployment.token,
    abi: erc20Abi,
    functionName: "allowance",
    args: [account.address, deployment.network],
  })) as bigint;
  if (allowance < opts.stake)
    await tx.writeTo(deployment.token, erc20Abi, "approve", [deployment.network, maxUint256], "approve");
  const { publicKey } = loadEncryptionKey(opts.dataDir);
  const offer = opts.role === "Miner" ? toOffer(opts.offer) : { minPrice: 0n, capacity: 0, modes: 0 };
  await tx.write("register", [Role[opts.role], opts.stake, opts.models, publicKey, opts.endpoint, offer], "register");
  const nodeId = Number(await read("nodeIdOf", [account.address]));
  logger.info(`Registered ${opts.role.toLowerCase()} node=${nodeId} stake=${opts.stake} endpoint=${opts.endpoint}`);
  return nodeId;
};
