import { existsSync, readFileSync } from "node:fs";
import { dirname, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import type { Deployment } from "../deployments.ts";

/** The repository's deployments/ folder (override with COR_DEPLOYMENTS_DIR). */
export const deploymentsDir = (): string => {
  if (process.env.COR_DEPLOYMENTS_DIR) return resolve(process.env.COR_DEPLOYMENTS_DIR);
  let dir = dirname(fileURLToPath(import.meta.url));
  while (dir !== dirname(dir)) {
    if (existsSync(join(dir, "foundry.toml"))) return join(dir, "deployments");
    dir = dirname(dir);
  }
  return resolve("deployments");
};

/** Reads deployments/<chainId>.json (or an explicit file). Throws a clear error when it is missing. */
export const loadDeployment = (chainIdOrFile: number | string): Deployment => {
  const file =
    typeof chainIdOrFile === "number" ? join(deploymentsDir(), `${chainIdOrFile}.json`) : resolve(chainIdOrFile);
  if (!existsSync(file)) {
    throw new Error(`No deployment at ${file}: deploy first (npm start, or forge script script/01_DeployCore.s.sol)`);
  }
  const raw = JSON.parse(readFileSync(file, "utf8"));
  return {
    chainId: Number(raw.chainId),
    token: raw.token,
    network: raw.network,
    registry: raw.registry,
    owner: raw.owner,
    startBlock: Number(raw.startBlock),
    modelId: raw.modelId,
    modelName: raw.modelName,
  };
};
