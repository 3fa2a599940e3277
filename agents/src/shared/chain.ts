import { type Deployment, iCorNetworkAbi, isContractError, toCorError } from "@cor-network/sdk";
import {
  type Abi,
  type Address,
  type Chain,
  type ContractFunctionArgs,
  type ContractFunctionName,
  createPublicClient,
  createWalletClient,
  decodeEventLog,
  defineChain,
  type Hash,
  type Hex,
  type HttpTransport,
  http,
  type Log,
  type PrivateKeyAccount,
  type PublicClient,
  publicActions,
  type WalletClient,
  type WriteContractParameters,
} from "viem";
import { privateKeyToAccount } from "viem/accounts";
import { AgentError, isRetryable, revertName } from "./errors.ts";
import type { Logger } from "./logger.ts";

export const networkAbi = iCorNetworkAbi;

export type Clients = {
  chain: Chain;
  publicClient: PublicClient;
  walletClient: WalletClient<HttpTransport, Chain, PrivateKeyAccount>;
  account: PrivateKeyAccount;
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
  const walletClient = createWalletClient({ chain, transport, account, pollingInterval: 250 });
  return { chain, publicClient, walletClient, account, deployment };
};

/**
 * `read(functionName, args)` against the network contract (the caller names the result type).
 * @deprecated Only the router still reads this way; agents use the SDK's decoded reads (getTask, getSession, getNode).
 */
export const networkReader =
  (clients: Clients) =>
  <T>(functionName: string, args: readonly unknown[]): Promise<T> =>
    clients.publicClient.readContract({
      address: clients.deployment.network,
      abi: networkAbi as Abi,
      functionName,
      args,
    }) as Promise<T>;

/** One contract call as the queue sends it (what an SDK action hands to `writeContract`). */
type ContractCall = { address: Address; abi: Abi; functionName: string; args?: readonly unknown[] | undefined };

/** `commit task=12 slot=0`: the log label of a call (its first arguments, long values shortened). */
export const callLabel = (functionName: string, args: readonly unknown[] = []): string => {
  const show = (v: unknown): string =>
    Array.isArray(v)
      ? `[${v.slice(0, 8).map(show).join(",")}${v.length > 8 ? ",…" : ""}]`
      : typeof v === "string" && v.length > 14
        ? `${v.slice(0, 10)}…`
        : typeof v === "object" && v !== null
          ? "{…}"
          : String(v);
  return [functionName, ...args.slice(0, 2).map(show)].join(" ");
};

/**
 * The agent's one transaction sender. Transactions are serialized through one queue; each is simulated first (a
 * revert surfaces as the SDK's decoded ContractRevertedError and costs no gas), sent with a locally tracked nonce
 * and awaited. Nonce errors and network hiccups resync the nonce from the chain and retry.
 *
 * `client` is the wallet client every SDK action gets (`commitResult(tx.client, …)`): its `writeContract` is this
 * queue, so SDK writes (and their approvals) share the agent's nonce, retries and logs, with the SDK's types.
 */
export const createTxSender = (clients: Clients, logger: Logger) => {
  let queue: Promise<unknown> = Promise.resolve();
  let nonce: number | undefined;
  const send = async (call: ContractCall): Promise<Hex> => {
    const { publicClient, walletClient, account } = clients;
    const label = callLabel(call.functionName, call.args);
    for (let attempt = 1; ; attempt++) {
      try {
        nonce ??= await publicClient.getTransactionCount({ address: account.address, blockTag: "pending" });
        const { request } = await publicClient.simulateContract({ ...call, account });
        const started = Date.now();
        // Headroom over the estimate: a commit, reveal, expiry or attestation that happens to be mined last
        // settles the task in the same call (up to ~250k more gas at R=7) although it was estimated before
        // the others landed. Unused gas is not charged.
        const estimate = await publicClient.estimateContractGas(request);
        const hash = await walletClient.writeContract({
          ...request,
          chain: clients.chain,
          nonce,
          gas: estimate + 400_000n,
        });
        nonce += 1;
        const receipt = await publicClient.waitForTransactionReceipt({ hash, timeout: 60_000 });
        // Reverted after a passing simulation: the state moved in between; simulate again (a real revert then
        // surfaces as the contract's custom error and is not retried).
        if (receipt.status !== "success")
          throw new AgentError(`${label} reverted on chain`, { details: hash, retryable: true });
        logger.debug(`${label} mined block=${receipt.blockNumber} (${Date.now() - started}ms)`);
        return hash;
      } catch (err) {
        const reverted = toCorError(err, {
          functionName: call.functionName,
          args: call.args,
          contractAddress: call.address,
          sender: account.address,
        });
        if (isContractError(reverted)) throw reverted; // the same call reverts the same way: never retried
        nonce = undefined; // resync from chain on any send failure
        if (attempt >= 5 || !isRetryable(err)) throw err;
        await new Promise((r) => setTimeout(r, 200 * attempt));
      }
    }
  };
  const enqueue = (call: ContractCall): Promise<Hex> => {
    const p = queue.then(() => send(call));
    queue = p.catch(() => undefined);
    return p;
  };
  const writeContract = <
    const abi extends Abi | readonly unknown[],
    functionName extends ContractFunctionName<abi, "nonpayable" | "payable">,
    args extends ContractFunctionArgs<abi, "nonpayable" | "payable", functionName>,
    chainOverride extends Chain | undefined = undefined,
  >(
    p: WriteContractParameters<abi, functionName, args, Chain, PrivateKeyAccount, chainOverride>,
  ): Promise<Hash> =>
    enqueue({
      address: p.address,
      abi: p.abi as Abi,
      functionName: p.functionName,
      args: p.args as readonly unknown[],
    });
  const client = clients.walletClient.extend(publicActions).extend(() => ({ writeContract }));
  /** Legacy string-named writes (router only, until it moves onto SDK actions): a revert becomes an AgentError. */
  const legacy = (call: ContractCall, label: string) =>
    enqueue(call).catch((err) => {
      const name = revertName(err);
      if (name) throw new AgentError(`${label} reverted: ${name}`, { cause: err, retryable: false });
      throw err;
    });
  return {
    /** The wallet client for SDK actions; every write it makes goes through this sender. */
    client,
    /** The network address SDK actions take (`deployment.network`). */
    network: clients.deployment.network,
    /** @deprecated Use an SDK action with `client`. Queues a network write; resolves with the tx hash once mined. */
    write: (functionName: string, args: readonly unknown[], label = functionName): Promise<Hex> =>
      legacy({ address: clients.deployment.network, abi: networkAbi as Abi, functionName, args }, label),
    /** @deprecated Use an SDK action with `client`. */
    writeTo: (address: Address, abi: Abi, functionName: string, args: readonly unknown[], label = functionName) =>
      legacy({ address, abi, functionName, args }, label),
  };
};
export type TxSender = ReturnType<typeof createTxSender>;
/** The wallet client SDK actions get: viem's public and wallet actions, writes through the agent's TxSender. */
export type AgentClient = TxSender["client"];

export type NetworkLog = Log & { eventName: string; args: Record<string, unknown> };

/** What the follower knows about a batch: replayed history (at or below the head seen at boot) or live. */
export type BatchInfo = { live: boolean; fromBlock: bigint; toBlock: bigint };

/**
 * Follows the network's events from `fromBlock` (the deployment block on boot: the agent rebuilds its view
 * from the chain) in bounded block ranges, calling `onLogs` in order. Batches up to the head seen at boot are
 * marked replayed (`live: false`): a handler must not start timers or penalties from history.
 *
 * Isolation: an RPC failure retries the same range with backoff (never skipping blocks); a handler that throws
 * gets the same batch again up to 3 times, then the batch is logged and skipped, so one bad event or one
 * broken subscriber can never stall the reader for everyone.
 */
export const followEvents = (
  clients: Clients,
  opts: {
    fromBlock: bigint;
    intervalMs?: number;
    logger: Logger;
    onLogs: (logs: NetworkLog[], info: BatchInfo) => Promise<void>;
  },
) => {
  let next = opts.fromBlock;
  let stopped = false;
  let timer: NodeJS.Timeout | undefined;
  let bootHead: bigint | undefined;
  let rpcFailures = 0;
  let failingSince = 0;
  let resolveCaughtUp: () => void = () => undefined;
  const caughtUp = new Promise<void>((r) => {
    resolveCaughtUp = r;
  });
  const handle = async (logs: NetworkLog[], info: BatchInfo) => {
    for (let attempt = 1; ; attempt++) {
      try {
        await opts.onLogs(logs, info);
        return;
      } catch (err) {
        if (attempt >= 3) {
          opts.logger.error(
            { err: String(err), fromBlock: String(info.fromBlock), toBlock: String(info.toBlock) },
            "Event handler failed 3 times; skipping batch",
          );
          return;
        }
        await new Promise((r) => setTimeout(r, 100 * attempt));
      }
    }
  };
  const tick = async () => {
    if (stopped) return;
    try {
      const head = await clients.publicClient.getBlockNumber({ cacheTime: 0 });
      bootHead ??= head;
      while (next <= head && !stopped) {
        const to = next + 2000n > head ? head : next + 2000n;
        const logs = (await clients.publicClient.getContractEvents({
          address: clients.deployment.network,
          abi: networkAbi,
          fromBlock: next,
          toBlock: to,
        })) as unknown as NetworkLog[];
        if (logs.length) await handle(logs, { live: next > bootHead, fromBlock: next, toBlock: to });
        next = to + 1n;
      }
      if (next > bootHead) resolveCaughtUp();
      if (rpcFailures)
        opts.logger.info(`Event poll recovered after ${rpcFailures} failures (${Date.now() - failingSince}ms)`);
      rpcFailures = 0;
    } catch (err) {
      if (rpcFailures === 0) failingSince = Date.now();
      rpcFailures++;
      // One line per outage, then one every 10 failures: an RPC outage must not flood the log.
      if (rpcFailures === 1 || rpcFailures % 10 === 0) {
        opts.logger.warn(
          { err: String(err).split("\n")[0], failures: rpcFailures, block: String(next) },
          "Event poll failed; retrying",
        );
      }
    }
    const delay = rpcFailures ? Math.min(5_000, 200 * 2 ** Math.min(rpcFailures - 1, 5)) : (opts.intervalMs ?? 200);
    if (!stopped) timer = setTimeout(tick, delay);
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
    /** Resolves once every block up to the head seen at boot has been handled. */
    caughtUp,
  };
};

/** Chain time: the latest block's timestamp (deadlines compare against it, not the local clock). */
export const chainTime = async (clients: Clients): Promise<bigint> =>
  (await clients.publicClient.getBlock({ blockTag: "latest" })).timestamp;

/** The args of the first `eventName` event of the network in a receipt's logs (throws if there is none). */
export const eventArgs = (
  logs: readonly { data: Hex; topics: readonly Hex[] }[],
  eventName: string,
): Record<string, unknown> => {
  for (const log of logs) {
    try {
      const decoded = decodeEventLog({ abi: networkAbi, data: log.data, topics: log.topics as [Hex, ...Hex[]] });
      if (decoded.eventName === eventName) return decoded.args as Record<string, unknown>;
    } catch {
      // not one of ours (e.g. a token Transfer)
    }
  }
  throw new AgentError(`Receipt has no ${eventName} event`);
};
