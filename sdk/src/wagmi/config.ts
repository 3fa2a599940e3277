import {
  type Config,
  type CreateConfigParameters,
  type CreateConnectorFn,
  createConfig,
  http,
  type Storage,
} from "@wagmi/core";
import type { Address, Chain, Hex, Transport } from "viem";
import { BaseError } from "../errors/base.ts";
import { corTokenAbi, iCorNetworkAbi } from "../generated/abis.ts";

/** The part of a deployment (deployments/<chainId>.json) a dapp needs. */
export type CorDeployment = {
  chainId: number;
  /** CorNetwork: the one address of COR network. */
  network: Address;
  token: Address;
  modelId?: Hex | undefined;
  modelName?: string | undefined;
  startBlock?: number | undefined;
};

/** The network and token as wagmi contract objects: spread them into readContract / writeContract. */
export type CorContracts = {
  network: { address: Address; abi: typeof iCorNetworkAbi; chainId: number };
  token: { address: Address; abi: typeof corTokenAbi; chainId: number };
};

/**
 * The generated ABIs bound to a deployment's addresses.
 *
 * @example
 * const { network } = corContracts(deployment)
 * const session = await readContract(config, { ...network, functionName: 'getSession', args: [3] })
 */
export function corContracts(deployment: CorDeployment): CorContracts {
  return {
    network: { address: deployment.network, abi: iCorNetworkAbi, chainId: deployment.chainId },
    token: { address: deployment.token, abi: corTokenAbi, chainId: deployment.chainId },
  };
}

export type CreateCorConfigParameters<chain extends Chain = Chain> = {
  /** The chain the deployment lives on (e.g. viem/chains' `foundry` for a local anvil). */
  chain: chain;
  /** RPC URL; default the chain's first http URL. Ignored when `transport` is given. */
  rpcUrl?: string | undefined;
  transport?: Transport | undefined;
  deployment: CorDeployment;
  /** Wallet connectors (e.g. `injected()`); none for read-only or local-account use. */
  connectors?: CreateConnectorFn[] | undefined;
  /** Polling interval of the wagmi clients, in ms. */
  pollingInterval?: number | undefined;
  ssr?: boolean | undefined;
  storage?: Storage | null | undefined;
};

/** A @wagmi/core config plus COR's deployment and contract objects. */
export type CorConfig<chain extends Chain = Chain> = {
  /** Pass to any @wagmi/core action (or WagmiProvider). */
  config: Config<readonly [chain], Record<chain["id"], Transport>>;
  chain: chain;
  deployment: CorDeployment;
  contracts: CorContracts;
};

/**
 * Creates a @wagmi/core config for one chain with COR network's addresses and ABIs attached.
 *
 * @example
 * import { injected } from '@wagmi/core'
 * import { foundry } from '@wagmi/core/chains'
 * import { createCorConfig } from '@cor-network/sdk/wagmi'
 * import deployment from '../deployments/31337.json'
 *
 * const cor = createCorConfig({ chain: foundry, rpcUrl: 'http://127.0.0.1:8545', deployment, connectors: [injected()] })
 */
export function createCorConfig<const chain extends Chain>(
  parameters: CreateCorConfigParameters<chain>,
): CorConfig<chain> {
  const { chain, deployment } = parameters;
  if (chain.id !== deployment.chainId) {
    throw new BaseError(
      `The deployment is for chain ${deployment.chainId} but the config's chain is ${chain.id} (${chain.name}).`,
      { docsSlug: "wagmi" },
    );
  }
  const transport = parameters.transport ?? http(parameters.rpcUrl ?? chain.rpcUrls.default.http[0]);
  const config = createConfig({
    chains: [chain],
    transports: { [chain.id]: transport } as Record<chain["id"], Transport>,
    connectors: parameters.connectors,
    pollingInterval: parameters.pollingInterval,
    ssr: parameters.ssr,
    ...(parameters.storage !== undefined ? { storage: parameters.storage } : {}),
  } as CreateConfigParameters<readonly [chain], Record<chain["id"], Transport>>);
  return { config, chain, deployment, contracts: corContracts(deployment) };
}
