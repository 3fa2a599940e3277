// What the docs' later snippets take from the quick start: a private key, a wallet client extended with publicActions,
// the network address, a content store, and a submitted task. Global declarations, so that each snippet's own imports and
// declarations come first (only the packed-package test compiles this file).
import type { ContentStore } from "@cor-network/sdk";
import type { Account, Address, Chain, Hex, PublicActions, Transport, WalletClient } from "viem";

declare global {
  /** A private key holding COR. */
  const key: Hex;
  const client: WalletClient<Transport, Chain, Account> & PublicActions<Transport, Chain, Account>;
  const network: Address;
  const store: ContentStore;
  const taskId: bigint;
  const blockNumber: bigint;
  const salt: Hex;
  const result: string;
  const tokens: number;
}
