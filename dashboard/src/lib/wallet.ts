/**
 * wagmi for the dashboard: one chain (from config.json), the SDK's createCorConfig (addresses + ABIs), and the
 * wallets: an injected wallet (MetaMask & co.) and, on a development chain, the RPC's unlocked dev accounts
 * through wagmi's mock connector (the RPC signs eth_sendTransaction; no private key reaches the browser).
 */

import { type Chain, defineChain } from "viem";
import { injected, mock } from "wagmi";
import { type CorConfig, createCorConfig } from "../../../sdk/src/wagmi/index.ts";
import type { DashboardConfig } from "../runtimeConfig.ts";
import { absoluteUrl } from "./indexer.ts";

export const chainOf = (config: DashboardConfig): Chain =>
  defineChain({
    id: config.chainId,
    name: config.chainName,
    nativeCurrency: { name: "Ether", symbol: "ETH", decimals: 18 },
    rpcUrls: { default: { http: [absoluteUrl(config.rpcUrl)] } },
  });

export function createWallets(config: DashboardConfig): CorConfig {
  const chain = chainOf(config);
  const devConnectors = config.devAccounts.map((account) =>
    mock({ accounts: [account], features: { reconnect: false } }),
  );
  return createCorConfig({
    chain,
    rpcUrl: absoluteUrl(config.rpcUrl),
    deployment: { chainId: config.chainId, ...config.deployment },
    connectors: [injected({ shimDisconnect: true }), ...devConnectors],
    pollingInterval: 1000,
    storage: null,
  });
}
