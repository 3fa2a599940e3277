/**
 * A realistic run of COR network driven straight against the contract with viem (no agents): 4 miners with
 * offers, 3 validators, 1 router, four sessions (Router/ExactMatch, Claim/Embedding quorum 3, Dedicated/ExactMatch,
 * Router/Replay with declared sampling, encrypted) and tasks through every outcome — fast path (router- and
 * owner-assigned, router fee paid or withheld from a jailed router), validator-settled (at quorum with a deviating
 * validator slashed; audited fast path), no verdict (ExactMatch without majority, below quorum at the deadline:
 * paid Unverified), expired and reassigned, withheld reveal, rejected minority, retries exhausted, slots committed
 * under Merkle roots (commitRoot / revealRoot) and still open —
 * then node and session housekeeping (withdrawals, offer/node/models updates, exit, jail, top-up by a third party,
 * params).
 */
import {
  type Account,
  type Address,
  type Chain,
  createPublicClient,
  createWalletClient,
  defineChain,
  type Hex,
  http,
  keccak256,
  maxUint256,
  type PublicClient,
  parseEventLogs,
  type Transport,
  toHex,
  type WalletClient,
} from "viem";
import { privateKeyToAccount } from "viem/accounts";
import { toOffer } from "../../sdk/src/actions/registerNode.ts";
import type { Deployment } from "../../sdk/src/deployments.ts";
import { corTokenAbi, iCorNetworkAbi } from "../../sdk/src/generated/abis.ts";
import { AssignmentMode, commitmentOf, contentHash, Role, ValidationMode } from "../../sdk/src/protocol.ts";
import { anvilKey } from "../../sdk/src/testing/anvil.ts";
import { type RootEntry, revealRootArgs, rootBatchOf } from "../../sdk/src/utils/merkle.ts";

export const COR = 10n ** 18n;
export const PRICE = 10n ** 12n; // COR wei per output token (the local floor, params.minPricePerToken, is 1e9)
const WINDOW = 60; // seconds, every phase

export type Chainish = {
  chain: Chain;
  publicClient: PublicClient<Transport, Chain>;
  wallet: (i: number) => WalletClient<Transport, Chain, Account>;
  address: (i: number) => Address;
};

export const connect = (rpcUrl: string, chainId = 31337): Chainish => {
  const chain = defineChain({
    id: chainId,
    name: "anvil",
    nativeCurrency: { name: "Ether", symbol: "ETH", decimals: 18 },
    rpcUrls: { default: { http: [rpcUrl] } },
  });
  const transport = http(rpcUrl, { retryCount: 0 });
  const publicClient = createPublicClient({ chain, transport, pollingInterval: 20 });
  const wallets = new Map<number, WalletClient<Transport, Chain, Account>>();
  const wallet = (i: number) => {
    let w = wallets.get(i);
    if (!w) {
      w = createWalletClient({ account: privateKeyToAccount(anvilKey(i)), chain, transport, pollingInterval: 20 });
      wallets.set(i, w);
    }
    return w;
  };
  return { chain, publicClient, wallet, address: (i) => wallet(i).account.address };
};

/** What the scenario created, for the assertions. */
export type ScenarioResult = {
  block: bigint;
  sessions: number[];
  tasks: Record<string, bigint>;
  model2: Hex;
  /** Scenario account index → node id. */
  nodeOf: (account: number) => number;
  /** Merkle roots of the commitRoot batches: miner 1's (T15 and T16 slot 0), miner 2's (T15 slot 1 alone). */
  roots: { miner1: Hex; miner2: Hex };
};

export const runScenario = async (rpcUrl: string, deployment: Deployment): Promise<ScenarioResult> => {
  const { publicClient, wallet, address } = connect(rpcUrl, deployment.chainId);
  const net = deployment.network;

  const send = async (
    from: number,
    functionName: string,
    args: readonly unknown[],
    contract: "network" | "token" = "network",
  ) => {
    const hash = await wallet(from).writeContract({
      address: contract === "network" ? net : deployment.token,
      abi: (contract === "network" ? iCorNetworkAbi : corTokenAbi) as typeof iCorNetworkAbi,
      functionName: functionName as "register",
      args: args as never,
    });
    const receipt = await publicClient.waitForTransactionReceipt({ hash });
    if (receipt.status !== "success") throw new Error(`${functionName} reverted (${hash})`);
    return receipt;
  };
  const rpc = (method: string, params: unknown[]) =>
    publicClient.request({ method: method as "eth_chainId", params: params as never });
  const increaseTime = async (seconds: number) => {
    await rpc("evm_increaseTime", [toHex(seconds)]);
    await rpc("evm_mine", []);
  };

  // ------------------------------------------------------------------ accounts
  // 0 owner (all COR) · 1-4 miners · 5, 6, 10 validators · 7 router · 8 client · 9 authorized submitter
  const registrationOrder = [1, 2, 3, 4, 5, 6, 7, 10];
  const nodeOf = (account: number) => registrationOrder.indexOf(account) + 1;
  const model2 = keccak256(toHex("model-2"));
  // Every agreeing Embedding/Replay result goes to validators (the local default audits 10 %): a deterministic run.
  const initialParams = await publicClient.readContract({ address: net, abi: iCorNetworkAbi, functionName: "params" });
  await send(0, "setParams", [{ ...initialParams, auditBps: 10_000 }]);
  await send(0, "registerModel", [model2, "model-2", "ipfs://model-2"]);
  for (const i of [1, 2, 3, 4, 5, 6, 7, 8, 9, 10]) await send(0, "transfer", [address(i), 10_000n * COR], "token");
  const roles: Record<number, number> = { 1: Role.Miner, 2: Role.Miner, 3: Role.Miner, 4: Role.Miner };
  for (const i of [5, 6, 10]) roles[i] = Role.Validator;
  roles[7] = Role.Router;
  for (const i of registrationOrder) {
    await send(i, "approve", [net, maxUint256], "token");
    const miner = roles[i] === Role.Miner;
    await send(i, "register", [
      roles[i],
      1_000n * COR,
      miner ? [deployment.modelId] : [],
      keccak256(toHex(`x25519-${i}`)),
      `http://node-${i}.local`,
      // Miners take any session paying at least PRICE (miner 3 half of it), 8 open tasks, every mode.
      miner ? toOffer({ minPrice: i === 3 ? PRICE / 2n : PRICE }) : toOffer({ capacity: 0, modes: [] }),
    ]);
  }
  await send(8, "approve", [net, maxUint256], "token");
  await send(9, "approve", [net, maxUint256], "token");

  // ------------------------------------------------------------------ sessions
  const config = (over: Record<string, unknown>) => ({
    modelId: deployment.modelId,
    redundancy: 3,
    validation: ValidationMode.ExactMatch,
    assignment: AssignmentMode.Router,
    pricePerToken: PRICE,
    maxTokens: 64,
    minReputation: 0,
    quorum: 1,
    retryLimit: 2,
    precommitWindow: WINDOW,
    revealWindow: WINDOW,
    attestWindow: WINDOW,
    routerId: 0,
    dedicatedMiners: [] as number[],
    temperature: 0,
    topK: 0,
    topP: 0,
    encrypted: false,
    ...over,
  });
  const createSession = async (cfg: ReturnType<typeof config>, deposit: bigint) => {
    const receipt = await send(8, "createSession", [cfg, deposit]);
    const [log] = parseEventLogs({ abi: iCorNetworkAbi, eventName: "SessionCreated", logs: receipt.logs });
    return log!.args.sessionId;
  };
  const S1 = await createSession(config({ routerId: nodeOf(7) }), 1_000n * COR);
  await send(8, "authorizeSubmitter", [S1, address(9), true]);
  // Anyone may top up: the submitter pays in (SessionDeposited.from != owner).
  await send(9, "deposit", [S1, 100n * COR]);
  const S2 = await createSession(
    config({
      redundancy: 2,
      validation: ValidationMode.Embedding,
      assignment: AssignmentMode.Claim,
      quorum: 3,
      retryLimit: 0,
    }),
    500n * COR,
  );
  const S3 = await createSession(
    config({
      redundancy: 2,
      assignment: AssignmentMode.Dedicated,
      dedicatedMiners: [nodeOf(2), nodeOf(4), nodeOf(1)],
      retryLimit: 1,
    }),
    500n * COR,
  );
  const S4 = await createSession(
    config({
      redundancy: 1,
      validation: ValidationMode.Replay,
      temperature: 700,
      topK: 40,
      topP: 9_000,
      encrypted: true,
    }),
    200n * COR,
  );

  // ------------------------------------------------------------------ task helpers
  let promptNonce = 0;
  const submit = async (sessionId: number, from = 8, maxTokens = 48) => {
    const prompt = `prompt ${++promptNonce}`;
    const receipt = await send(from, "submitTask", [
      sessionId,
      contentHash(prompt),
      `bafyprompt${promptNonce}`,
      maxTokens,
    ]);
    const [log] = parseEventLogs({ abi: iCorNetworkAbi, eventName: "TaskSubmitted", logs: receipt.logs });
    return log!.args.taskId;
  };
  const result = (text: string) => contentHash(text);
  /** A result's output token count: equal texts have equal counts (ExactMatch groups by hash and tokens). */
  const tokensOf = (text: string) => 10 + text.length;
  const salt = (taskId: bigint, slot: number) => keccak256(toHex(`salt-${taskId}-${slot}`));
  const commit = (miner: number, taskId: bigint, slot: number, text: string) =>
    send(miner, "commit", [
      taskId,
      slot,
      commitmentOf(taskId, address(miner), result(text), tokensOf(text), salt(taskId, slot)),
    ]);
  const reveal = (miner: number, taskId: bigint, slot: number, text: string) =>
    send(miner, "reveal", [
      taskId,
      slot,
      result(text),
      salt(taskId, slot),
      tokensOf(text),
      `bafyresult-${result(text).slice(2, 14)}`,
    ]);
  const assign = (from: number, taskId: bigint, miners: number[]) =>
    send(from, "assignTask", [taskId, miners.map(nodeOf)]);
  const claim = async (miner: number, taskId: bigint) => {
    const receipt = await send(miner, "claimTask", [taskId]);
    const [log] = parseEventLogs({ abi: iCorNetworkAbi, eventName: "TaskAssigned", logs: receipt.logs });
    return log!.args.miners.indexOf(nodeOf(miner));
  };
  /** Commits then reveals `texts[k]` from `miners[k]` on slot k (undefined text = stays silent). */
  const work = async (taskId: bigint, miners: number[], texts: (string | undefined)[]) => {
    for (const [slot, m] of miners.entries())
      if (texts[slot] !== undefined) await commit(m, taskId, slot, texts[slot]!);
    for (const [slot, m] of miners.entries())
      if (texts[slot] !== undefined) await reveal(m, taskId, slot, texts[slot]!);
  };
  const attest = (validator: number, taskId: bigint, scores: number[]) => send(validator, "attest", [taskId, scores]);

  // ------------------------------------------------------------------ S1: Router mode, ExactMatch, R = 3, router 7
  // T1 fast path (submitted by the authorized submitter, assigned by the router: router fee paid).
  const T1 = await submit(S1, 9);
  await assign(7, T1, [1, 2, 3]);
  await work(T1, [1, 2, 3], ["once upon a time", "once upon a time", "once upon a time"]);

  // T2 expired and reassigned: miner 3 never commits (reputation only, no stake), its slot goes to miner 4.
  const T2 = await submit(S1);
  await assign(7, T2, [1, 2, 3]);
  await commit(1, T2, 0, "a cat");
  await commit(2, T2, 1, "a cat");
  await increaseTime(WINDOW + 1);
  await send(0, "expire", [T2, 2]);
  await assign(7, T2, [4]);
  await commit(4, T2, 2, "a cat");
  for (const [slot, m] of [1, 2, 4].entries()) await reveal(m, T2, slot, "a cat");

  // T3 rejected minority, assigned by the session owner (no router fee): miner 4 disagrees and is slashed.
  const T3 = await submit(S1);
  await assign(8, T3, [1, 2, 4]);
  await work(T3, [1, 2, 4], ["the dog", "the dog", "a dog"]);

  // T4 no majority: three different results, all paid Unverified, the task fails (NoMajority, paid > 0).
  const T4 = await submit(S1);
  await assign(7, T4, [1, 2, 3]);
  await work(T4, [1, 2, 3], ["red", "green", "blue"]);

  // T5 withheld: miner 4 commits but never reveals; miner 1 expires it in Revealing (slashed Withheld), and the
  // two others settle.
  const T5 = await submit(S1);
  await assign(7, T5, [1, 2, 4]);
  await commit(1, T5, 0, "sunny");
  await commit(2, T5, 1, "sunny");
  await commit(4, T5, 2, "rainy");
  await reveal(1, T5, 0, "sunny");
  await reveal(2, T5, 1, "sunny");
  await increaseTime(WINDOW + 1);
  await send(1, "expire", [T5, 2]);

  // T13 the router is jailed between assignment and settlement: TaskFinalized names it, but no fee is paid.
  const T13 = await submit(S1);
  await assign(7, T13, [1, 2, 3]);
  await send(0, "jail", [nodeOf(7), 100]);
  await work(T13, [1, 2, 3], ["jailed router", "jailed router", "jailed router"]);

  // ------------------------------------------------------------------ S2: Claim mode, Embedding, R = 2, quorum 3
  // T6 validator-settled at quorum: slot 0 scores high (accepted), slot 1 low (rejected); validator 10 deviates
  // from the medians and is slashed.
  const T6 = await submit(S2);
  const s6a = await claim(1, T6);
  const s6b = await claim(2, T6);
  const t6Miners: number[] = [];
  t6Miners[s6a] = 1;
  t6Miners[s6b] = 2;
  const t6Texts: string[] = [];
  t6Texts[s6a] = "a long story about a fox";
  t6Texts[s6b] = "gibberish";
  await work(T6, t6Miners, t6Texts);
  const scores6 = (good: number, bad: number) => {
    const scores: number[] = [];
    scores[s6a] = good;
    scores[s6b] = bad;
    return scores;
  };
  await attest(5, T6, scores6(9500, 3000));
  await attest(6, T6, scores6(9300, 3500));
  await attest(10, T6, scores6(2000, 9000));

  // T7 failed, retries exhausted (retryLimit 0): miner 3 claims and never commits.
  const T7 = await submit(S2);
  await claim(1, T7);
  await claim(3, T7);
  await commit(1, T7, 0, "hello");
  await increaseTime(WINDOW + 1);
  await send(0, "expire", [T7, 1]);

  // T8 below quorum at the attest deadline (one attestation): finalize pays both results Unverified (NoQuorum).
  const T8 = await submit(S2);
  await claim(1, T8);
  await claim(2, T8);
  await work(T8, [1, 2], ["poem v1", "poem v2"]);
  await attest(5, T8, [9000, 8500]);
  await increaseTime(WINDOW + 1);
  await send(0, "finalize", [T8]);

  // ------------------------------------------------------------------ S3: Dedicated miners [2, 4, 1], R = 2
  // T9 assigned at submit, fast path.
  const T9 = await submit(S3);
  await work(T9, [2, 4], ["dedicated answer", "dedicated answer"]);

  // T10 miner 4 times out and the next dedicated miner (1) takes its slot.
  const T10 = await submit(S3);
  await commit(2, T10, 0, "retry answer");
  await increaseTime(WINDOW + 1);
  await send(0, "expire", [T10, 1]);
  await commit(1, T10, 1, "retry answer");
  await reveal(2, T10, 0, "retry answer");
  await reveal(1, T10, 1, "retry answer");

  // ------------------------------------------------------------------ S4: Replay, R = 1, sampling, encrypted
  // T14 an agreeing result audited (auditBps 10000): validator 5 scores it above the replay bar.
  const T14 = await submit(S4);
  await assign(8, T14, [3]);
  await work(T14, [3], ["replayed"]);
  await attest(5, T14, [9_500]);

  // ------------------------------------------------------------------ S1 again: slots committed under Merkle roots
  // T15 and T16 are assigned by the owner to miners 1, 2, 3. Miner 1 commits slot 0 of both under one root
  // (commitRoot), miner 2 T15's slot 1 under a one-entry root (which equals its leaf), miner 3 T15's slot 2 plainly.
  // T15 is revealed (revealRoot for the rooted slots, opening only T15's entry of miner 1's batch) and finalized;
  // T16 stays Committing with slot 0 committed under the root: the chain keeps no commitment for it (getTask shows
  // zero), and slot 1 committed plainly (getTask shows its commitment).
  const T15 = await submit(S1);
  const T16 = await submit(S1);
  await assign(8, T15, [1, 2, 3]);
  await assign(8, T16, [1, 2, 3]);
  const entry = (taskId: bigint, slot: number, text: string): RootEntry => ({
    taskId,
    slot,
    resultHash: result(text),
    tokens: tokensOf(text),
    salt: salt(taskId, slot),
  });
  const cid = (text: string) => `bafyresult-${result(text).slice(2, 14)}`;
  const batch1 = rootBatchOf(address(1), [entry(T15, 0, "rooted"), entry(T16, 0, "rooted later")]);
  await send(1, "commitRoot", [batch1.taskIds, batch1.slots, batch1.root]);
  const batch2 = rootBatchOf(address(2), [entry(T15, 1, "rooted")]);
  await send(2, "commitRoot", [batch2.taskIds, batch2.slots, batch2.root]);
  await commit(3, T15, 2, "rooted");
  await send(1, "revealRoot", revealRootArgs(batch1, [cid("rooted"), cid("rooted later")], [0]));
  await send(2, "revealRoot", revealRootArgs(batch2, [cid("rooted")]));
  await reveal(3, T15, 2, "rooted");
  await commit(2, T16, 1, "rooted later");

  // ------------------------------------------------------------------ open tasks (escrow still held)
  const T11 = await submit(S1); // Queued
  const T12 = await submit(S2); // Queued with one slot claimed
  await claim(2, T12);

  // ------------------------------------------------------------------ housekeeping
  await send(1, "withdrawRewards", [nodeOf(1)]);
  await send(7, "withdrawRewards", [nodeOf(7)]);
  await send(2, "updateNode", [keccak256(toHex("x25519-2-rotated")), "http://node-2.example"]);
  await send(4, "updateModels", [[model2], []]);
  await send(4, "updateOffer", [toOffer({ minPrice: 2n * PRICE, capacity: 2, modes: ["Router", "Dedicated"] })]);
  await send(3, "addStake", [50n * COR]);
  await send(0, "jail", [nodeOf(3), 100]);
  await send(6, "requestExit", []);
  await send(8, "withdrawDeposit", [S2, 10n * COR]);
  await send(8, "closeSession", [S3]);
  await increaseTime(3_601); // past the jail terms and the unstake cooldown
  await send(6, "withdrawStake", []);
  await send(3, "unjail", []);
  await send(7, "unjail", []);
  await send(8, "setSessionRouter", [S1, nodeOf(7)]);
  const params = await publicClient.readContract({ address: net, abi: iCorNetworkAbi, functionName: "params" });
  await send(0, "setParams", [{ ...params, protocolFeeBps: 250, validatorFeeBps: 250 }]);
  const last = await send(0, "withdrawProtocolFees", [address(0)]);

  return {
    // The last transaction's block, not getBlockNumber(): viem caches the block number for a few seconds, so under
    // load it could name a block before the last sends and the chain snapshot would miss them.
    block: last.blockNumber,
    sessions: [S1, S2, S3, S4],
    tasks: { T1, T2, T3, T4, T5, T6, T7, T8, T9, T10, T11, T12, T13, T14, T15, T16 },
    model2,
    nodeOf,
    roots: { miner1: batch1.root, miner2: batch2.root },
  };
};
