import {
  type Config,
  type CreateConfigParameters,
  type CreateConnectorFn,
  createConfig,
  getChainId,
  http,
  type Storage,
} from "@wagmi/core";
import type { Address, Chain, Hex, Transport } from "viem";
import { getDeployment, type UnknownDeploymentError } from "../deployments.ts";
import { BaseError, type BaseErrorType } from "../errors/base.ts";
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

/** A @wagmi/core config for one chain plus COR's deployment and contract objects (from {@link createCorConfig}). */
export type CorConfig<chain extends Chain = Chain> = {
  /** Pass to any @wagmi/core action (or WagmiProvider). */
  config: Config<readonly [chain], Record<chain["id"], Transport>>;
  chain: chain;
  deployment: CorDeployment;
  contracts: CorContracts;
  /** `{ [chain.id]: deployment }`: makes a CorConfig a {@link CorWagmiConfig}. */
  deployments: Readonly<Record<number, CorDeployment>>;
};

/**
 * What every wagmi action of the SDK takes as its first argument:
 *
 * - the app's own @wagmi/core `Config`, with any number of chains: each call runs on `parameters.chainId`, else
 *   the config's current chain (the connected wallet's, else the first), with the deployment of that chain from the
 *   SDK's registry (`deployments`);
 * - or `{ config, deployments }`: the same, with deployments by chain id that take precedence over the registry's
 *   (a local fork, a chain the registry does not know). A {@link CorConfig} is one of these.
 */
export type CorWagmiConfig =
  | Config
  | { config: Config; deployments?: Readonly<Record<number, CorDeployment | undefined>> | undefined };

/** The `chainId` every wagmi action of the SDK accepts. */
export type CorChainIdParameter = {
  /** Chain to run on (one of the config's chains); default the config's current chain. */
  chainId?: number | undefined;
};

/** What resolving a chain can throw: a chain outside the config (BaseError), a chain without a deployment. */
export type CorDeploymentErrorType = BaseErrorType | UnknownDeploymentError;

/** A {@link CorWagmiConfig} resolved for one chain. */
export type ResolvedCorConfig = {
  config: Config;
  chainId: number;
  deployment: CorDeployment;
  contracts: CorContracts;
};

const isWagmiConfig = (value: CorWagmiConfig): value is Config =>
  typeof (value as Config).getClient === "function" && Array.isArray((value as Config).chains);

/**
 * The chain, deployment and contract objects a wagmi action uses: `chainId` (default the config's current chain)
 * must be one of the config's chains; its deployment comes from the passed `deployments`, else the SDK's registry
 * (UnknownDeploymentError when neither has one).
 *
 * @example
 * const { deployment, contracts } = getCorDeployment(config, { chainId: 31337 })
 * const task = await readContract(config, { ...contracts.network, functionName: 'getTask', args: [taskId] })
 */
export function getCorDeployment(cor: CorWagmiConfig, { chainId }: CorChainIdParameter = {}): ResolvedCorConfig {
  const config = isWagmiConfig(cor) ? cor : cor.config;
  const id = chainId ?? getChainId(config);
  if (!config.chains.some((chain) => chain.id === id)) {
    throw new BaseError(
      `Chain ${id} is not one of the wagmi config's chains (${config.chains.map((chain) => chain.id).join(", ")}).`,
      {
        docsSlug: "wagmi",
        metaMessages: ["Add the chain (and a transport) to createConfig, or pass another chainId."],
      },
    );
  }
  const passed = isWagmiConfig(cor) ? undefined : cor.deployments?.[id];
  const deployment = passed ?? getDeployment(id);
  if (deployment.chainId !== id) {
    throw new BaseError(`The deployment given for chain ${id} is for chain ${deployment.chainId}.`, {
      docsSlug: "wagmi",
    });
  }
  return { config, chainId: id, deployment, contracts: corContracts(deployment) };
}

/**
 * Creates a @wagmi/core config for one chain with COR network's addresses and ABIs attached. An app that already
 * has a wagmi config (any number of chains) passes that config to the actions instead: see {@link CorWagmiConfig}.
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
  return { config, chain, deployment, contracts: corContracts(deployment), deployments: { [chain.id]: deployment } };
}
