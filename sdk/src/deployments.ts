import type { Address, Hex } from "viem";
import { BaseError } from "./errors/base.ts";

/** What `script/01_DeployCore.s.sol` writes to deployments/<chainId>.json: the one source of addresses. */
export type Deployment = {
  chainId: number;
  token: Address;
  network: Address;
  registry: Address;
  owner: Address;
  startBlock: number;
  modelId: Hex;
  modelName: string;
};

/** A registry entry: a {@link Deployment} with a name and whether its contracts exist yet. */
export type KnownDeployment = Deployment & {
  /** Short name: `anvil`, `arbitrum-sepolia`. */
  name: string;
  /** False while the entry holds placeholder (zero) addresses: `getDeployment` refuses it. */
  deployed: boolean;
};

/**
 * Known deployments, by chain id. Browser-safe (no file reads): dapps take addresses from here.
 *
 * - `31337` is what `npm start` (or `forge script script/01_DeployCore.s.sol` with anvil account 0 on a fresh
 *   anvil) deploys: the addresses follow from the deployer's nonces, the model id is sha256 of stories260K.gguf.
 * - `421614` (Arbitrum Sepolia) is the public testnet entry. It holds placeholders until the core is deployed
 *   there; after the deploy script wrote deployments/421614.json, `npm run registry -w @cor-network/sdk` copies
 *   it into this entry with `deployed: true` (docs/sdk.md, "Deployments").
 *
 * Deployments written to files (any chain, any fork) are read with `loadDeployment` from `@cor-network/sdk/node`.
 */
// Generated between the registry markers by `npm run registry -w @cor-network/sdk` (sdk/scripts/registry.ts).
// <registry>
export const deployments = {
  31337: {
    name: "anvil",
    deployed: true,
    chainId: 31337,
    token: "0x5FbDB2315678afecb367f032d93F642f64180aa3",
    registry: "0xe7f1725E7734CE288F8367e1Bb143E90bb3F0512",
    network: "0x9fE46736679d2D9a65F0992F2272dE9f3c7fa6e0",
    owner: "0xf39Fd6e51aad88F6F4ce6aB8827279cffFb92266",
    startBlock: 0,
    modelId: "0x270cba1bd5109f42d03350f60406024560464db173c0e387d91f0426d3bd256d",
    modelName: "stories260K",
  },
  421614: {
    name: "arbitrum-sepolia",
    deployed: false,
    chainId: 421614,
    token: "0x0000000000000000000000000000000000000000",
    registry: "0x0000000000000000000000000000000000000000",
    network: "0x0000000000000000000000000000000000000000",
    owner: "0x0000000000000000000000000000000000000000",
    startBlock: 0,
    modelId: "0x0000000000000000000000000000000000000000000000000000000000000000",
    modelName: "stories260K",
  },
} as const satisfies Record<number, KnownDeployment>;
// </registry>

/** Chain ids with a registry entry. */
export type KnownChainId = keyof typeof deployments;

export type UnknownDeploymentErrorType = UnknownDeploymentError & { name: "UnknownDeploymentError" };
/** Thrown by {@link getDeployment} for a chain without a (deployed) registry entry. */
export class UnknownDeploymentError extends BaseError {
  override name = "UnknownDeploymentError";
  readonly chainId: number;
  constructor(chainId: number, reason: "unknown" | "placeholder") {
    super(
      reason === "unknown"
        ? `No known COR network deployment on chain ${chainId} (known: ${Object.keys(deployments).join(", ")}): pass your own Deployment, or read one from a file with loadDeployment from @cor-network/sdk/node.`
        : `The COR network entry for chain ${chainId} is a placeholder: the contracts are not deployed there yet.`,
      { docsSlug: "deployments", retryable: false },
    );
    this.chainId = chainId;
  }
}

/** The registry's deployment on `chainId`; throws {@link UnknownDeploymentError} when there is none yet. */
export function getDeployment<chainId extends KnownChainId>(chainId: chainId): (typeof deployments)[chainId];
export function getDeployment(chainId: number): KnownDeployment;
export function getDeployment(chainId: number): KnownDeployment {
  const entry = (deployments as Record<number, KnownDeployment | undefined>)[chainId];
  if (entry === undefined) throw new UnknownDeploymentError(chainId, "unknown");
  if (!entry.deployed) throw new UnknownDeploymentError(chainId, "placeholder");
  return entry;
}
