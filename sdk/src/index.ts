/**
 * @cor-network/sdk: viem-style actions, protocol helpers, errors, a router client, end-to-end encryption, ABIs and
 * the registry of known deployments for COR network. Browser-safe: no node: imports, no file reads.
 * Node-only parts live in subpaths: `@cor-network/sdk/storage` (embedded block store, Kubo), `@cor-network/sdk/node`
 * (deployments read from files), `@cor-network/sdk/testing` (anvil, forge deploy); @wagmi/core in `/wagmi`.
 */

// Actions: `action(client, parameters)`, one per file.
export * from "./actions/index.ts";
// End-to-end encryption of prompts, results and streams (docs/privacy.md). Browser-safe.
export * from "./crypto/index.ts";
// viem decorators: client.extend(corActions({ network })), .extend(corWalletActions({ network })).
export * from "./decorators/index.ts";
export * from "./deployments.ts";
// Errors: BaseError (viem's shape + retryable), contract reverts decoded by name, task/result/crypto errors.
export * from "./errors/index.ts";
// Generated ABIs (npx forge build && npx wagmi generate).
export { corRegistryAbi, corTokenAbi, iCorNetworkAbi } from "./generated/abis.ts";
// Protocol helpers, utilities.
export * from "./protocol.ts";
// Router HTTP client (OpenAI-compatible + Cortensor-style routes).
export * from "./router/index.ts";
// Content storage: the ContentStore interface, its errors and Kubo-identical CIDs (browser-safe). The stores
// themselves (embedded block store on disk, Kubo RPC) are in @cor-network/sdk/storage.
export {
  computeCid,
  isCid,
  KUBO_CHUNK_SIZE,
  KUBO_MAX_CHILDREN_PER_NODE,
  kuboImporterOptions,
  normalizeCid,
  verifyContent,
} from "./storage/cid.ts";
export * from "./storage/interface.ts";
export * from "./utils/index.ts";
export { version } from "./version.ts";
