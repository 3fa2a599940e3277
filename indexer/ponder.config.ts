/**
 * COR network indexer config. The network is one address (CorNetwork: its fallback delegatecalls CorRegistry),
 * so every protocol event is indexed from it with the ICorNetwork ABI; the COR token is indexed for balances.
 *
 * Env:
 * - COR_DEPLOYMENT_FILE   deployment JSON written by script/01_DeployCore.s.sol (default deployments/31337.json)
 * - PONDER_RPC_URL_<id>   RPC of the deployment's chain, else COR_RPC_URL, else http://127.0.0.1:8545
 * - PONDER_POLLING_MS     realtime polling interval (default 1000, 200 on a local anvil)
 * - PONDER_GETLOGS_RANGE  max blocks per eth_getLogs (default: ponder decides from RPC errors)
 * - PONDER_DISABLE_CACHE  1/0: skip/keep ponder's RPC cache (default: skipped on anvil, kept elsewhere)
 * - DATABASE_URL          PostgreSQL; without it, embedded PGlite in PONDER_PGLITE_DIR (default .ponder/pglite)
 */
import { join } from "node:path";
import { createConfig } from "ponder";
import { corTokenAbi, iCorNetworkAbi } from "../sdk/src/generated/abis.ts";
import { deploymentsDir, loadDeployment } from "../sdk/src/node.ts";

const ANVIL_CHAIN_ID = 31337;

const deployment = loadDeployment(process.env.COR_DEPLOYMENT_FILE ?? join(deploymentsDir(), `${ANVIL_CHAIN_ID}.json`));
const local = deployment.chainId === ANVIL_CHAIN_ID;

const rpc = process.env[`PONDER_RPC_URL_${deployment.chainId}`] ?? process.env.COR_RPC_URL ?? "http://127.0.0.1:8545";

const optionalInt = (name: string): number | undefined => {
  const raw = process.env[name];
  if (raw === undefined || raw === "") return undefined;
  const value = Number(raw);
  if (!Number.isInteger(value) || value <= 0) throw new Error(`${name} must be a positive integer, got "${raw}"`);
  return value;
};

export default createConfig({
  database: process.env.DATABASE_URL
    ? { kind: "postgres", connectionString: process.env.DATABASE_URL }
    : { kind: "pglite", directory: process.env.PONDER_PGLITE_DIR ?? ".ponder/pglite" },
  chains: {
    cor: {
      id: deployment.chainId,
      rpc,
      // A restarted anvil reuses chain id and block numbers with different contents: ponder's RPC cache (keyed by
      // chain id and block range) would serve the previous chain's logs. Public chains keep the cache; a
      // long-lived anvil may opt in with PONDER_DISABLE_CACHE=0.
      disableCache: process.env.PONDER_DISABLE_CACHE ? process.env.PONDER_DISABLE_CACHE !== "0" : local,
      // Blocks arrive every second (or on every tx) on anvil: poll faster so the live lag stays under a block.
      pollingInterval: optionalInt("PONDER_POLLING_MS") ?? (local ? 200 : 1_000),
      ethGetLogsBlockRange: optionalInt("PONDER_GETLOGS_RANGE"),
    },
  },
  contracts: {
    CorNetwork: {
      chain: "cor",
      abi: iCorNetworkAbi,
      address: deployment.network,
      startBlock: deployment.startBlock,
    },
    CORToken: {
      chain: "cor",
      abi: corTokenAbi,
      address: deployment.token,
      startBlock: deployment.startBlock,
    },
  },
});
