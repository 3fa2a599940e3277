import { type Address, type Hex, verifyTypedData } from "viem";
import type { Db } from "./db.ts";

/**
 * Session ownership proof. The owner of an on-chain session signs (EIP-712) "key <keyId> may spend session
 * <sessionId> until <expiresAt>"; the gateway checks the signature against the session's owner on chain and
 * only then lets that key use the Cortensor-style routes for that session.
 */
export const bindSessionTypes = {
  BindSession: [
    { name: "sessionId", type: "uint256" },
    { name: "keyId", type: "string" },
    { name: "expiresAt", type: "uint64" },
  ],
} as const;

/** The typed data an owner signs (with viem: `walletClient.signTypedData(bindSessionTypedData(...))`). */
export const bindSessionTypedData = (p: {
  chainId: number;
  network: Address;
  sessionId: bigint;
  keyId: string;
  expiresAt: bigint;
}) => ({
  domain: { name: "COR Gateway", version: "1", chainId: p.chainId, verifyingContract: p.network },
  types: bindSessionTypes,
  primaryType: "BindSession" as const,
  message: { sessionId: p.sessionId, keyId: p.keyId, expiresAt: p.expiresAt },
});

export type Binding = { keyId: string; sessionId: number; owner: Address; expiresAt: number };

/** Verifies a binding signature by `owner`; false for any other signer or a malformed signature. */
export const verifyBinding = async (p: {
  chainId: number;
  network: Address;
  sessionId: bigint;
  keyId: string;
  expiresAt: bigint;
  owner: Address;
  signature: Hex;
}) => {
  try {
    return await verifyTypedData({ address: p.owner, signature: p.signature, ...bindSessionTypedData(p) });
  } catch {
    return false;
  }
};

export const saveBinding = async (db: Db, b: Binding & { signature: Hex }) => {
  await db.query(
    `INSERT INTO gateway_bindings (key_id, session_id, owner, expires_at, signature) VALUES ($1, $2, $3, $4, $5)
     ON CONFLICT (key_id, session_id) DO UPDATE SET owner = $3, expires_at = $4, signature = $5, created_at = now()`,
    [b.keyId, b.sessionId, b.owner, b.expiresAt, b.signature],
  );
};

/** The key's unexpired binding to a session, if any. */
export const findBinding = async (
  db: Db,
  keyId: string,
  sessionId: number,
  nowS = Math.floor(Date.now() / 1000),
): Promise<Binding | undefined> => {
  const [row] = await db.query<{ owner: string; expires_at: string | number }>(
    "SELECT owner, expires_at FROM gateway_bindings WHERE key_id = $1 AND session_id = $2 AND expires_at > $3",
    [keyId, sessionId, nowS],
  );
  return row ? { keyId, sessionId, owner: row.owner as Address, expiresAt: Number(row.expires_at) } : undefined;
};
