/**
 * Every indexer query of the dashboard, in one file. Field lists are shared constants next to their row types,
 * so a schema change (new event fields after a contract release) is one edit per table here plus the view
 * that shows the new column. Amounts arrive as decimal strings (GraphQL BigInt), times as unix seconds.
 */
import { graphql, sql, type TypedQuery } from "./indexer.ts";

// ---------------------------------------------------------------------------------------------- schema versions
/**
 * Columns the indexer gained with the contracts v2 events. They are requested only when the indexer's GraphQL
 * schema has them (one introspection per page load), so one build reads an indexer of either version; the
 * views show them when present.
 */
export const OPTIONAL_FIELDS = {
  session: ["encrypted", "temperature", "topK", "topP"],
  node: ["offerMinPrice", "offerCapacity", "offerModes", "open", "unverified", "routerFeesEarned"],
  task: ["minersPaid", "routerId", "assignerId"],
  assignment: ["assigner", "expiredBy"],
} as const;
export type Optional = Record<keyof typeof OPTIONAL_FIELDS, string>;
/** GraphQL type name → its field names. */
export type SchemaFields = Map<string, Set<string>>;

export const optionalFields = (schema: SchemaFields): Optional => {
  const pick = (type: keyof typeof OPTIONAL_FIELDS) =>
    OPTIONAL_FIELDS[type].filter((f) => schema.get(type)?.has(f)).join(" ");
  return { session: pick("session"), node: pick("node"), task: pick("task"), assignment: pick("assignment") };
};

export const schemaQuery = graphql<{ __schema: { types: { name: string; fields: { name: string }[] | null }[] } }>(
  "{ __schema { types { name fields { name } } } }",
);

/** A query whose field list depends on the indexer's schema version. */
export type QueryBuilder<Result, Variables extends Record<string, unknown>> = (
  optional: Optional,
) => TypedQuery<Result, Variables>;

// ---------------------------------------------------------------------------------------------- rows
export type NodeRole = "Miner" | "Router" | "Validator" | "None";
export type NodeStatus = "Unregistered" | "Active" | "Jailed" | "Exiting";
export type TaskStatus = "Queued" | "Committing" | "Revealing" | "Validating" | "Finalized" | "Failed";
export type SlotOutcome = "Pending" | "Accepted" | "Rejected" | "Expired" | "Dropped" | "Void";
type Page<T> = { items: T[] };
type Count = { totalCount: number };

export const NODE_FIELDS = `id account role status stake score speed accepted rejected timedOut tokensServed
  rewardsEarned rewardsUnclaimed slashed endpoint registeredTime`;
export type NodeRow = {
  id: number;
  account: string;
  role: NodeRole;
  status: NodeStatus;
  stake: string;
  score: number;
  speed: number;
  accepted: number;
  rejected: number;
  timedOut: number;
  tokensServed: string;
  rewardsEarned: string;
  rewardsUnclaimed: string;
  slashed: string;
  endpoint: string;
  registeredTime: string;
  // v2 (OPTIONAL_FIELDS)
  offerMinPrice?: string;
  offerCapacity?: number;
  offerModes?: number;
  open?: number;
  unverified?: number;
  routerFeesEarned?: string;
};

export const SESSION_FIELDS = `id owner status modelId redundancy validation assignment pricePerToken maxTokens routerId
  deposit escrowed deposited spent refunded taskCount tasksFinalized tasksFailed tokensServed createdTime closedTime`;
export type SessionRow = {
  id: number;
  owner: string;
  status: "Open" | "Closed" | "None";
  modelId: string;
  redundancy: number;
  validation: string;
  assignment: string;
  pricePerToken: string;
  maxTokens: number;
  routerId: number;
  deposit: string;
  escrowed: string;
  deposited: string;
  spent: string;
  refunded: string;
  taskCount: number;
  tasksFinalized: number;
  tasksFailed: number;
  tokensServed: string;
  createdTime: string;
  closedTime: string | null;
  // v2 (OPTIONAL_FIELDS)
  encrypted?: boolean;
  temperature?: number;
  topK?: number;
  topP?: number;
};

export const TASK_SUMMARY_FIELDS = `id sessionId index submitter status outputTokens paid failReason submittedTime
  finalizedTime failedTime finalitySeconds`;
export type TaskSummaryRow = {
  id: string;
  sessionId: number;
  index: number;
  submitter: string;
  status: TaskStatus;
  outputTokens: number | null;
  paid: string | null;
  failReason: string | null;
  submittedTime: string;
  finalizedTime: string | null;
  failedTime: string | null;
  finalitySeconds: number | null;
};

export const TASK_FIELDS = `${TASK_SUMMARY_FIELDS} promptHash promptCid maxTokens redundancy escrow deadline retries
  attestationCount winnerSlot winnerNodeId resultHash resultCid tokensPaid refund protocolFee validatorFee routerFee
  assignedTime revealingTime validatingTime submittedBlock revealingBlock validatingBlock finalizedBlock failedBlock`;
export type TaskRow = TaskSummaryRow & {
  promptHash: string;
  promptCid: string;
  maxTokens: number;
  redundancy: number;
  escrow: string;
  deadline: string;
  retries: number;
  attestationCount: number;
  winnerSlot: number | null;
  winnerNodeId: number | null;
  resultHash: string | null;
  resultCid: string | null;
  tokensPaid: number;
  refund: string | null;
  protocolFee: string | null;
  validatorFee: string | null;
  routerFee: string | null;
  assignedTime: string | null;
  revealingTime: string | null;
  validatingTime: string | null;
  submittedBlock: string;
  revealingBlock: string | null;
  validatingBlock: string | null;
  finalizedBlock: string | null;
  failedBlock: string | null;
  // v2 (OPTIONAL_FIELDS)
  minersPaid?: string;
  routerId?: number | null;
  assignerId?: number;
};

export const ASSIGNMENT_FIELDS = `slot attempt nodeId assignedTime committedTime revealedTime resultHash resultCid tokens
  outcome payout scoreAfter speedAfter assignedBlock committedBlock revealedBlock settledBlock`;
export type AssignmentRow = {
  slot: number;
  attempt: number;
  nodeId: number;
  assignedTime: string;
  committedTime: string | null;
  revealedTime: string | null;
  resultHash: string | null;
  resultCid: string | null;
  tokens: number | null;
  outcome: SlotOutcome;
  payout: string;
  scoreAfter: number | null;
  speedAfter: number | null;
  assignedBlock: string;
  committedBlock: string | null;
  revealedBlock: string | null;
  settledBlock: string | null;
  // v2 (OPTIONAL_FIELDS)
  assigner?: string;
  expiredBy?: string | null;
};

export const ATTESTATION_FIELDS = "validatorId index scores block time outcome payout";
export type AttestationRow = {
  validatorId: number;
  index: number;
  scores: number[];
  block: string;
  time: string;
  outcome: "Accepted" | "Rejected" | null;
  payout: string | null;
};

export const NETWORK_FIELDS = `taskCount tasksFinalized tasksFailed tokensServed paid slashed nodeCount sessionCount
  deposits escrowed stakes protocolFees rewardsUnclaimed`;
export type NetworkRow = {
  taskCount: number;
  tasksFinalized: number;
  tasksFailed: number;
  tokensServed: string;
  paid: string;
  slashed: string;
  nodeCount: number;
  sessionCount: number;
  deposits: string;
  escrowed: string;
  stakes: string;
  protocolFees: string;
  rewardsUnclaimed: string;
};

// ---------------------------------------------------------------------------------------------- GraphQL
export const overviewQuery = graphql<
  {
    // indexer: the totals are the network_stat view (GraphQL serves views as plural fields only)
    networkStats: Page<NetworkRow>;
    miners: Count;
    validators: Count;
    routers: Count;
    dailyStats: Page<{
      day: string;
      tasksSubmitted: number;
      tasksFinalized: number;
      tasksFailed: number;
      tokensServed: string;
      paid: string;
    }>;
  },
  { chainId: number }
>(`query Overview($chainId: Int!) {
  networkStats(where: { chainId: $chainId }) { items { ${NETWORK_FIELDS} } }
  miners: nodes(where: { role: Miner, status: Active }) { totalCount }
  validators: nodes(where: { role: Validator, status: Active }) { totalCount }
  routers: nodes(where: { role: Router, status: Active }) { totalCount }
  dailyStats(orderBy: "day", orderDirection: "desc", limit: 60) {
    items { day tasksSubmitted tasksFinalized tasksFailed tokensServed paid }
  }
}`);

export const finalityPointsQuery = graphql<
  { tasks: Page<{ id: string; finalizedTime: string; finalitySeconds: number; validatingTime: string | null }> },
  { limit: number }
>(`query FinalityPoints($limit: Int!) {
  tasks(where: { status: Finalized }, orderBy: "finalizedTime", orderDirection: "desc", limit: $limit) {
    items { id finalizedTime finalitySeconds validatingTime }
  }
}`);

/** Leaderboard orderings (node columns), the first is the default. */
export const LEADERBOARD_ORDERS = ["score", "speed", "accepted", "tokensServed", "rewardsEarned", "stake"] as const;
export type LeaderboardOrder = (typeof LEADERBOARD_ORDERS)[number];

export const leaderboardQuery: QueryBuilder<
  { nodes: Page<NodeRow & { slashings: Count }> },
  { limit: number; orderBy: LeaderboardOrder }
> = (o) =>
  graphql(`query Leaderboard($limit: Int!, $orderBy: String!) {
  nodes(where: { role: Miner, status_not: Unregistered }, orderBy: $orderBy, orderDirection: "desc", limit: $limit) {
    items { ${NODE_FIELDS} ${o.node} slashings { totalCount } }
  }
}`);

export type ReputationRow = {
  time: string;
  taskId: string;
  slot: number;
  outcome: "Accepted" | "Rejected" | "TimedOut";
  tokens: number;
  payout: string;
  score: number;
  speed: number;
};
export type SlashingRow = { time: string; taskId: string; reason: string; amount: string; stakeAfter: string };

export const nodeQuery: QueryBuilder<
  {
    node:
      | (NodeRow & {
          reputationEvents: Page<ReputationRow>;
          slashings: Page<SlashingRow> & Count;
          assignments: Page<AssignmentRow & { taskId: string }>;
        })
      | null;
  },
  { id: number }
> = (o) =>
  graphql(`query Node($id: Int!) {
  node(id: $id) {
    ${NODE_FIELDS} ${o.node}
    reputationEvents(orderBy: "block", orderDirection: "desc", limit: 500) {
      items { time taskId slot outcome tokens payout score speed }
    }
    slashings(orderBy: "block", orderDirection: "desc", limit: 100) { totalCount items { time taskId reason amount stakeAfter } }
    assignments(orderBy: "assignedTime", orderDirection: "desc", limit: 50) { items { taskId ${ASSIGNMENT_FIELDS} ${o.assignment} } }
  }
}`);

export const taskQuery: QueryBuilder<
  {
    task:
      | (TaskRow & {
          session: Pick<
            SessionRow,
            "id" | "owner" | "validation" | "redundancy" | "pricePerToken" | "routerId" | "encrypted"
          > | null;
          assignments: Page<AssignmentRow & { node: { account: string } | null }>;
          attestations: Page<AttestationRow>;
        })
      | null;
  },
  { id: string }
> = (o) =>
  graphql(`query Task($id: BigInt!) {
  task(id: $id) {
    ${TASK_FIELDS} ${o.task}
    session { id owner validation redundancy pricePerToken routerId ${o.session.includes("encrypted") ? "encrypted" : ""} }
    assignments(orderBy: "assignedTime", orderDirection: "asc", limit: 100) {
      items { ${ASSIGNMENT_FIELDS} ${o.assignment} node { account } }
    }
    attestations(limit: 50) { items { ${ATTESTATION_FIELDS} } }
  }
}`);

export const recentTasksQuery = graphql<
  { tasks: Page<TaskSummaryRow> },
  { limit: number }
>(`query RecentTasks($limit: Int!) {
  tasks(orderBy: "submittedTime", orderDirection: "desc", limit: $limit) { items { ${TASK_SUMMARY_FIELDS} } }
}`);

export const sessionsQuery: QueryBuilder<{ sessions: Page<SessionRow> }, { limit: number }> = (o) =>
  graphql(`query Sessions($limit: Int!) {
  sessions(orderBy: "id", orderDirection: "desc", limit: $limit) { items { ${SESSION_FIELDS} ${o.session} } }
}`);

export const sessionQuery: QueryBuilder<
  { session: (SessionRow & { tasks: Page<TaskSummaryRow> }) | null },
  { id: number }
> = (o) =>
  graphql(`query Session($id: Int!) {
  session(id: $id) {
    ${SESSION_FIELDS} ${o.session}
    tasks(orderBy: "index", orderDirection: "desc", limit: 100) { items { ${TASK_SUMMARY_FIELDS} } }
  }
}`);

export const addressQuery = graphql<
  { nodes: Page<NodeRow>; sessions: Page<SessionRow>; tasks: Page<TaskSummaryRow> },
  { address: string }
>(`query Address($address: String!) {
  nodes(where: { account: $address }, orderBy: "id", orderDirection: "desc") { items { ${NODE_FIELDS} } }
  sessions(where: { owner: $address }, orderBy: "id", orderDirection: "desc", limit: 100) { items { ${SESSION_FIELDS} } }
  tasks(where: { submitter: $address }, orderBy: "submittedTime", orderDirection: "desc", limit: 100) { items { ${TASK_SUMMARY_FIELDS} } }
}`);

// ---------------------------------------------------------------------------------------------- SQL (aggregates)
/** Tasks per hour of chain time since $1 (unix s), by submission hour. */
export const tasksPerHourSql = sql<{
  hour: number;
  submitted: number;
  finalized: number;
  failed: number;
  tokens: number;
}>(
  `select (floor(submitted_time / 3600) * 3600)::bigint as hour, count(*)::int as submitted,
     count(*) filter (where status = 'Finalized')::int as finalized,
     count(*) filter (where status = 'Failed')::int as failed,
     coalesce(sum(tokens_paid), 0)::int as tokens
   from task where submitted_time >= $1 group by 1 order by 1`,
);

/** Finalized tasks that settled on the fast path (no validation phase) vs after validators attested. */
export const settlementPathSql = sql<{ fast: number; validated: number }>(
  `select count(*) filter (where validating_time is null)::int as fast,
     count(*) filter (where validating_time is not null)::int as validated
   from task where status = 'Finalized'`,
);

export const failuresByReasonSql = sql<{ reason: string; n: number }>(
  `select fail_reason as reason, count(*)::int as n from task where status = 'Failed' group by fail_reason order by n desc`,
);

/** Tasks submitted since $1 (unix s). */
export const tasksSinceSql = sql<{ n: number }>("select count(*)::int as n from task where submitted_time >= $1");

// ---------------------------------------------------------------------------------------------- JSON routes
/** GET /stats: the indexer's own percentiles (one definition of "median time to finality"). */
export type StatsResponse = {
  tasks: number;
  tokensServed: string;
  medianTimeToFinalitySeconds: number | null;
  p90TimeToFinalitySeconds?: number | null;
  tasksByStatus: Record<string, number>;
};

/** GET /status: indexed block per chain. */
export type StatusResponse = Record<string, { block?: { number: number; timestamp: number } }>;
