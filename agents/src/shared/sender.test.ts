import {
  assignTask,
  contentHash,
  getTask,
  iCorNetworkAbi,
  isContractError,
  parseCor,
  submitTask,
  taskIdOf,
} from "@cor-network/sdk";
import { anvilKey, type CorTestNetwork, openSession, registerMiners, setupNetwork } from "@cor-network/sdk/testing";
import {
  type Address,
  createTestClient,
  encodeFunctionData,
  erc20Abi,
  type Hash,
  type Hex,
  http,
  maxUint256,
  parseGwei,
} from "viem";
import { privateKeyToAccount } from "viem/accounts";
import { afterAll, beforeAll, expect, test } from "vitest";
import { createBatcher } from "./batch.ts";
import { createClients, createTxSender, type TxSenderOptions } from "./chain.ts";
import { createLogger } from "./logger.ts";

// Real parts: anvil with 1-second blocks and the forge-deployed contracts, the agents' TxSender. Where a test needs
// transactions to sit in the pool it stops anvil's interval mining and waits on the pool, never on a fixed sleep.
let net: CorTestNetwork;
const logger = createLogger("test", {});
beforeAll(async () => {
  net = await setupNetwork({ blockTime: 1 });
});
afterAll(async () => {
  await net?.stop();
});

const anvil = () => createTestClient({ mode: "anvil", chain: net.chain, transport: http(net.rpcUrl) });
const pauseMining = () => anvil().setIntervalMining({ interval: 0 });
const resumeMining = () => anvil().setIntervalMining({ interval: 1 });
/** anvil_dropAllTransactions, which viem has no action for: empties the transaction pool. */
const dropAllTransactions = () =>
  net.publicClient.request<{ Method: "anvil_dropAllTransactions"; Parameters?: undefined; ReturnType: null }>({
    method: "anvil_dropAllTransactions",
  });
const waitFor = async (what: string, cond: () => Promise<boolean>, timeoutMs = 60_000) => {
  const started = Date.now();
  while (!(await cond())) {
    if (Date.now() - started > timeoutMs) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 50));
  }
};
const nonceOf = (address: Address, blockTag: "latest" | "pending") =>
  net.publicClient.getTransactionCount({ address, blockTag });
/** Waits until `count` transactions of `address` sit in the pool (broadcast, not mined). */
const pooled = (address: Address, count: number) =>
  waitFor(`${count} pooled transactions`, async () => {
    const [pending, latest] = await Promise.all([nonceOf(address, "pending"), nonceOf(address, "latest")]);
    return pending - latest >= count;
  });

const senderFor = async (account: number, options?: TxSenderOptions) => {
  const clients = await createClients(net.rpcUrl, anvilKey(account) as Hex, net.deployment);
  return { tx: createTxSender(clients, logger, options), address: clients.account.address };
};
/** A token approval: a cheap write whose effect (the allowance) is easy to check. */
const approve = (tx: Awaited<ReturnType<typeof senderFor>>["tx"], spender: number, amount: bigint) =>
  tx.client.writeContract({
    address: net.deployment.token,
    abi: erc20Abi,
    functionName: "approve",
    args: [net.address(spender), amount],
  });
const txsOf = (hashes: Hash[]) =>
  Promise.all(
    hashes.map(async (hash) => {
      const [t, r] = await Promise.all([
        net.publicClient.getTransaction({ hash }),
        net.publicClient.getTransactionReceipt({ hash }),
      ]);
      return { nonce: t.nonce, block: r.blockNumber, status: r.status };
    }),
  );
const consecutive = (nonces: number[]) => {
  const sorted = [...nonces].sort((a, b) => a - b);
  return sorted.every((n, i) => n === sorted[0] + i);
};

/** The mined transaction of `address` with `nonce` (scans the last blocks). */
const minedTxOf = async (address: Address, nonce: number) => {
  const head = await net.publicClient.getBlockNumber();
  for (let b = head; b >= 0n && b > head - 30n; b--) {
    const block = await net.publicClient.getBlock({ blockNumber: b, includeTransactions: true });
    const found = block.transactions.find((t) => t.from.toLowerCase() === address.toLowerCase() && t.nonce === nonce);
    if (found) return found;
  }
  throw new Error(`no transaction of ${address} with nonce ${nonce} in the last 30 blocks`);
};

test("N concurrent writes from one sender land in at most 2 blocks with consecutive nonces", async () => {
  const { tx, address } = await senderFor(10);
  await approve(tx, 1, 0n); // warm: the sender holds its nonce and fees, as an agent does after its first write
  const first = await nonceOf(address, "pending");
  const hashes = await Promise.all(Array.from({ length: 10 }, (_, i) => approve(tx, 1, BigInt(i + 1))));
  const mined = await txsOf(hashes);
  expect(new Set(hashes).size).toBe(10);
  expect(mined.every((m) => m.status === "success")).toBe(true);
  expect(mined.map((m) => m.nonce).sort((a, b) => a - b)).toEqual(Array.from({ length: 10 }, (_, i) => first + i));
  const blocks = new Set(mined.map((m) => m.block));
  expect(blocks.size).toBeLessThanOrEqual(2);
  // Enqueue order is nonce order: the last approval wins.
  const allowance = await net.publicClient.readContract({
    address: net.deployment.token,
    abi: erc20Abi,
    functionName: "allowance",
    args: [address, net.address(1)],
  });
  expect(allowance).toBe(10n);
});

test("an assignment is simulated against the pending block: it passes while its submission is still in the pool", async () => {
  const { network } = net.deployment;
  const [minerNode] = await registerMiners(net, [11]);
  const sessionId = await openSession(net, 12, { deposit: parseCor("5"), redundancy: 1, maxTokens: 16 });
  const { tx, address } = await senderFor(12);
  const taskId = taskIdOf(sessionId, 1);
  await pauseMining();
  try {
    const submitted = submitTask(tx.client, {
      network,
      sessionId,
      promptCid: "bafy-pending-prompt",
      promptHash: contentHash("pending prompt"),
      maxTokens: 16,
    });
    await pooled(address, 1);
    // Against the latest block the task does not exist yet: that simulation reverts.
    const latest = await net.publicClient
      .simulateContract({
        address: network,
        abi: iCorNetworkAbi,
        functionName: "assignTask",
        args: [taskId, [minerNode]],
        account: address,
      })
      .then(
        () => "passed",
        () => "reverted",
      );
    expect(latest).toBe("reverted");
    const assigned = assignTask(tx.client, { network, taskId, nodeIds: [minerNode] });
    await pooled(address, 2); // simulated against pending and broadcast while the submission is unmined
    await resumeMining();
    const [s, a] = await Promise.all([submitted, assigned]);
    expect(s.taskId).toBe(taskId);
    expect(a.miners).toEqual([minerNode]);
    const [ms, ma] = await txsOf([s.hash, a.hash]);
    expect(ma.block).toBe(ms.block);
    expect(ma.nonce).toBe(ms.nonce + 1);
    expect((await getTask(net.publicClient, { network, taskId })).status).toBe("Committing");
  } finally {
    await resumeMining();
  }
});

test("a reverting call among concurrent ones surfaces its decoded error and does not hold up the others", async () => {
  const { network } = net.deployment;
  const { tx, address } = await senderFor(13);
  const first = await nonceOf(address, "pending");
  const outcomes = await Promise.allSettled([
    approve(tx, 1, 1n),
    approve(tx, 2, 2n),
    assignTask(tx.client, { network, taskId: taskIdOf(999, 1), nodeIds: [1] }), // no such task
    approve(tx, 3, 3n),
    approve(tx, 4, 4n),
  ]);
  expect(outcomes.map((o) => o.status)).toEqual(["fulfilled", "fulfilled", "rejected", "fulfilled", "fulfilled"]);
  const err = (outcomes[2] as PromiseRejectedResult).reason;
  expect(isContractError(err)).toBe(true);
  expect((err as { errorName?: string }).errorName).toBeTruthy();
  // The revert cost no nonce: the four approvals took the next four, without a gap.
  const mined = await txsOf(outcomes.flatMap((o) => (o.status === "fulfilled" ? [o.value as Hash] : [])));
  expect(mined.map((m) => m.nonce).sort((a, b) => a - b)).toEqual([first, first + 1, first + 2, first + 3]);
});

test("a transaction that reverts on chain after passing its simulation is simulated again and surfaces the decoded error", async () => {
  const owner = 14;
  const thief = 15;
  await net.fund(owner, parseCor("3"));
  const token = net.deployment.token;
  const thiefClient = net.client(thief);
  // The owner lets the thief move its tokens (mined), then, with mining stopped, sends everything to account 1
  // through its sender (simulation passes) while the thief takes everything first with a higher tip.
  const { tx, address } = await senderFor(owner);
  await tx.client.waitForTransactionReceipt({
    hash: await tx.client.writeContract({
      address: token,
      abi: erc20Abi,
      functionName: "approve",
      args: [thiefClient.account.address, maxUint256],
    }),
  });
  const before = await nonceOf(address, "pending");
  await pauseMining();
  try {
    const transfer = tx.client.writeContract({
      address: token,
      abi: erc20Abi,
      functionName: "transfer",
      args: [net.address(1), parseCor("3")],
    });
    await pooled(address, 1);
    // Signed by hand with a fixed gas limit: viem would estimate it against the pending block, where it reverts.
    const theft = await privateKeyToAccount(anvilKey(thief)).signTransaction({
      chainId: net.chain.id,
      type: "eip1559",
      to: token,
      data: encodeFunctionData({
        abi: erc20Abi,
        functionName: "transferFrom",
        args: [address, thiefClient.account.address, parseCor("3")],
      }),
      nonce: await nonceOf(thiefClient.account.address, "pending"),
      gas: 100_000n,
      maxPriorityFeePerGas: parseGwei("50"),
      maxFeePerGas: parseGwei("100"),
    });
    await net.publicClient.sendRawTransaction({ serializedTransaction: theft });
    await resumeMining();
    const err = await transfer.then(
      () => undefined,
      (e: unknown) => e,
    );
    expect(isContractError(err, "ERC20InsufficientBalance")).toBe(true);
    // The first attempt was mined and reverted; the retry was stopped at simulation (no second transaction).
    expect(await nonceOf(address, "latest")).toBe(before + 1);
    const ours = await net.publicClient.getTransactionReceipt({ hash: (await minedTxOf(address, before)).hash });
    expect(ours.status).toBe("reverted");
  } finally {
    await resumeMining();
  }
});

test("a restart mid-stream (new sender, same key, transactions still pending) continues without nonce errors", async () => {
  const account = 16;
  const old = await senderFor(account);
  const first = await nonceOf(old.address, "pending");
  await pauseMining();
  try {
    const before = Array.from({ length: 5 }, (_, i) => approve(old.tx, 1, BigInt(i + 1)));
    await pooled(old.address, 5);
    const restarted = await senderFor(account); // a new process: it knows nothing of the 5 in the pool
    const after = Array.from({ length: 5 }, (_, i) => approve(restarted.tx, 2, BigInt(i + 1)));
    await pooled(old.address, 10);
    await resumeMining();
    const hashes = await Promise.all([...before, ...after]);
    const mined = await txsOf(hashes);
    expect(mined.every((m) => m.status === "success")).toBe(true);
    expect(mined.map((m) => m.nonce).sort((a, b) => a - b)).toEqual(Array.from({ length: 10 }, (_, i) => first + i));
    expect(consecutive(mined.map((m) => m.nonce))).toBe(true);
  } finally {
    await resumeMining();
  }
});

test("a nonce taken by another process resyncs; a replaced transaction is sent again; a dropped one is rebroadcast", async () => {
  const account = 17;
  const { tx, address } = await senderFor(account, { rebroadcastMs: 1_500 });
  const other = net.client(account); // the same key in another process
  await approve(tx, 1, 1n); // the sender now holds the next nonce locally

  // 1. Another process uses that nonce (mined): the sender's broadcast is refused, it resyncs and succeeds.
  await other.waitForTransactionReceipt({
    hash: await other.writeContract({
      address: net.deployment.token,
      abi: erc20Abi,
      functionName: "approve",
      args: [net.address(2), 7n],
    }),
  });
  const resynced = await approve(tx, 1, 2n);
  expect((await txsOf([resynced]))[0].status).toBe("success");

  await pauseMining();
  try {
    // 2. Replaced in the pool by a transaction with the same nonce and a higher tip: sent again with a new nonce.
    const nonce = await nonceOf(address, "pending");
    const replacedCall = approve(tx, 3, 3n);
    await pooled(address, 1);
    await other.writeContract({
      address: net.deployment.token,
      abi: erc20Abi,
      functionName: "approve",
      args: [net.address(4), 4n],
      nonce,
      maxPriorityFeePerGas: parseGwei("50"),
      maxFeePerGas: parseGwei("100"),
    });
    await resumeMining();
    const resent = await replacedCall;
    const [m] = await txsOf([resent]);
    expect(m.status).toBe("success");
    expect(m.nonce).toBe(nonce + 1);
    const allowance = (spender: number) =>
      net.publicClient.readContract({
        address: net.deployment.token,
        abi: erc20Abi,
        functionName: "allowance",
        args: [address, net.address(spender)],
      });
    expect(await allowance(3)).toBe(3n);
    expect(await allowance(4)).toBe(4n);

    // 3. Dropped from the pool (both of them): broadcast again as signed, mined with the nonces they had.
    await pauseMining();
    const dropped = [approve(tx, 5, 5n), approve(tx, 6, 6n)];
    await pooled(address, 2);
    await dropAllTransactions();
    await resumeMining();
    const mined = await txsOf(await Promise.all(dropped));
    expect(mined.map((x) => x.nonce)).toEqual([nonce + 2, nonce + 3]);
    expect(await allowance(6)).toBe(6n);
  } finally {
    await resumeMining();
  }
});

test("batches ride the pipelined sender: the next window's batch is broadcast before the last one is mined", async () => {
  const { tx, address } = await senderFor(18);
  // A batch here is one approval for the sum of its items: a real transaction per batch, whatever the items.
  const batcher = createBatcher<bigint>({
    windowMs: 100,
    logger,
    label: "approveMany",
    sendOne: (n) => approve(tx, 1, n),
    sendMany: (ns) =>
      approve(
        tx,
        1,
        ns.reduce((a, b) => a + b, 0n),
      ),
  });
  await pauseMining();
  try {
    const first = [1n, 2n, 3n].map((n) => batcher.add(n));
    await pooled(address, 1);
    const second = [10n, 20n].map((n) => batcher.add(n));
    await pooled(address, 2); // the first batch is still unmined
    await resumeMining();
    const hashes = await Promise.all([...first, ...second]);
    expect(new Set(hashes.slice(0, 3)).size).toBe(1);
    expect(new Set(hashes.slice(3)).size).toBe(1);
    const [a, b] = await txsOf([hashes[0], hashes[3]]);
    expect(b.block).toBe(a.block);
    expect(b.nonce).toBe(a.nonce + 1);
  } finally {
    await resumeMining();
  }
});
