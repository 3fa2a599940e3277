// Type-checked under moduleResolution NodeNext with @types/node: every entry, including the Node-only ones.
import { type Deployment, getDeployment, iCorNetworkAbi, taskIdOf } from "@cor-network/sdk";
import abi from "@cor-network/sdk/abis/iCorNetworkAbi.json" with { type: "json" };
import { loadDeployment } from "@cor-network/sdk/node";
import { type ContentStore, createContentStore } from "@cor-network/sdk/storage";
import { type Anvil, freePort, startAnvil } from "@cor-network/sdk/testing";
import { createCorConfig } from "@cor-network/sdk/wagmi";
import { foundry } from "viem/chains";

export async function main(directory: string): Promise<string> {
  const store: ContentStore = await createContentStore({ directory });
  const { cid } = await store.add("hello world");
  const deployment: Deployment = loadDeployment(31337);
  const cor = createCorConfig({ chain: foundry, deployment: getDeployment(31337) });
  const start: (opts?: { port?: number }) => Promise<Anvil> = startAnvil;
  return `${cid} ${taskIdOf(1, 1)} ${deployment.network} ${cor.chain.id} ${iCorNetworkAbi.length} ${abi.length} ${typeof start} ${await freePort()}`;
}
