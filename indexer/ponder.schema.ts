/**
 * Read model of COR network: every table is rebuilt from CorNetwork (and COR token) events alone, no
 * `readContract`. Column names are snake_case in SQL (`session_id`), camelCase in GraphQL (`sessionId`).
 *
 * Conventions: amounts are COR wei (`numeric(78)`), `*_block` are block numbers, `*_time` unix seconds of
 * the chain, ids are the on-chain ids (task id = sessionId << 32 | index). Event-log tables are keyed by
 * (block, logIndex); state tables by their natural id, composite where the chain has one.
 */
import { bigint, index, integer, onchainEnum, onchainTable, onchainView, primaryKey, relations, sql } from "ponder";

// ---------------------------------------------------------------------------------------------- enums
// Same names as contracts/types/Types.sol; the ABI value is the index in the list.
export const role = onchainEnum("role", ["None", "Miner", "Router", "Validator"]);
export const nodeStatus = onchainEnum("node_status", ["Unregistered", "Active", "Jailed", "Exiting"]);
export const validationMode = onchainEnum("validation_mode", ["None", "ExactMatch", "Embedding", "Replay"]);
export const assignmentMode = onchainEnum("assignment_mode", ["Router", "Claim", "Dedicated"]);
export const sessionStatus = onchainEnum("session_status", ["None", "Open", "Closed"]);
export const taskStatus = onchainEnum("task_status", [
  "None",
  "Queued",
  "Committing",
  "Revealing",
  "Validating",
  "Finalized",
  "Failed",
]);
/** `Unverified`: revealed and paid without a verdict (NoMajority, NoQuorum); no reputation change. */
export const outcome = onchainEnum("outcome", ["Accepted", "Rejected", "TimedOut", "Unverified"]);
export const failReason = onchainEnum("fail_reason", [
  "NoMiners",
  "RetriesExhausted",
  "NoResults",
  "NoMajority",
  "NoQuorum",
  "AllRejected",
]);
/** Rejected result, Withheld reveal (committed, never revealed), Deviated validator score. */
export const slashReason = onchainEnum("slash_reason", ["Rejected", "Withheld", "Deviated"]);
/**
 * What became of one miner slot assignment. `Pending` until settled; `Expired` = missed the precommit
 * deadline (slot vacated, reassigned); `Dropped` = committed but missed the reveal deadline; `Unverified` = revealed
 * and paid although no verdict was reached (NoMajority, NoQuorum); `Void` = the task settled without judging it
 * (never revealed before the task failed, or a registration that ended before settlement: not paid).
 */
export const slotOutcome = onchainEnum("slot_outcome", [
  "Pending",
  "Accepted",
  "Rejected",
  "Unverified",
  "Expired",
  "Dropped",
  "Void",
]);

// ---------------------------------------------------------------------------------------------- event-log tables
type Columns = Parameters<Extract<Parameters<typeof onchainTable>[1], (...args: never[]) => unknown>>[0];
/** Columns of a table with one row per log: where it is in the chain (the key) and when. */
const logColumns = (t: Columns) => ({
  block: t.bigint().notNull(),
  logIndex: t.integer().notNull(),
  time: t.bigint().notNull(),
});
/** logColumns plus the transaction hash, for rows an analyst follows to the transaction (money flows, changes). */
const txLogColumns = (t: Columns) => ({ ...logColumns(t), txHash: t.hex().notNull() });
const logKey = (table: { block: unknown; logIndex: unknown }) =>
  primaryKey({ columns: [table.block, table.logIndex] as never });
/**
 * The protocol parameters, one column per field of the Params struct (same names): the current ones in `network`,
 * every change in `params_change`. The ParamsUpdated handler copies the struct by these names.
 */
const paramsColumns = (t: Columns) => ({
  minStakeMiner: t.bigint().notNull(),
  minStakeRouter: t.bigint().notNull(),
  minStakeValidator: t.bigint().notNull(),
  unstakeCooldown: t.integer().notNull(),
  protocolFeeBps: t.integer().notNull(),
  validatorFeeBps: t.integer().notNull(),
  routerFeeBps: t.integer().notNull(),
  rejectSlashBps: t.integer().notNull(),
  withholdSlashBps: t.integer().notNull(),
  validatorSlashBps: t.integer().notNull(),
  attestDeviationBps: t.integer().notNull(),
  auditBps: t.integer().notNull(),
  embeddingBarBps: t.integer().notNull(),
  replayBarBps: t.integer().notNull(),
  minPricePerToken: t.bigint().notNull(),
  reputationFeeUnit: t.bigint().notNull(),
  minQuorum: t.integer().notNull(),
  maxRetryLimit: t.integer().notNull(),
});

// ---------------------------------------------------------------------------------------------- network
/**
 * One row per chain: the current parameters (latest ParamsUpdated). The running totals are not stored: they are
 * sums over the rows below, computed when read (the `network_stat` view), so no event rewrites this row.
 */
export const network = onchainTable("network", (t) => ({
  chainId: t.integer().primaryKey(),
  address: t.hex().notNull(),
  // Params (latest ParamsUpdated)
  ...paramsColumns(t),
  /** Block of the latest ParamsUpdated. */
  updatedBlock: t.bigint().notNull(),
}));

/** Every ParamsUpdated (the constructor emits the first). */
export const paramsChange = onchainTable(
  "params_change",
  (t) => ({
    ...txLogColumns(t),
    ...paramsColumns(t),
  }),
  (table) => ({ pk: logKey(table) }),
);

export const protocolFeeWithdrawal = onchainTable(
  "protocol_fee_withdrawal",
  (t) => ({
    ...txLogColumns(t),
    to: t.hex().notNull(),
    amount: t.bigint().notNull(),
  }),
  (table) => ({ pk: logKey(table) }),
);

// ---------------------------------------------------------------------------------------------- models, nodes
export const model = onchainTable("model", (t) => ({
  id: t.hex().primaryKey(),
  name: t.text().notNull(),
  uri: t.text().notNull(),
  registeredBlock: t.bigint().notNull(),
  registeredTime: t.bigint().notNull(),
}));

/** A node is one registration (an account that exits and registers again gets a new id). */
export const node = onchainTable(
  "node",
  (t) => ({
    id: t.integer().primaryKey(),
    account: t.hex().notNull(),
    role: role().notNull(),
    status: nodeStatus().notNull(),
    /** End of the jail term (Jailed) or of the unstake cooldown (Exiting), unix seconds; as stored. */
    until: t.bigint().notNull(),
    stake: t.bigint().notNull(),
    models: t.hex().array().notNull(),
    encryptionKey: t.hex().notNull(),
    endpoint: t.text().notNull(),
    // Offer (miners: the work the node consents to; routers and validators: stored as given)
    /** COR wei per output token the node asks at least. */
    offerMinPrice: t.bigint().notNull(),
    /** Open assignments at once (0 = takes no work). */
    offerCapacity: t.integer().notNull(),
    /** Bitmask of accepted assignment modes: 1 << Router (1), 1 << Claim (2), 1 << Dedicated (4). */
    offerModes: t.integer().notNull(),
    /** Assignments (miners) or attestations (validators) not settled yet; the stake is locked while > 0. */
    open: t.integer().notNull(),
    // Reputation (WorkSettled carries score and speed after each change)
    score: t.integer().notNull(),
    speed: t.integer().notNull(),
    accepted: t.integer().notNull(),
    rejected: t.integer().notNull(),
    timedOut: t.integer().notNull(),
    /** Results paid without a verdict (WorkSettled Unverified): not an on-chain counter. */
    unverified: t.integer().notNull(),
    tokensServed: t.bigint().notNull(),
    // Money
    rewardsUnclaimed: t.bigint().notNull(),
    rewardsEarned: t.bigint().notNull(),
    rewardsWithdrawn: t.bigint().notNull(),
    /** Router fees credited (RouterFeePaid), part of rewardsEarned. */
    routerFeesEarned: t.bigint().notNull(),
    slashed: t.bigint().notNull(),
    registeredBlock: t.bigint().notNull(),
    registeredTime: t.bigint().notNull(),
    unregisteredBlock: t.bigint(),
    unregisteredTime: t.bigint(),
    updatedBlock: t.bigint().notNull(),
  }),
  (table) => ({ accountIdx: index().on(table.account), roleIdx: index().on(table.role, table.status) }),
);

/** Every offer a node published: the one at registration (NodeRegistered) and each OfferUpdated. */
export const offerChange = onchainTable(
  "offer_change",
  (t) => ({
    ...txLogColumns(t),
    nodeId: t.integer().notNull(),
    minPrice: t.bigint().notNull(),
    capacity: t.integer().notNull(),
    modes: t.integer().notNull(),
  }),
  (table) => ({ pk: logKey(table), nodeIdx: index().on(table.nodeId) }),
);

/** One row per WorkSettled: the node's reputation after each settled piece of work. */
export const reputationEvent = onchainTable(
  "reputation_event",
  (t) => ({
    ...logColumns(t),
    nodeId: t.integer().notNull(),
    taskId: t.bigint().notNull(),
    /** Miner slot, or 255 for a validator. */
    slot: t.integer().notNull(),
    outcome: outcome().notNull(),
    tokens: t.integer().notNull(),
    payout: t.bigint().notNull(),
    score: t.integer().notNull(),
    speed: t.integer().notNull(),
  }),
  (table) => ({
    pk: logKey(table),
    nodeIdx: index().on(table.nodeId, table.block),
    taskIdx: index().on(table.taskId),
  }),
);

export const slashing = onchainTable(
  "slashing",
  (t) => ({
    ...logColumns(t),
    nodeId: t.integer().notNull(),
    taskId: t.bigint().notNull(),
    reason: slashReason().notNull(),
    amount: t.bigint().notNull(),
    stakeAfter: t.bigint().notNull(),
    statusAfter: nodeStatus().notNull(),
  }),
  (table) => ({ pk: logKey(table), nodeIdx: index().on(table.nodeId) }),
);

export const rewardWithdrawal = onchainTable(
  "reward_withdrawal",
  (t) => ({
    ...txLogColumns(t),
    nodeId: t.integer().notNull(),
    account: t.hex().notNull(),
    amount: t.bigint().notNull(),
  }),
  (table) => ({ pk: logKey(table), nodeIdx: index().on(table.nodeId) }),
);

/** One row per RouterFeePaid: the router that assigned a task credited its fee at settlement. */
export const routerFee = onchainTable(
  "router_fee",
  (t) => ({
    ...logColumns(t),
    taskId: t.bigint().notNull(),
    routerId: t.integer().notNull(),
    amount: t.bigint().notNull(),
  }),
  (table) => ({
    pk: logKey(table),
    routerIdx: index().on(table.routerId),
    taskIdx: index().on(table.taskId),
  }),
);

// ---------------------------------------------------------------------------------------------- sessions
export const session = onchainTable(
  "session",
  (t) => ({
    id: t.integer().primaryKey(),
    owner: t.hex().notNull(),
    status: sessionStatus().notNull(),
    modelId: t.hex().notNull(),
    redundancy: t.integer().notNull(),
    validation: validationMode().notNull(),
    assignment: assignmentMode().notNull(),
    pricePerToken: t.bigint().notNull(),
    maxTokens: t.integer().notNull(),
    minReputation: t.integer().notNull(),
    quorum: t.integer().notNull(),
    retryLimit: t.integer().notNull(),
    precommitWindow: t.integer().notNull(),
    revealWindow: t.integer().notNull(),
    attestWindow: t.integer().notNull(),
    routerId: t.integer().notNull(),
    dedicatedMiners: t.integer().array().notNull(),
    /** Declared sampling: temperature in thousandths (0 = greedy), top-k (0 = off), top-p in bps (0 = off). */
    temperature: t.integer().notNull(),
    topK: t.integer().notNull(),
    topP: t.integer().notNull(),
    /** Prompts and results are end-to-end encrypted envelopes (plaintext hashes on chain). */
    encrypted: t.boolean().notNull(),
    /** Free balance (not held by any task), as stored on-chain. */
    deposit: t.bigint().notNull(),
    /** Held by open tasks. */
    escrowed: t.bigint().notNull(),
    /** Sum of every deposit in (creation + top-ups). */
    deposited: t.bigint().notNull(),
    /** Paid for settled tasks (miners + fees): finalized ones and failed ones that paid revealed results. */
    spent: t.bigint().notNull(),
    /** Withdrawn by the owner: withdrawDeposit + the refund on close. */
    refunded: t.bigint().notNull(),
    taskCount: t.integer().notNull(),
    tasksFinalized: t.integer().notNull(),
    tasksFailed: t.integer().notNull(),
    tokensServed: t.bigint().notNull(),
    createdBlock: t.bigint().notNull(),
    createdTime: t.bigint().notNull(),
    closedBlock: t.bigint(),
    closedTime: t.bigint(),
  }),
  (table) => ({ ownerIdx: index().on(table.owner) }),
);

/** One row per SessionDeposited: a top-up of a session by anyone (`from`). The creation deposit is not a row. */
export const sessionDeposit = onchainTable(
  "session_deposit",
  (t) => ({
    ...txLogColumns(t),
    sessionId: t.integer().notNull(),
    from: t.hex().notNull(),
    amount: t.bigint().notNull(),
    /** The session's free balance after the top-up. */
    depositAfter: t.bigint().notNull(),
  }),
  (table) => ({
    pk: logKey(table),
    sessionIdx: index().on(table.sessionId),
    fromIdx: index().on(table.from),
  }),
);

/** Accounts a session owner authorized (or revoked) to submit tasks. */
export const submitter = onchainTable(
  "submitter",
  (t) => ({
    sessionId: t.integer().notNull(),
    account: t.hex().notNull(),
    allowed: t.boolean().notNull(),
    updatedBlock: t.bigint().notNull(),
  }),
  (table) => ({ pk: primaryKey({ columns: [table.sessionId, table.account] }) }),
);

// ---------------------------------------------------------------------------------------------- tasks
export const task = onchainTable(
  "task",
  (t) => ({
    id: t.bigint().primaryKey(),
    sessionId: t.integer().notNull(),
    /** 1-based index within the session. */
    index: t.integer().notNull(),
    submitter: t.hex().notNull(),
    promptHash: t.hex().notNull(),
    promptCid: t.text().notNull(),
    maxTokens: t.integer().notNull(),
    redundancy: t.integer().notNull(),
    /** R × maxTokens × pricePerToken, held from submit until settlement. */
    escrow: t.bigint().notNull(),
    status: taskStatus().notNull(),
    /** Deadline of the current phase, unix seconds. */
    deadline: t.bigint().notNull(),
    // Slot table, as stored on-chain (index = slot)
    miners: t.integer().array().notNull(),
    tokens: t.integer().array().notNull(),
    /** Commitment until the slot reveals, then its result hash (zero while vacant). */
    hashes: t.hex().array().notNull(),
    committedMask: t.integer().notNull(),
    revealedMask: t.integer().notNull(),
    droppedMask: t.integer().notNull(),
    /** Assignments per slot so far (the next assignment of slot i is attempt slotAttempts[i]). */
    slotAttempts: t.integer().array().notNull(),
    retries: t.integer().notNull(),
    attestationCount: t.integer().notNull(),
    /** Validator node id per attestation index (as getAttestation returns them). */
    validatorIds: t.integer().array().notNull(),
    /** Node id of the router that assigned the task (0: the owner assigned it, claimed, dedicated), as stored. */
    assignerId: t.integer().notNull(),
    // Outcome
    winnerSlot: t.integer(),
    winnerNodeId: t.integer(),
    resultHash: t.hex(),
    resultCid: t.text(),
    /** Output tokens of the accepted result. */
    outputTokens: t.integer(),
    /**
     * Output tokens paid for (every accepted slot; every revealed slot when it failed without a verdict); 0 until the
     * task settles (summed from its assignments then).
     */
    tokensPaid: t.integer().notNull(),
    /** What the miners were credited (Σ WorkSettled payouts of miner slots); 0 until the task settles. */
    minersPaid: t.bigint().notNull(),
    /** What the session paid (the task's cost: miners + fees); also set on failure (> 0 without a verdict). */
    paid: t.bigint(),
    refund: t.bigint(),
    protocolFee: t.bigint(),
    validatorFee: t.bigint(),
    routerFee: t.bigint(),
    /** TaskFinalized.routerId: the router the fee was due to (0 = none); its fee is 0 if it was no longer Active. */
    routerId: t.integer(),
    failReason: failReason(),
    // Timeline
    submittedBlock: t.bigint().notNull(),
    submittedTime: t.bigint().notNull(),
    /** Latest slot fill (the contract's assignedAt). */
    assignedBlock: t.bigint(),
    assignedTime: t.bigint(),
    revealingBlock: t.bigint(),
    revealingTime: t.bigint(),
    validatingBlock: t.bigint(),
    validatingTime: t.bigint(),
    finalizedBlock: t.bigint(),
    finalizedTime: t.bigint(),
    failedBlock: t.bigint(),
    failedTime: t.bigint(),
    /** finalizedTime − submittedTime. */
    finalitySeconds: t.integer(),
  }),
  (table) => ({
    sessionIdx: index().on(table.sessionId),
    statusIdx: index().on(table.status),
    submittedIdx: index().on(table.submittedTime),
  }),
);

/** One miner's turn on one slot of a task; a slot reassigned after an expiry gets attempt + 1. */
export const assignment = onchainTable(
  "assignment",
  (t) => ({
    taskId: t.bigint().notNull(),
    slot: t.integer().notNull(),
    attempt: t.integer().notNull(),
    nodeId: t.integer().notNull(),
    sessionId: t.integer().notNull(),
    /** Account that caused the assignment (TaskAssigned.assigner: router, owner, claiming miner, submitter, keeper). */
    assigner: t.hex().notNull(),
    assignedBlock: t.bigint().notNull(),
    assignedTime: t.bigint().notNull(),
    /**
     * The slot's own commitment (commit, commitMany). Null for a slot committed under a Merkle root: the chain never
     * holds a per-slot commitment then (getTask shows zero until the reveal), only the root.
     */
    commitment: t.hex(),
    /** Root of the batch this slot was committed under (commitRoot), else null. */
    commitRoot: t.hex(),
    committedBlock: t.bigint(),
    committedTime: t.bigint(),
    resultHash: t.hex(),
    resultCid: t.text(),
    tokens: t.integer(),
    revealedBlock: t.bigint(),
    revealedTime: t.bigint(),
    outcome: slotOutcome().notNull(),
    /** Account that expired this turn (SlotExpired.caller), when it was Expired or Dropped. */
    expiredBy: t.hex(),
    payout: t.bigint().notNull(),
    /** Node score and speed right after this work settled. */
    scoreAfter: t.integer(),
    speedAfter: t.integer(),
    settledBlock: t.bigint(),
  }),
  (table) => ({
    pk: primaryKey({ columns: [table.taskId, table.slot, table.attempt] }),
    nodeIdx: index().on(table.nodeId),
  }),
);

/** A validator's scores for a task (one per slot, 0..10000) and whether it agreed with the medians. */
export const attestation = onchainTable(
  "attestation",
  (t) => ({
    taskId: t.bigint().notNull(),
    validatorId: t.integer().notNull(),
    index: t.integer().notNull(),
    scores: t.integer().array().notNull(),
    block: t.bigint().notNull(),
    time: t.bigint().notNull(),
    /**
     * Accepted = agreed with every median, Rejected = deviated (slashed); Unverified = released without a verdict
     * (below quorum at the deadline); null until the task settles.
     */
    outcome: outcome(),
    payout: t.bigint().notNull(),
  }),
  (table) => ({
    pk: primaryKey({ columns: [table.taskId, table.validatorId] }),
    validatorIdx: index().on(table.validatorId),
  }),
);

// ---------------------------------------------------------------------------------------------- COR token
export const tokenBalance = onchainTable("token_balance", (t) => ({
  account: t.hex().primaryKey(),
  balance: t.bigint().notNull(),
}));

// ---------------------------------------------------------------------------------------------- derived views
// Totals that follow from the rows above are computed when read, not kept up to date by every event: a handler writes
// each fact once (the task, the node, the slashing…), and these views add them up. GraphQL serves a view as a plural
// field only (`networkStats`, `dailyStats`: where / orderBy / limit / offset, no cursors).

/** Zero for a null amount (a task not settled yet). */
const z = (column: unknown) => sql`coalesce(${column}, 0)`;

/**
 * The network's running totals, one row per chain (the `network` row's chain id). What the network contract holds is
 * deposits + escrowed + stakes + rewards_unclaimed + protocol_fees = COR balance of the network.
 */
export const networkStat = onchainView("network_stat", {
  chainId: integer("chain_id").notNull(),
  nodeCount: integer("node_count").notNull(),
  sessionCount: integer("session_count").notNull(),
  taskCount: integer("task_count").notNull(),
  tasksFinalized: integer("tasks_finalized").notNull(),
  tasksFailed: integer("tasks_failed").notNull(),
  /** Output tokens of accepted results (Σ node.tokens_served). */
  tokensServed: bigint("tokens_served").notNull(),
  // Balances held by the network contract
  /** Free session balances (Σ session.deposit). */
  deposits: bigint("deposits").notNull(),
  /** Held by open tasks (Σ session.escrowed). */
  escrowed: bigint("escrowed").notNull(),
  stakes: bigint("stakes").notNull(),
  rewardsUnclaimed: bigint("rewards_unclaimed").notNull(),
  /** Σ protocol fees of settled tasks + Σ slashes − Σ withdrawals. */
  protocolFees: bigint("protocol_fees").notNull(),
  // Flows
  /** What sessions paid for settled tasks (Σ task.paid). */
  paid: bigint("paid").notNull(),
  rewardsWithdrawn: bigint("rewards_withdrawn").notNull(),
  protocolFeesWithdrawn: bigint("protocol_fees_withdrawn").notNull(),
  slashed: bigint("slashed").notNull(),
}).as(sql`select n.chain_id, nd.node_count, s.session_count, t.task_count, t.tasks_finalized, t.tasks_failed,
  nd.tokens_served, s.deposits, s.escrowed, nd.stakes, nd.rewards_unclaimed,
  t.protocol_fees + sl.slashed - w.withdrawn as protocol_fees,
  t.paid, nd.rewards_withdrawn, w.withdrawn as protocol_fees_withdrawn, sl.slashed
from ${network} n
cross join (select count(*)::int as node_count, ${z(sql`sum(${node.tokensServed})`)} as tokens_served,
    ${z(sql`sum(${node.stake})`)} as stakes, ${z(sql`sum(${node.rewardsUnclaimed})`)} as rewards_unclaimed,
    ${z(sql`sum(${node.rewardsWithdrawn})`)} as rewards_withdrawn from ${node}) nd
cross join (select count(*)::int as session_count, ${z(sql`sum(${session.deposit})`)} as deposits,
    ${z(sql`sum(${session.escrowed})`)} as escrowed from ${session}) s
cross join (select count(*)::int as task_count,
    ${z(sql`sum(case when ${task.status} = 'Finalized' then 1 else 0 end)`)}::int as tasks_finalized,
    ${z(sql`sum(case when ${task.status} = 'Failed' then 1 else 0 end)`)}::int as tasks_failed,
    ${z(sql`sum(${task.paid})`)} as paid, ${z(sql`sum(${task.protocolFee})`)} as protocol_fees from ${task}) t
cross join (select ${z(sql`sum(${slashing.amount})`)} as slashed from ${slashing}) sl
cross join (select ${z(sql`sum(${protocolFeeWithdrawal.amount})`)} as withdrawn from ${protocolFeeWithdrawal}) w`);

/**
 * Network activity per UTC day of chain time (`day` = unix seconds of 00:00), from the rows' own times: tasks by
 * submitted / finalized / failed time (with what the settled ones paid and their fees), tokens of accepted work by
 * WorkSettled time, slashes, node registrations and sessions. Days without any of these have no row.
 */
export const dailyStat = onchainView("daily_stat", {
  day: bigint("day").notNull(),
  tasksSubmitted: integer("tasks_submitted").notNull(),
  tasksFinalized: integer("tasks_finalized").notNull(),
  tasksFailed: integer("tasks_failed").notNull(),
  tokensServed: bigint("tokens_served").notNull(),
  paid: bigint("paid").notNull(),
  protocolFees: bigint("protocol_fees").notNull(),
  validatorFees: bigint("validator_fees").notNull(),
  routerFees: bigint("router_fees").notNull(),
  slashed: bigint("slashed").notNull(),
  nodesRegistered: integer("nodes_registered").notNull(),
  sessionsCreated: integer("sessions_created").notNull(),
}).as(sql`select day,
  sum(submitted)::int as tasks_submitted, sum(finalized)::int as tasks_finalized, sum(failed)::int as tasks_failed,
  sum(tokens) as tokens_served, sum(paid) as paid, sum(protocol_fee) as protocol_fees,
  sum(validator_fee) as validator_fees, sum(router_fee) as router_fees, sum(slashed) as slashed,
  sum(nodes)::int as nodes_registered, sum(sessions)::int as sessions_created
from (
  select ${task.submittedTime} - ${task.submittedTime} % 86400 as day, 1 as submitted, 0 as finalized, 0 as failed,
    0 as tokens, 0 as paid, 0 as protocol_fee, 0 as validator_fee, 0 as router_fee, 0 as slashed, 0 as nodes,
    0 as sessions from ${task}
  union all
  select ${task.finalizedTime} - ${task.finalizedTime} % 86400, 0, 1, 0, 0, ${z(task.paid)}, ${z(task.protocolFee)},
    ${z(task.validatorFee)}, ${z(task.routerFee)}, 0, 0, 0 from ${task} where ${task.finalizedTime} is not null
  union all
  select ${task.failedTime} - ${task.failedTime} % 86400, 0, 0, 1, 0, ${z(task.paid)}, ${z(task.protocolFee)}, 0, 0, 0,
    0, 0 from ${task} where ${task.failedTime} is not null
  union all
  select ${reputationEvent.time} - ${reputationEvent.time} % 86400, 0, 0, 0, ${reputationEvent.tokens}, 0, 0, 0, 0, 0,
    0, 0 from ${reputationEvent} where ${reputationEvent.outcome} = 'Accepted' and ${reputationEvent.tokens} > 0
  union all
  select ${slashing.time} - ${slashing.time} % 86400, 0, 0, 0, 0, 0, 0, 0, 0, ${slashing.amount}, 0, 0 from ${slashing}
  union all
  select ${node.registeredTime} - ${node.registeredTime} % 86400, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1, 0 from ${node}
  union all
  select ${session.createdTime} - ${session.createdTime} % 86400, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1 from ${session}
) as activity
group by day`);

// ---------------------------------------------------------------------------------------------- relations
// GraphQL follows these: { session(id: 1) { tasks { items { assignments { items { node { score } } } } } } }
export const modelRelations = relations(model, ({ many }) => ({ sessions: many(session) }));

export const nodeRelations = relations(node, ({ many }) => ({
  assignments: many(assignment),
  attestations: many(attestation),
  reputationEvents: many(reputationEvent),
  slashings: many(slashing),
  rewardWithdrawals: many(rewardWithdrawal),
  offerChanges: many(offerChange),
  routerFees: many(routerFee),
}));

export const sessionRelations = relations(session, ({ one, many }) => ({
  model: one(model, { fields: [session.modelId], references: [model.id] }),
  router: one(node, { fields: [session.routerId], references: [node.id] }),
  tasks: many(task),
  submitters: many(submitter),
  deposits: many(sessionDeposit),
}));

export const submitterRelations = relations(submitter, ({ one }) => ({
  session: one(session, { fields: [submitter.sessionId], references: [session.id] }),
}));

export const taskRelations = relations(task, ({ one, many }) => ({
  session: one(session, { fields: [task.sessionId], references: [session.id] }),
  winner: one(node, { fields: [task.winnerNodeId], references: [node.id] }),
  assignments: many(assignment),
  attestations: many(attestation),
  reputationEvents: many(reputationEvent),
  routerFees: many(routerFee),
}));

export const assignmentRelations = relations(assignment, ({ one }) => ({
  task: one(task, { fields: [assignment.taskId], references: [task.id] }),
  node: one(node, { fields: [assignment.nodeId], references: [node.id] }),
}));

export const attestationRelations = relations(attestation, ({ one }) => ({
  task: one(task, { fields: [attestation.taskId], references: [task.id] }),
  validator: one(node, { fields: [attestation.validatorId], references: [node.id] }),
}));

export const reputationEventRelations = relations(reputationEvent, ({ one }) => ({
  node: one(node, { fields: [reputationEvent.nodeId], references: [node.id] }),
  task: one(task, { fields: [reputationEvent.taskId], references: [task.id] }),
}));

export const slashingRelations = relations(slashing, ({ one }) => ({
  node: one(node, { fields: [slashing.nodeId], references: [node.id] }),
  task: one(task, { fields: [slashing.taskId], references: [task.id] }),
}));

export const rewardWithdrawalRelations = relations(rewardWithdrawal, ({ one }) => ({
  node: one(node, { fields: [rewardWithdrawal.nodeId], references: [node.id] }),
}));

export const offerChangeRelations = relations(offerChange, ({ one }) => ({
  node: one(node, { fields: [offerChange.nodeId], references: [node.id] }),
}));

export const routerFeeRelations = relations(routerFee, ({ one }) => ({
  router: one(node, { fields: [routerFee.routerId], references: [node.id] }),
  task: one(task, { fields: [routerFee.taskId], references: [task.id] }),
}));

export const sessionDepositRelations = relations(sessionDeposit, ({ one }) => ({
  session: one(session, { fields: [sessionDeposit.sessionId], references: [session.id] }),
}));
