import {
  type Abi,
  type Address,
  type Chain,
  type Hex,
  type Log,
  type PublicClient,
  type WalletClient,
  createPublicClient,
  createWalletClient,
  defineChain,
  http,
} from "viem";
import { privateKeyToAccount } from "viem/accounts";
import { iCorNetworkAbi } from "../../../sdk/src/generated/abis.ts";
import type { Deployment } from "../../../sdk/src/deployments.ts";
import { AgentError, isRetryable, revertName } from "./errors.ts";
import type { Logger } from "./logger.ts";

export const networkAbi = iCorNetworkAbi;

export type Clients = {
  chain: Chain;
  publicClient: PublicClient;
  walletClient: WalletClient;
  account: ReturnType<typeof privateKeyToAccount>;
  deployment: Deployment;
};

export const createClients = async (rpcUrl: string, privateKey: Hex, deployment: Deployment): Promise<Clients> => {
  const chain = defineChain({
    id: deployment.chainId,
    name: deployment.chainId === 31337 ? "anvil" : `chain-${deployment.chainId}`,
    nativeCurrency: { name: "Ether", symbol: "ETH", decimals: 18 },
    rpcUrls: { default: { http: [rpcUrl] } },
  });
  const transport = http(rpcUrl, { retryCount: 3, timeout: 15_000 });
  const account = privateKeyToAccount(privateKey);
  const publicClient = createPublicClient({ chain, transport, pollingInterval: 250 }) as PublicClient;
  const walletClient = createWalletClient({ chain, transport, account });
  return { chain, publicClient, walletClient, account, deployment };
};

type WriteRequest = { address: Address; abi: Abi; functionName: string; args: readonly unknown[]; label: string };

/**
 * Nonce-safe transaction sender: transactions from one agent are serialized through one queue, each is
 * simulated first (a revert surfaces as a decoded custom error and costs no gas), sent with a locally
 * tracked nonce (so several land in one block) and awaited. Nonce errors resync from the chain and retry.
 */
export const createTxSender = (clients: Clients, logger: Logger) => {
  let queue: Promise<unknown> = Promise.resolve();
  let nonce: number | undefined;
  const send = async (req: WriteRequest): Promise<Hex> => {
    const { publicClient, walletClient, account } = clients;
    for (let attempt = 1; ; attempt++) {
      try {
        nonce ??= await publicClient.getTransactionCount({ address: account.address, blockTag: "pending" });
        const { request } = await publicClient.simulateContract({
          address: req.address,
          abi: req.abi,
          functionName: req.functionName,
          args: req.args,
          account,
        } as never);
        const started = Date.now();
        // Headroom over the estimate: a commit, reveal, expiry or attestation that happens to be mined last
        // settles the task in the same call (up to ~250k more gas at R=7) although it was estimated before
        // the others landed. Unused gas is not charged.
        const estimate = (request as { gas?: bigint }).gas ?? (await publicClient.estimateContractGas({ ...(request as object), account } as never));
        const hash = await walletClient.writeContract({ ...(request as object), nonce, gas: estimate + 400_000n } as never);
        nonce += 1;
        const receipt = await publicClient.waitForTransactionReceipt({ hash, timeout: 60_000 });
        // Reverted after a passing simulation: the state moved in between; simulate again (a real revert then
        // surfaces as the contract's custom error and is not retried).
        if (receipt.status !== "success") throw new AgentError(`${req.label} reverted on chain`, { details: hash, retryable: true });
        logger.debug(`${req.label} mined block=${receipt.blockNumber} (${Date.now() - started}ms)`);
        return hash;
      } catch (err) {
        const name = revertName(err);
        if (name) throw new AgentError(`${req.label} reverted: ${name}`, { cause: err, retryable: false });
        nonce = undefined; // resync from chain on any send failure
        if (attempt >= 5 || !isRetryable(err)) throw err;
        await new Promise((r) => setTimeout(r, 200 * attempt));
      }
    }
  };
  return {
    /** Queues a contract write; resolves with the tx hash once mined. */
    write: (functionName: string, args: readonly unknown[], label = functionName): Promise<Hex> => {
      const p = queue.then(() =>
        send({ address: clients.deployment.network, abi: networkAbi as Abi, functionName, args, label }),
      );
      queue = p.catch(() => undefined);
      return p;
    },
    writeTo: (address: Address, abi: Abi, functionName: string, args: readonly unknown[], label = functionName) => {
      const p = queue.then(() => send({ address, abi, functionName, args, label }));
      queue = p.catch(() => undefined);
      return p;
    },
  };
};
export type TxSender = ReturnType<typeof createTxSender>;

export type NetworkLog = Log & { eventName: string; args: Record<string, unknown> };

/**
 * Follows the network's events from `fromBlock` (the deployment block on boot: the agent rebuilds its view
 * from the chain) in bounded block ranges, calling `onLogs` in order. Never skips a range: a failed poll is
 * retried from the same block.
 */
export const followEvents = (
  clients: Clients,
  opts: { fromBlock: bigint; intervalMs?: number; logger: Logger; onLogs: (logs: NetworkLog[]) => Promise<void> },
) => {
  let next = opts.fromBlock;
  let stopped = false;
  let timer: NodeJS.Timeout | undefined;
  const tick = async () => {
    if (stopped) return;
    try {
      const head = await clients.publicClient.getBlockNumber({ cacheTime: 0 });
      while (next <= head && !stopped) {
        const to = next + 2000n > head ? head : next + 2000n;
        const logs = (await clients.publicClient.getContractEvents({
          address: clients.deployment.network,
          abi: networkAbi,
          fromBlock: next,
          toBlock: to,
        })) as unknown as NetworkLog[];
        if (logs.length) await opts.onLogs(logs);
        next = to + 1n;
      }
    } catch (err) {
      opts.logger.warn({ err: String(err) }, "Event poll failed; retrying");
    }
    if (!stopped) timer = setTimeout(tick, opts.intervalMs ?? 200);
  };
  void tick();
  return {
    stop: () => {
      stopped = true;
      if (timer) clearTimeout(timer);
    },
    get nextBlock() {
      return next;
    },
  };
};

/** Chain time: the latest block's timestamp (deadlines compare against it, not the local clock). */
export const chainTime = async (clients: Clients): Promise<bigint> =>
  (await clients.publicClient.getBlock({ blockTag: "latest" })).timestamp;
