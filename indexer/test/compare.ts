/**
 * Chain state and indexed rows in one canonical shape, so a test can assert they are EQUAL at a block:
 * integers as numbers, uint96+/uint256 as decimal strings, hex lowercased, enums by name.
 * The same shape is built from GraphQL (camelCase, BigInt as string) and from SQL over HTTP (snake_case,
 * numeric as string).
 */
import type { Address, Hex } from "viem";
import type { Deployment } from "../../sdk/src/deployments.ts";
import { corTokenAbi, iCorNetworkAbi } from "../../sdk/src/generated/abis.ts";
import { graphql, sqlQuery } from "./harness.ts";
import type { Chainish } from "./scenario.ts";

const ROLE = ["None", "Miner", "Router", "Validator"];
const NODE_STATUS = ["Unregistered", "Active", "Jailed", "Exiting"];
const VALIDATION = ["None", "ExactMatch", "Embedding", "Replay"];
const ASSIGNMENT = ["Router", "Claim", "Dedicated"];
const SESSION_STATUS = ["None", "Open", "Closed"];
const TASK_STATUS = ["None", "Queued", "Committing", "Revealing", "Validating", "Finalized", "Failed"];
const ZERO_HASH = `0x${"0".repeat(64)}`;

export type Snapshot = {
  nodes: Record<string, unknown>[];
  sessions: Record<string, unknown>[];
  tasks: Record<string, unknown>[];
  attestations: Record<string, unknown>[];
  network: Record<string, unknown>;
  balances: Record<string, string>;
};

const str = (v: unknown) => (v === null || v === undefined ? null : String(v));
const lower = (v: unknown) => (typeof v === "string" ? v.toLowerCase() : v);
const lanes = (ids: readonly number[]) => ids.reduce((acc, id, i) => acc | (BigInt(id) << BigInt(32 * i)), 0n);

// ---------------------------------------------------------------------------------------------- chain
/** Everything the contract reports at `block`, read with viem (readContract at that block number). */
export const chainSnapshot = async (
  c: Chainish,
  deployment: Deployment,
  block: bigint,
  models: Hex[],
  accounts: Address[],
): Promise<Snapshot> => {
  const read = <T>(functionName: string, args: readonly unknown[] = []) =>
    c.publicClient.readContract({
      address: deployment.network,
      abi: iCorNetworkAbi,
      functionName: functionName as "nodeCount",
      args: args as never,
      blockNumber: block,
    }) as Promise<T>;

  const nodeCount = await read<number>("nodeCount");
  const nodes: Record<string, unknown>[] = [];
  for (let id = 1; id <= nodeCount; id++) {
    const n = await read<{
      account: Address;
      role: number;
      until: number;
      status: number;
      score: number;
      speed: number;
      accepted: number;
      rejected: number;
      timedOut: number;
      open: number;
      tokensServed: number | bigint;
      rewards: bigint;
      stake: bigint;
      offer: { minPrice: bigint; capacity: number; modes: number };
      encryptionKey: Hex;
    }>("getNode", [id]);
    const served: string[] = [];
    for (const m of models) if (await read<boolean>("servesModel", [id, m])) served.push(m.toLowerCase());
    nodes.push({
      id,
      account: n.account.toLowerCase(),
      role: ROLE[n.role],
      status: NODE_STATUS[n.status],
      until: String(n.until),
      score: n.score,
      speed: n.speed,
      accepted: n.accepted,
      rejected: n.rejected,
      timedOut: n.timedOut,
      open: n.open,
      tokensServed: String(n.tokensServed),
      rewardsUnclaimed: String(n.rewards),
      stake: String(n.stake),
      offerMinPrice: String(n.offer.minPrice),
      offerCapacity: n.offer.capacity,
      offerModes: n.offer.modes,
      encryptionKey: n.encryptionKey.toLowerCase(),
      models: served.sort(),
    });
  }

  const sessionCount = await read<number>("sessionCount");
  const sessions: Record<string, unknown>[] = [];
  const tasks: Record<string, unknown>[] = [];
  const attestations: Record<string, unknown>[] = [];
  for (let id = 1; id <= sessionCount; id++) {
    const s = await read<{
      owner: Address;
      status: number;
      redundancy: number;
      validation: number;
      assignment: number;
      quorum: number;
      retryLimit: number;
      encrypted: boolean;
      routerId: number;
      deposit: bigint;
      escrowed: bigint;
      taskCount: number;
      pricePerToken: bigint;
      maxTokens: number;
      minReputation: number;
      precommitWindow: number;
      revealWindow: number;
      attestWindow: number;
      modelId: Hex;
      dedicated: bigint;
      temperature: number;
      topK: number;
      topP: number;
    }>("getSession", [id]);
    sessions.push({
      id,
      owner: s.owner.toLowerCase(),
      status: SESSION_STATUS[s.status],
      modelId: s.modelId.toLowerCase(),
      redundancy: s.redundancy,
      validation: VALIDATION[s.validation],
      assignment: ASSIGNMENT[s.assignment],
      quorum: s.quorum,
      retryLimit: s.retryLimit,
      encrypted: s.encrypted,
      temperature: s.temperature,
      topK: s.topK,
      topP: s.topP,
      routerId: s.routerId,
      deposit: String(s.deposit),
      escrowed: String(s.escrowed),
      taskCount: s.taskCount,
      pricePerToken: String(s.pricePerToken),
      maxTokens: s.maxTokens,
      minReputation: s.minReputation,
      precommitWindow: s.precommitWindow,
      revealWindow: s.revealWindow,
      attestWindow: s.attestWindow,
      dedicated: String(s.dedicated),
    });
    for (let index = 1; index <= s.taskCount; index++) {
      const taskId = (BigInt(id) << 32n) | BigInt(index);
      const t = await read<{
        sessionId: number;
        status: number;
        deadline: number;
        retries: number;
        attestations: number;
        maxTokens: number;
        committedMask: number;
        revealedMask: number;
        droppedMask: number;
        miners: readonly number[];
        tokens: readonly number[];
        hashes: readonly Hex[];
        resultHash: Hex;
        winnerNodeId: number;
        assignerId: number;
        escrow: bigint;
      }>("getTask", [taskId]);
      tasks.push({
        id: String(taskId),
        sessionId: t.sessionId,
        status: TASK_STATUS[t.status],
        deadline: String(t.deadline),
        retries: t.retries,
        attestations: t.attestations,
        maxTokens: t.maxTokens,
        committedMask: t.committedMask,
        revealedMask: t.revealedMask,
        droppedMask: t.droppedMask,
        miners: [...t.miners],
        tokens: [...t.tokens],
        hashes: t.hashes.map((h) => h.toLowerCase()),
        resultHash: t.resultHash.toLowerCase(),
        winnerNodeId: t.winnerNodeId,
        assignerId: t.assignerId,
        escrow: String(t.escrow),
      });
      for (let i = 0; i < t.attestations; i++) {
        const [validatorId, scores] = await read<[number, readonly number[]]>("getAttestation", [taskId, i]);
        attestations.push({ taskId: String(taskId), index: i, validatorId, scores: [...scores] });
      }
    }
  }

  const p = await read<Record<string, bigint | number>>("params");
  const network = {
    nodeCount,
    sessionCount,
    protocolFees: String(await read<bigint>("protocolFees")),
    minStakeMiner: String(p.minStakeMiner),
    minStakeRouter: String(p.minStakeRouter),
    minStakeValidator: String(p.minStakeValidator),
    unstakeCooldown: Number(p.unstakeCooldown),
    protocolFeeBps: Number(p.protocolFeeBps),
    validatorFeeBps: Number(p.validatorFeeBps),
    routerFeeBps: Number(p.routerFeeBps),
    rejectSlashBps: Number(p.rejectSlashBps),
    withholdSlashBps: Number(p.withholdSlashBps),
    validatorSlashBps: Number(p.validatorSlashBps),
    attestDeviationBps: Number(p.attestDeviationBps),
    auditBps: Number(p.auditBps),
    embeddingBarBps: Number(p.embeddingBarBps),
    replayBarBps: Number(p.replayBarBps),
    minPricePerToken: String(p.minPricePerToken),
    reputationFeeUnit: String(p.reputationFeeUnit),
    minQuorum: Number(p.minQuorum),
    maxRetryLimit: Number(p.maxRetryLimit),
  };

  const balances: Record<string, string> = {};
  for (const account of [...accounts, deployment.network]) {
    const balance = await c.publicClient.readContract({
      address: deployment.token,
      abi: corTokenAbi,
      functionName: "balanceOf",
      args: [account],
      blockNumber: block,
    });
    balances[account.toLowerCase()] = String(balance);
  }
  return { nodes, sessions, tasks, attestations, network, balances };
};

// ---------------------------------------------------------------------------------------------- indexed rows
type Row = Record<string, unknown>;

/** Indexed rows mapped to the chain's shape (fields the chain has no view for are dropped). */
const toSnapshot = (
  rows: { nodes: Row[]; sessions: Row[]; tasks: Row[]; attestations: Row[]; network: Row; balances: Row[] },
  accounts: string[],
): Snapshot => ({
  nodes: rows.nodes.map((n) => ({
    id: n.id,
    account: lower(n.account),
    role: n.role,
    status: n.status,
    until: str(n.until),
    score: n.score,
    speed: n.speed,
    accepted: n.accepted,
    rejected: n.rejected,
    timedOut: n.timedOut,
    open: n.open,
    tokensServed: str(n.tokensServed),
    rewardsUnclaimed: str(n.rewardsUnclaimed),
    stake: str(n.stake),
    offerMinPrice: str(n.offerMinPrice),
    offerCapacity: n.offerCapacity,
    offerModes: n.offerModes,
    encryptionKey: lower(n.encryptionKey),
    models: [...(n.models as string[])].map((m) => m.toLowerCase()).sort(),
  })),
  sessions: rows.sessions.map((s) => ({
    id: s.id,
    owner: lower(s.owner),
    status: s.status,
    modelId: lower(s.modelId),
    redundancy: s.redundancy,
    validation: s.validation,
    assignment: s.assignment,
    quorum: s.quorum,
    retryLimit: s.retryLimit,
    encrypted: s.encrypted,
    temperature: s.temperature,
    topK: s.topK,
    topP: s.topP,
    routerId: s.routerId,
    deposit: str(s.deposit),
    escrowed: str(s.escrowed),
    taskCount: s.taskCount,
    pricePerToken: str(s.pricePerToken),
    maxTokens: s.maxTokens,
    minReputation: s.minReputation,
    precommitWindow: s.precommitWindow,
    revealWindow: s.revealWindow,
    attestWindow: s.attestWindow,
    dedicated: String(lanes(s.dedicatedMiners as number[])),
  })),
  tasks: rows.tasks.map((t) => {
    const settled = t.status === "Finalized" || t.status === "Failed";
    return {
      id: str(t.id),
      sessionId: t.sessionId,
      status: t.status,
      deadline: str(t.deadline),
      retries: t.retries,
      attestations: t.attestationCount,
      maxTokens: t.maxTokens,
      committedMask: t.committedMask,
      revealedMask: t.revealedMask,
      droppedMask: t.droppedMask,
      miners: t.miners,
      tokens: t.tokens,
      hashes: (t.hashes as string[]).map((h) => h.toLowerCase()),
      resultHash: lower(t.resultHash ?? ZERO_HASH),
      winnerNodeId: t.winnerNodeId ?? 0,
      assignerId: t.assignerId,
      escrow: settled ? "0" : str(t.escrow),
    };
  }),
  attestations: rows.attestations.map((a) => ({
    taskId: str(a.taskId),
    index: a.index,
    validatorId: a.validatorId,
    scores: a.scores,
  })),
  network: {
    nodeCount: rows.network.nodeCount,
    sessionCount: rows.network.sessionCount,
    protocolFees: str(rows.network.protocolFees),
    minStakeMiner: str(rows.network.minStakeMiner),
    minStakeRouter: str(rows.network.minStakeRouter),
    minStakeValidator: str(rows.network.minStakeValidator),
    unstakeCooldown: rows.network.unstakeCooldown,
    protocolFeeBps: rows.network.protocolFeeBps,
    validatorFeeBps: rows.network.validatorFeeBps,
    routerFeeBps: rows.network.routerFeeBps,
    rejectSlashBps: rows.network.rejectSlashBps,
    withholdSlashBps: rows.network.withholdSlashBps,
    validatorSlashBps: rows.network.validatorSlashBps,
    attestDeviationBps: rows.network.attestDeviationBps,
    auditBps: rows.network.auditBps,
    embeddingBarBps: rows.network.embeddingBarBps,
    replayBarBps: rows.network.replayBarBps,
    minPricePerToken: str(rows.network.minPricePerToken),
    reputationFeeUnit: str(rows.network.reputationFeeUnit),
    minQuorum: rows.network.minQuorum,
    maxRetryLimit: rows.network.maxRetryLimit,
  },
  balances: Object.fromEntries(
    accounts.map((a) => [a, str(rows.balances.find((b) => lower(b.account) === a)?.balance ?? "0") as string]),
  ),
});

const NODE_FIELDS =
  "id account role status until stake models encryptionKey score speed accepted rejected timedOut open tokensServed rewardsUnclaimed offerMinPrice offerCapacity offerModes";
const SESSION_FIELDS =
  "id owner status modelId redundancy validation assignment quorum retryLimit encrypted temperature topK topP routerId deposit escrowed taskCount pricePerToken maxTokens minReputation precommitWindow revealWindow attestWindow dedicatedMiners";
const TASK_FIELDS =
  "id sessionId status deadline retries attestationCount maxTokens committedMask revealedMask droppedMask miners tokens hashes resultHash winnerNodeId assignerId escrow";
/** The `network` row: the current params. */
const NETWORK_FIELDS =
  "minStakeMiner minStakeRouter minStakeValidator unstakeCooldown protocolFeeBps validatorFeeBps routerFeeBps rejectSlashBps withholdSlashBps validatorSlashBps attestDeviationBps auditBps embeddingBarBps replayBarBps minPricePerToken reputationFeeUnit minQuorum maxRetryLimit";
/** The `network_stat` view: totals summed over the tables when read. */
const NETWORK_STAT_FIELDS = "nodeCount sessionCount protocolFees deposits escrowed stakes rewardsUnclaimed";

export type Totals = {
  deposits: string;
  escrowed: string;
  stakes: string;
  rewardsUnclaimed: string;
  protocolFees: string;
};

/** The same rows through the autogenerated GraphQL API. */
export const graphqlSnapshot = async (url: string, accounts: string[]): Promise<Snapshot & { totals: Totals }> => {
  type Page = { items: Row[] };
  const data = await graphql<{
    nodes: Page;
    sessions: Page;
    tasks: Page;
    attestations: Page;
    networks: Page;
    networkStats: Page;
    tokenBalances: Page;
  }>(
    url,
    `{
      nodes(limit: 1000, orderBy: "id") { items { ${NODE_FIELDS} } }
      sessions(limit: 1000, orderBy: "id") { items { ${SESSION_FIELDS} } }
      tasks(limit: 1000, orderBy: "id") { items { ${TASK_FIELDS} } }
      attestations(limit: 1000, orderBy: "taskId") { items { taskId validatorId index scores } }
      networks { items { ${NETWORK_FIELDS} } }
      networkStats { items { ${NETWORK_STAT_FIELDS} } }
      tokenBalances(limit: 1000) { items { account balance } }
    }`,
  );
  const [params] = data.networks.items;
  const [stats] = data.networkStats.items;
  if (!params || !stats) throw new Error("no network row yet");
  const network = { ...params, ...stats };
  const snapshot = toSnapshot(
    {
      nodes: data.nodes.items,
      sessions: data.sessions.items,
      tasks: data.tasks.items,
      attestations: sortAttestations(data.attestations.items),
      network,
      balances: data.tokenBalances.items,
    },
    accounts,
  );
  return { ...snapshot, totals: totalsOf(network) };
};

const sortAttestations = (rows: Row[]) =>
  [...rows].sort((a, b) =>
    BigInt(String(a.taskId)) === BigInt(String(b.taskId))
      ? Number(a.index) - Number(b.index)
      : BigInt(String(a.taskId)) < BigInt(String(b.taskId))
        ? -1
        : 1,
  );

const totalsOf = (network: Row): Totals => ({
  deposits: String(network.deposits),
  escrowed: String(network.escrowed),
  stakes: String(network.stakes),
  rewardsUnclaimed: String(network.rewardsUnclaimed),
  protocolFees: String(network.protocolFees),
});

const camel = (row: Row): Row =>
  Object.fromEntries(
    Object.entries(row).map(([k, v]) => [k.replace(/_([a-z])/g, (_, c: string) => c.toUpperCase()), v]),
  );

/** The same rows through SQL over HTTP (/sql/db, read-only SELECTs, as @ponder/client sends them). */
export const sqlSnapshot = async (url: string, accounts: string[]): Promise<Snapshot & { totals: Totals }> => {
  const select = async (sql: string) => (await sqlQuery(url, sql)).map(camel);
  const [params] = await select("select * from network");
  const [stats] = await select("select * from network_stat");
  if (!params || !stats) throw new Error("no network row yet");
  const network = { ...params, ...stats };
  const snapshot = toSnapshot(
    {
      nodes: await select("select * from node order by id"),
      sessions: await select("select * from session order by id"),
      tasks: await select("select * from task order by id"),
      attestations: await select("select * from attestation order by task_id, index"),
      network,
      balances: await select("select account, balance from token_balance"),
    },
    accounts,
  );
  return { ...snapshot, totals: totalsOf(network) };
};
