import { type Deployment, iCorNetworkAbi, isContractError, toCorError, walk } from "@cor-network/sdk";
import {
  type Abi,
  type Address,
  type Chain,
  type ContractFunctionArgs,
  type ContractFunctionName,
  createPublicClient,
  createWalletClient,
  defineChain,
  encodeFunctionData,
  type Hash,
  type Hex,
  type HttpTransport,
  http,
  keccak256,
  type Log,
  type PrivateKeyAccount,
  type PublicClient,
  publicActions,
  type TransactionReceipt,
  TransactionReceiptNotFoundError,
  type WalletClient,
  type WriteContractParameters,
} from "viem";
import { privateKeyToAccount } from "viem/accounts";
import { getTransactionError } from "viem/utils";
import { AgentError, isRetryable } from "./errors.ts";
import type { Logger } from "./logger.ts";

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
 * A broadcast refused because the nonce is taken or known (another process with this key, a restart, a lost
 * answer): the node's words, as viem's own node errors match them. The sender resyncs its nonce and retries.
 */
const NONCE_CONFLICT = /nonce|replacement transaction underpriced|already known|already imported/i;
const isNonceConflict = (err: unknown): boolean =>
  walk(err, (e) => e instanceof Error && NONCE_CONFLICT.test((e as { details?: string }).details ?? e.message)) !==
  null;

/** Tuning of the sender (tests shorten it). */
export type TxSenderOptions = {
  /** How often in-flight transactions are checked against the chain's mined nonce (default 150 ms). */
  pollMs?: number;
  /** A transaction not mined after this long is broadcast again, as signed (a node dropped it; default 15 s). */
  rebroadcastMs?: number;
  /** A transaction not mined after this long fails its caller with a retryable error (default 120 s). */
  timeoutMs?: number;
};

/** A broadcast transaction the sender waits on. */
type InFlight = {
  hash: Hash;
  raw: Hex;
  nonce: number;
  label: string;
  sentAt: number;
  lastBroadcast: number;
  /** Polls that found its nonce used but no receipt for it (replaced by another transaction after 3). */
  missing: number;
  settle: (outcome: Outcome) => void;
};
type Outcome = { receipt: TransactionReceipt } | { replaced: true } | { timedOut: true };

/** Most recent receipts kept for the SDK actions' waitForTransactionReceipt after a write (no second poll). */
const RECEIPT_CACHE = 512;

/**
 * The agent's one transaction sender, pipelined: many transactions of one agent land in the same block.
 *
 * Only nonce assignment, simulation and broadcast are serialized (one lock): each call is simulated with
 * `eth_estimateGas` against the **pending** block (which includes this agent's own transactions still in the pool,
 * so an assignment right after its submission simulates correctly), signed locally with the next nonce and
 * broadcast; the lock is then released and the receipt is awaited outside it. A revert at simulation surfaces as
 * the SDK's decoded ContractRevertedError and costs no gas. The promise of each call still resolves only once its
 * transaction is mined successfully.
 *
 * Nonces: taken from the chain's pending count at start (a restarted agent continues after its own transactions
 * still in the pool) and on any broadcast error (resync, then retry with backoff). A transaction that reverts on
 * chain, or whose nonce was used by another one (replaced), is simulated again and resent (a real revert then
 * surfaces as the contract's custom error); one a node dropped is broadcast again as signed.
 *
 * `client` is the wallet client every SDK action gets (`commitResult(tx.client, …)`): its `writeContract` is this
 * sender, so SDK writes (and their approvals) share the agent's nonce, retries and logs, with the SDK's types.
 */
export const createTxSender = (clients: Clients, logger: Logger, options: TxSenderOptions = {}) => {
  const { publicClient, account, chain } = clients;
  const pollMs = options.pollMs ?? 150;
  const rebroadcastMs = options.rebroadcastMs ?? 15_000;
  const timeoutMs = options.timeoutMs ?? 120_000;

  let lockTail: Promise<unknown> = Promise.resolve();
  /** Runs `fn` after every earlier locked section: broadcasts leave in call order. */
  const locked = <T>(fn: () => Promise<T>): Promise<T> => {
    const p = lockTail.then(fn);
    lockTail = p.catch(() => undefined);
    return p;
  };
  let nonce: number | undefined;

  // Fees: the latest base fee doubled plus the node's tip, fetched at most once per block time (~1 s): a
  // transaction stays includable while the base fee rises for a few blocks. Unused fee is not charged.
  let fees: { at: number; value: Promise<{ maxFeePerGas: bigint; maxPriorityFeePerGas: bigint }> } | undefined;
  const feesNow = () => {
    if (!fees || Date.now() - fees.at > 1_000) {
      const value = (async () => {
        const [block, tip] = await Promise.all([
          publicClient.getBlock({ blockTag: "latest" }),
          publicClient.estimateMaxPriorityFeePerGas().catch(() => 1_000_000_000n),
        ]);
        const base = block.baseFeePerGas ?? (await publicClient.getGasPrice());
        return { maxFeePerGas: base * 2n + tip, maxPriorityFeePerGas: tip };
      })();
      fees = { at: Date.now(), value };
      value.catch(() => {
        fees = undefined;
      });
    }
    return fees.value;
  };

  // In-flight transactions: one poll loop checks them all against the mined nonce (one RPC per poll, plus one
  // receipt per transaction mined), instead of a receipt poller per transaction.
  const inFlight = new Set<InFlight>();
  const receipts = new Map<Hash, TransactionReceipt>();
  let polling = false;
  let pollFailures = 0;
  const poll = async () => {
    try {
      const mined = await publicClient.getTransactionCount({ address: account.address, blockTag: "latest" });
      const now = Date.now();
      await Promise.all(
        [...inFlight].map(async (t) => {
          if (t.nonce < mined) {
            const receipt = await publicClient.getTransactionReceipt({ hash: t.hash }).catch((err) => {
              if (walk(err, (e) => e instanceof TransactionReceiptNotFoundError)) return undefined;
              throw err;
            });
            if (receipt) return done(t, { receipt });
            if (++t.missing >= 3) return done(t, { replaced: true });
          } else if (now - t.sentAt > timeoutMs) {
            done(t, { timedOut: true });
          } else if (now - t.lastBroadcast > rebroadcastMs) {
            t.lastBroadcast = now;
            logger.warn(`${t.label} not mined after ${now - t.sentAt}ms; broadcasting again nonce=${t.nonce}`);
            await publicClient.sendRawTransaction({ serializedTransaction: t.raw }).catch((err) => {
              logger.debug({ err: String(err).split("\n")[0] }, `${t.label} rebroadcast refused`);
            });
          }
        }),
      );
      pollFailures = 0;
    } catch (err) {
      // One line per outage, then one every 20 polls.
      if (pollFailures++ % 20 === 0)
        logger.warn({ err: String(err).split("\n")[0], inFlight: inFlight.size }, "Receipt poll failed; retrying");
    }
    if (inFlight.size) setTimeout(() => void poll(), pollMs);
    else polling = false;
  };
  const done = (t: InFlight, outcome: Outcome) => {
    if (!inFlight.delete(t)) return;
    if ("receipt" in outcome) {
      receipts.set(t.hash, outcome.receipt);
      if (receipts.size > RECEIPT_CACHE) receipts.delete(receipts.keys().next().value as Hash);
    }
    t.settle(outcome);
  };
  const track = (t: Omit<InFlight, "settle">): Promise<Outcome> =>
    new Promise((settle) => {
      inFlight.add({ ...t, settle });
      if (!polling) {
        polling = true;
        setTimeout(() => void poll(), pollMs);
      }
    });

  /** Under the lock: simulate against the pending block, sign with the next nonce, broadcast. */
  const broadcast = async (call: ContractCall, label: string): Promise<Omit<InFlight, "settle">> => {
    const context = {
      functionName: call.functionName,
      args: call.args,
      contractAddress: call.address,
      sender: account.address,
    };
    const data = encodeFunctionData({ abi: call.abi, functionName: call.functionName, args: call.args });
    for (let attempt = 1; ; attempt++) {
      try {
        const next = (nonce ??= await publicClient.getTransactionCount({
          address: account.address,
          blockTag: "pending",
        }));
        const [estimate, fee] = await Promise.all([
          publicClient
            .request({
              method: "eth_estimateGas",
              params: [{ from: account.address, to: call.address, data }, "pending"],
            })
            .catch((err) => {
              throw toCorError(err, context);
            }),
          feesNow(),
        ]);
        // Headroom over the estimate: a commit, reveal, expiry or attestation that happens to be mined last
        // settles the task in the same call (up to ~250k more gas at R=7) although it was estimated before the
        // others landed. Unused gas is not charged.
        const raw = await account.signTransaction({
          chainId: chain.id,
          type: "eip1559",
          to: call.address,
          data,
          nonce: next,
          gas: BigInt(estimate) + 400_000n,
          ...fee,
        });
        const hash = keccak256(raw);
        await publicClient.sendRawTransaction({ serializedTransaction: raw }).catch(async (err) => {
          // The request may have reached the node although its answer was lost: then the transaction is there.
          const known = await publicClient.getTransaction({ hash }).catch(() => undefined);
          if (!known) throw getTransactionError(err, { account, chain, nonce: next });
        });
        const sent = { hash, raw, nonce: next, label, sentAt: Date.now(), lastBroadcast: Date.now(), missing: 0 };
        nonce = next + 1;
        return sent;
      } catch (err) {
        if (isContractError(err)) throw err; // the same call reverts the same way: never retried
        nonce = undefined; // resync from the chain's pending count on any broadcast failure
        if (attempt >= 5 || !(isRetryable(err) || isNonceConflict(err))) throw err;
        logger.debug({ err: String(err).split("\n")[0], attempt }, `${label} broadcast failed; resyncing nonce`);
        await new Promise((r) => setTimeout(r, 200 * attempt));
      }
    }
  };

  const send = async (call: ContractCall): Promise<Hash> => {
    const label = callLabel(call.functionName, call.args);
    for (let attempt = 1; ; attempt++) {
      const t = await locked(() => broadcast(call, label));
      const outcome = await track(t);
      if ("receipt" in outcome && outcome.receipt.status === "success") {
        logger.debug(
          `${label} mined block=${outcome.receipt.blockNumber} nonce=${t.nonce} (${Date.now() - t.sentAt}ms)`,
        );
        return t.hash;
      }
      if ("timedOut" in outcome) {
        // Resync under the lock (never between another call's nonce read and its increment).
        void locked(async () => {
          nonce = undefined;
        });
        throw new AgentError(`${label} not mined after ${timeoutMs}ms`, { details: t.hash, retryable: true });
      }
      // Reverted after a passing simulation (the state moved in between) or replaced: simulate again; a real
      // revert then surfaces as the contract's custom error and is not retried.
      const why = "replaced" in outcome ? "was replaced (nonce used by another transaction)" : "reverted on chain";
      if (attempt >= 5) throw new AgentError(`${label} ${why}`, { details: t.hash, retryable: true });
      logger.warn(`${label} ${why}; simulating again (attempt ${attempt + 1})`);
    }
  };

  const writeContract = <
    const abi extends Abi | readonly unknown[],
    functionName extends ContractFunctionName<abi, "nonpayable" | "payable">,
    args extends ContractFunctionArgs<abi, "nonpayable" | "payable", functionName>,
    chainOverride extends Chain | undefined = undefined,
  >(
    p: WriteContractParameters<abi, functionName, args, Chain, PrivateKeyAccount, chainOverride>,
  ): Promise<Hash> =>
    send({
      address: p.address,
      abi: p.abi as Abi,
      functionName: p.functionName,
      args: p.args as readonly unknown[],
    });
  const base = clients.walletClient.extend(publicActions);
  /** A receipt this sender already fetched is returned at once (SDK actions wait for it after writeContract). */
  const waitForTransactionReceipt: typeof base.waitForTransactionReceipt = async (p) =>
    (receipts.get(p.hash) as Awaited<ReturnType<typeof base.waitForTransactionReceipt>> | undefined) ??
    base.waitForTransactionReceipt(p);
  const client = base.extend(() => ({ writeContract, waitForTransactionReceipt }));
  return {
    /** The wallet client for SDK actions; every write it makes goes through this sender. */
    client,
    /** The network address SDK actions take (`deployment.network`). */
    network: clients.deployment.network,
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
          abi: iCorNetworkAbi,
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
