// Browser entry of the packed-package test: bundled for platform "browser" (no Node built-ins may be reached) and
// type-checked with DOM types only (no @types/node).
import {
  computeCid,
  contentHash,
  corTokenAbi,
  createRouterClient,
  generateEncryptionKeyPair,
  getDeployment,
  iCorNetworkAbi,
  type KnownChainId,
  parseCor,
  taskIdOf,
} from "@cor-network/sdk";
import { createCorConfig, readTaskWagmi } from "@cor-network/sdk/wagmi";
import { foundry } from "@wagmi/core/chains";

const deployment = getDeployment(31337);
// The registry keeps literal types through the declarations.
const chainId: KnownChainId = deployment.chainId;
const cor = createCorConfig({ chain: foundry, rpcUrl: "http://127.0.0.1:8545", deployment });
const router = createRouterClient({ url: "http://127.0.0.1:8080" });
const keys = await generateEncryptionKeyPair();

const out = {
  chainId,
  network: cor.contracts.network.address,
  taskId: taskIdOf(1, 2).toString(),
  hash: contentHash("hello world"),
  cid: await computeCid("hello world"),
  abiEntries: iCorNetworkAbi.length + corTokenAbi.length,
  price: parseCor("1").toString(),
  publicKey: keys.publicKey.length, // 0x + 32 bytes hex
  router: typeof router.chatCompletions,
  read: typeof readTaskWagmi,
};
document.body.textContent = JSON.stringify(out);
