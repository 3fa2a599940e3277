import { generateKeyPairSync } from "node:crypto";
import { existsSync, mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { erc20Abi, type Hex, maxUint256 } from "viem";
import { Role } from "../../../sdk/src/protocol.ts";
import { type Clients, networkAbi, type TxSender } from "./chain.ts";
import type { Logger } from "./logger.ts";

/** The node's X25519 key pair for prompt encryption, created once and kept in its data directory. */
export const loadEncryptionKey = (dataDir: string): { publicKey: Hex } => {
  mkdirSync(dataDir, { recursive: true });
  const file = join(dataDir, "x25519.json");
  if (!existsSync(file)) {
    const { publicKey, privateKey } = generateKeyPairSync("x25519");
    const pub = publicKey.export({ format: "der", type: "spki" }).subarray(-32);
    const priv = privateKey.export({ format: "der", type: "pkcs8" }).toString("base64");
    writeFileSync(file, JSON.stringify({ publicKey: `0x${pub.toString("hex")}`, privateKey: priv }), { mode: 0o600 });
  }
  return { publicKey: JSON.parse(readFileSync(file, "utf8")).publicKey };
};

/**
 * Returns the node id of this account, registering it first (approve + register with `stake`) if it is not
 * registered. Idempotent: a restarted agent finds its existing registration.
 */
export const ensureRegistered = async (
  clients: Clients,
  tx: TxSender,
  logger: Logger,
  opts: { role: keyof typeof Role; stake: bigint; models: Hex[]; endpoint: string; dataDir: string },
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
  await tx.write("register", [Role[opts.role], opts.stake, opts.models, publicKey, opts.endpoint], "register");
  const nodeId = Number(await read("nodeIdOf", [account.address]));
  logger.info(`Registered ${opts.role.toLowerCase()} node=${nodeId} stake=${opts.stake} endpoint=${opts.endpoint}`);
  return nodeId;
};
