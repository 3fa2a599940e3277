/**
 * @cor-network/sdk/node: the Node-only parts besides storage. Deployments read from files
 * (deployments/<chainId>.json as script/01_DeployCore.s.sol writes them). Uses node:fs, node:path, node:url.
 */
export type { Deployment } from "./deployments.ts";
export { deploymentsDir, loadDeployment } from "./node/deployments.ts";
