import { createHash } from "node:crypto";
import { existsSync, readdirSync, readFileSync, renameSync, statSync, writeFileSync } from "node:fs";
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import {
  type Account,
  type Address,
  type Chain,
  createPublicClient,
  createTestClient,
  createWalletClient,
  defineChain,
  type Hex,
  http,
  type PublicActions,
  publicActions,
  type Transport,
  type WalletClient,
} from "viem";
import { privateKeyToAccount } from "viem/accounts";
import type { Deployment } from "../deployments.ts";
import { corTokenAbi } from "../generated/abis.ts";
import { type ContentStore, createEmbeddedStore } from "../storage/index.ts";
import { type Anvil, anvilKey, deployCore, repoRoot, startAnvil } from "./anvil.ts";

/** A wallet client that can also read (what tests and scripts usually want). */
export type TestClient = WalletClient<Transport, Chain, Account> & PublicActions<Transport, Chain, Account>;

export type CorTestNetwork = {
  anvil: Anvil;
  rpcUrl: string;
  chain: Chain;
  deployment: Deployment;
  /** Read-only client. */
  publicClient: ReturnType<typeof createPublicClient<Transport, Chain>>;
  /** Wallet + public client of anvil account `i` (0 = deployer, network owner, holds all COR). */
  client: (i: number) => TestClient;
  address: (i: number) => Address;
  /** Sends `amount` COR (wei) from account 0 to account `i` (or an address). */
  fund: (to: number | Address, amount: bigint) => Promise<void>;
  /** COR balance (wei) of account `i` or an address. */
  balanceOf: (of: number | Address) => Promise<bigint>;
  /** Moves chain time forward and mines a block. */
  increaseTime: (seconds: number) => Promise<void>;
  stop: () => Promise<void>;
};

const hashTree = (hash: ReturnType<typeof createHash>, dir: string) => {
  if (!existsSync(dir)) return;
  for (const name of readdirSync(dir).sort()) {
    const path = join(dir, name);
    if (statSync(path).isDirectory()) hashTree(hash, path);
    else if (name.endsWith(".sol") || name.endsWith(".toml")) hash.update(path).update(readFileSync(path));
  }
};

/** Key of the deployed state: the sources the forge script compiles and runs. */
const stateKey = (): string => {
  const root = repoRoot();
  const hash = createHash("sha256");
  hashTree(hash, join(root, "contracts"));
  hashTree(hash, join(root, "script"));
  hash.update(readFileSync(join(root, "foundry.toml")));
  return hash.digest("hex").slice(0, 16);
};

type CachedState = { state: Hex; deployment: Deployment };

/**
 * A fresh anvil with COR network deployed by the real forge script (script/01_DeployCore.s.sol).
 *
 * The first call runs `forge script` (~3 s) and caches anvil's state in the OS temp directory, keyed by the
 * contract and script sources; later calls (every test file) load that state into a new anvil (~0.3 s).
 * Set COR_TEST_NO_STATE_CACHE=1 to always deploy.
 */
export async function setupNetwork(opts: { blockTime?: number } = {}): Promise<CorTestNetwork> {
  const anvil = await startAnvil({ blockTime: opts.blockTime });
  const rpcUrl = anvil.rpcUrl;
  const chain = defineChain({
    id: 31337,
    name: "anvil",
    nativeCurrency: { name: "Ether", symbol: "ETH", decimals: 18 },
    rpcUrls: { default: { http: [rpcUrl] } },
  });
  const transport = http(rpcUrl, { retryCount: 0 });
  const publicClient = createPublicClient({ chain, transport, pollingInterval: 50 });
  const anvilClient = createTestClient({ mode: "anvil", chain, transport });

  let deployment: Deployment;
  const file = join(tmpdir(), `cor-sdk-anvil-state-${stateKey()}.json`);
  if (process.env.COR_TEST_NO_STATE_CACHE !== "1" && existsSync(file)) {
    const cached = JSON.parse(readFileSync(file, "utf8")) as CachedState;
    await anvilClient.loadState({ state: cached.state });
    deployment = cached.deployment;
  } else {
    deployment = await deployCore({ rpcUrl });
    const state = await anvilClient.dumpState();
    const tmp = `${file}.${process.pid}.tmp`;
    writeFileSync(tmp, JSON.stringify({ state, deployment } satisfies CachedState));
    renameSync(tmp, file);
  }

  const clients = new Map<number, TestClient>();
  const client = (i: number): TestClient => {
    let c = clients.get(i);
    if (!c) {
      c = createWalletClient<Transport, Chain, Account>({
        chain,
        transport,
        account: privateKeyToAccount(anvilKey(i)),
        pollingInterval: 50,
      }).extend(publicActions);
      clients.set(i, c);
    }
    return c;
  };
  const address = (i: number) => client(i).account.address;
  const toAddress = (to: number | Address) => (typeof to === "number" ? address(to) : to);

  return {
    anvil,
    rpcUrl,
    chain,
    deployment,
    publicClient,
    client,
    address,
    fund: async (to, amount) => {
      const owner = client(0);
      const hash = await owner.writeContract({
        address: deployment.token,
        abi: corTokenAbi,
        functionName: "transfer",
        args: [toAddress(to), amount],
      });
      await owner.waitForTransactionReceipt({ hash });
    },
    balanceOf: (of) =>
      publicClient.readContract({
        address: deployment.token,
        abi: corTokenAbi,
        functionName: "balanceOf",
        args: [toAddress(of)],
      }),
    increaseTime: async (seconds) => {
      await anvilClient.increaseTime({ seconds });
      await anvilClient.mine({ blocks: 1 });
    },
    stop: () => anvil.stop(),
  };
}

/** An embedded content store in a fresh temp directory, removed by `close()`. */
export async function tempContentStore(): Promise<ContentStore & { directory: string }> {
  const directory = await mkdtemp(join(tmpdir(), "cor-sdk-store-"));
  const store = await createEmbeddedStore({ directory });
  return {
    ...store,
    kind: store.kind,
    add: store.add.bind(store),
    get: store.get.bind(store),
    has: store.has.bind(store),
    directory,
    close: async () => {
      await store.close();
      await rm(directory, { recursive: true, force: true });
    },
  };
}
