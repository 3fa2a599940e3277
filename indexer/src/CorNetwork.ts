/**
 * Handlers for every CorNetwork event (CorNetwork + CorRegistry code, one address). Each row is derived from
 * event payloads alone: the contracts emit what the read side needs (STYLE.md "Events are the indexer's API").
 *
 * Order matters and follows the contract: TaskSubmitted precedes the TaskPhaseChanged/TaskAssigned of the same
 * call; WorkSettled (and NodeSlashed) precede the RouterFeePaid and TaskFinalized/TaskFailed that settle them;
 * SlotExpired precedes the WorkSettled(TimedOut) of the same slot.
 *
 * `node.open` mirrors the contract's work ledger: +1 per assignment (TaskAssigned) and attestation (Attested), −1
 * when it is released: SlotExpired, the WorkSettled of a revealed slot or of a validator, and at settlement for
 * what the contract releases without an event (assigned slots that never revealed, attestations below quorum).
 *
 * Totals are not maintained here: the network's and each day's figures are sums over these rows, computed when read
 * (views `network_stat` and `daily_stat` in ponder.schema.ts), so an event writes only the rows it is about.
 */

import type { Context, Event } from "ponder:registry";
import { ponder } from "ponder:registry";
import {
  assignment,
  assignmentMode,
  attestation,
  failReason,
  model,
  network,
  node,
  nodeStatus,
  offerChange,
  outcome,
  paramsChange,
  protocolFeeWithdrawal,
  reputationEvent,
  rewardWithdrawal,
  role,
  routerFee,
  session,
  sessionDeposit,
  slashing,
  slashReason,
  type slotOutcome,
  submitter,
  task,
  taskStatus,
  validationMode,
} from "ponder:schema";
import { toFunctionSelector } from "viem";
import { iCorNetworkAbi } from "../../sdk/src/generated/abis.ts";

// ---------------------------------------------------------------------------------------------- helpers
const ZERO_HASH = `0x${"0".repeat(64)}` as const;
const VALIDATOR_SLOT = 255;

/** Enum value names indexed by their ABI value (the order in Types.sol). */
const ROLE = role.enumValues;
const NODE_STATUS = nodeStatus.enumValues;
const TASK_STATUS = taskStatus.enumValues;
const OUTCOME = outcome.enumValues;
const FAIL_REASON = failReason.enumValues;
const SLASH_REASON = slashReason.enumValues;
const VALIDATION = validationMode.enumValues;
const ASSIGNMENT = assignmentMode.enumValues;
type SlotOutcome = (typeof slotOutcome.enumValues)[number];

type AnyEvent = Pick<Event, "block" | "log" | "transaction">;

type NetworkRow = typeof network.$inferSelect;

/** Names of the Params struct fields, which are also the param columns of `network` and `params_change`. */
type ParamName = Exclude<keyof typeof paramsChange.$inferSelect, "block" | "logIndex" | "time" | "txHash">;
type Params = Pick<NetworkRow, ParamName>;
const paramsUpdated = iCorNetworkAbi.find((item) => item.type === "event" && item.name === "ParamsUpdated");
const paramsStruct = paramsUpdated?.inputs[0] as { components?: readonly { name: string }[] } | undefined;
const PARAM_NAMES = (paramsStruct?.components ?? [])
  .map((field) => field.name)
  .filter((name): name is ParamName => name in paramsChange);

const logKey = (event: AnyEvent) => ({
  block: event.block.number,
  logIndex: event.log.logIndex,
  time: event.block.timestamp,
});

/** logKey plus the transaction (rows an analyst follows to it: money flows and changes). */
const txLogKey = (event: AnyEvent) => ({ ...logKey(event), txHash: event.transaction.hash });

const requireRow = <T>(row: T | null, what: string): T => {
  if (row === null)
    throw new Error(`Indexer invariant: ${what} not found (events out of order or startBlock too late)`);
  return row;
};

type TaskRow = typeof task.$inferSelect;

const getTask = async (context: Context, taskId: bigint) =>
  requireRow(await context.db.find(task, { id: taskId }), `task ${taskId}`);

/**
 * Updates a task from its current row in one store call (no find before the update: the store hands the row to
 * `change`, whose result is also returned). The row is a copy-on-write proxy: reading one of its array columns
 * copies it once.
 */
const changeTask = async (context: Context, taskId: bigint, change: (row: TaskRow) => Partial<TaskRow>) =>
  (await context.db.update(task, { id: taskId }).set(change)) as TaskRow;

/** A copy of `values` with `value` at `index`. */
const withAt = <T>(values: readonly T[], index: number, value: T): T[] => {
  const out = [...values];
  out[index] = value;
  return out;
};

/** The assignment currently holding `slot` of a task (its latest attempt). */
const currentAssignmentKey = (row: Pick<TaskRow, "id" | "slotAttempts">, slot: number) => ({
  taskId: row.id,
  slot,
  attempt: (row.slotAttempts[slot] ?? 1) - 1,
});

/** One assignment or attestation of a node more (+1) or released (−1): the contract's `open`. */
const moveOpen = async (context: Context, event: AnyEvent, nodeId: number, delta: 1 | -1) => {
  await context.db
    .update(node, { id: nodeId })
    .set((row) => ({ open: row.open + delta, updatedBlock: event.block.number }));
};

/**
 * At settlement, over the task's current assignment per slot: what its miners were paid (WorkSettled Accepted or
 * Unverified, which precede TaskFinalized/TaskFailed: their tokens and payouts are on the assignment rows, so the
 * task row is not rewritten per WorkSettled), the winner's result CID, and the release of what was left open. The
 * still-pending assignments become Void (the task ended without judging them: assigned but never revealed, or the
 * registration ended) and the contract releases them without an event; attestations without a WorkSettled were
 * released without a verdict (below quorum): Unverified.
 */
const settleSlots = async (context: Context, event: AnyEvent, row: TaskRow, winnerSlot?: number) => {
  let tokensPaid = 0;
  let minersPaid = 0n;
  let winnerCid: string | null = null;
  for (let slot = 0; slot < row.redundancy; slot++) {
    if ((row.slotAttempts[slot] ?? 0) === 0) continue;
    const key = currentAssignmentKey(row, slot);
    const a = await context.db.find(assignment, key);
    if (a === null) continue;
    if (slot === winnerSlot) winnerCid = a.resultCid;
    if (a.outcome === "Accepted" || a.outcome === "Unverified") {
      tokensPaid += a.tokens ?? 0;
      minersPaid += a.payout;
    } else if (a.outcome === "Pending") {
      await context.db.update(assignment, key).set({ outcome: "Void", settledBlock: event.block.number });
      await moveOpen(context, event, a.nodeId, -1);
    }
  }
  for (const validatorId of row.validatorIds) {
    const key = { taskId: row.id, validatorId };
    const a = await context.db.find(attestation, key);
    if (a && a.outcome === null) {
      await context.db.update(attestation, key).set({ outcome: "Unverified" });
      await moveOpen(context, event, validatorId, -1);
    }
  }
  return { tokensPaid, minersPaid, winnerCid };
};

type Offer = { minPrice: bigint; capacity: number; modes: number };

/** Offer history: one row per published offer (registration or update). */
const recordOffer = async (context: Context, event: AnyEvent, nodeId: number, offer: Offer) => {
  await context.db.insert(offerChange).values({
    ...txLogKey(event),
    nodeId,
    minPrice: offer.minPrice,
    capacity: offer.capacity,
    modes: offer.modes,
  });
};

const withBit = (mask: number, slot: number) => mask | (1 << slot);

const commitRootAbi = iCorNetworkAbi.find((item) => item.type === "function" && item.name === "commitRoot");
if (!commitRootAbi) throw new Error("ICorNetwork ABI without commitRoot: regenerate sdk/src/generated/abis.ts");
const COMMIT_ROOT_SELECTOR = toFunctionSelector(commitRootAbi);

/**
 * Whether a TaskCommitted came from commitRoot: its `commitment` is then the batch's Merkle root, which the contract
 * does not store in the slot (getTask shows zero until the reveal). The event is the same as a plain commit's (a
 * one-entry batch's root even equals its commitment), so the transaction's calldata tells them apart. A commitRoot
 * sent through another contract (a smart account, a multicall) is not recognised: it is indexed as a plain commit.
 */
const isRootCommit = (event: AnyEvent) =>
  event.transaction.to?.toLowerCase() === event.log.address.toLowerCase() &&
  event.transaction.input.slice(0, 10).toLowerCase() === COMMIT_ROOT_SELECTOR;

// ---------------------------------------------------------------------------------------------- governance
ponder.on("CorNetwork:ParamsUpdated", async ({ event, context }) => {
  // The Params struct field by field (the columns are named after it; a field the schema lacks is left out).
  const params = Object.fromEntries(PARAM_NAMES.map((name) => [name, event.args.params[name]])) as Params;
  // History of governance: every change is kept, the network row holds the latest.
  await context.db.insert(paramsChange).values({ ...txLogKey(event), ...params });
  // The network row exists from the constructor's ParamsUpdated on; later changes overwrite the params (the totals
  // are the network_stat view: no other event writes this row).
  await context.db
    .insert(network)
    .values({
      ...params,
      chainId: context.chain.id,
      address: event.log.address,
      updatedBlock: event.block.number,
    })
    .onConflictDoUpdate({ ...params, updatedBlock: event.block.number });
});

ponder.on("CorNetwork:ProtocolFeesWithdrawn", async ({ event, context }) => {
  // A withdrawal is a money flow an analyst audits: one row each (network_stat subtracts them from the fees).
  await context.db.insert(protocolFeeWithdrawal).values({
    ...txLogKey(event),
    to: event.args.to,
    amount: event.args.amount,
  });
});

// ---------------------------------------------------------------------------------------------- models
ponder.on("CorNetwork:ModelRegistered", async ({ event, context }) => {
  // The model catalog: sessions and nodes reference model ids, the name/uri only exist in this event.
  await context.db.insert(model).values({
    id: event.args.modelId,
    name: event.args.name,
    uri: event.args.uri,
    registeredBlock: event.block.number,
    registeredTime: event.block.timestamp,
  });
});

// ---------------------------------------------------------------------------------------------- nodes
ponder.on("CorNetwork:NodeRegistered", async ({ event, context }) => {
  const { nodeId, account, stake, models, encryptionKey, endpoint, score, offer } = event.args;
  // A new registration is a new node id: the row every reputation and payout figure hangs on.
  await context.db.insert(node).values({
    id: nodeId,
    account,
    role: ROLE[event.args.role],
    status: "Active",
    until: 0n,
    stake,
    models: [...models],
    encryptionKey,
    endpoint,
    offerMinPrice: offer.minPrice,
    offerCapacity: offer.capacity,
    offerModes: offer.modes,
    open: 0,
    score,
    speed: 0,
    accepted: 0,
    rejected: 0,
    timedOut: 0,
    unverified: 0,
    tokensServed: 0n,
    rewardsUnclaimed: 0n,
    rewardsEarned: 0n,
    rewardsWithdrawn: 0n,
    routerFeesEarned: 0n,
    slashed: 0n,
    registeredBlock: event.block.number,
    registeredTime: event.block.timestamp,
    updatedBlock: event.block.number,
  });
  // The offer it registered with starts its offer history (what it consented to, and since when).
  await recordOffer(context, event, nodeId, offer);
});

ponder.on("CorNetwork:NodeUpdated", async ({ event, context }) => {
  // The endpoint lives only in events: the node row is where clients look it up.
  await context.db
    .update(node, { id: event.args.nodeId })
    .set({ encryptionKey: event.args.encryptionKey, endpoint: event.args.endpoint, updatedBlock: event.block.number });
});

ponder.on("CorNetwork:OfferUpdated", async ({ event, context }) => {
  const { nodeId, offer } = event.args;
  // The node row holds the current offer: routers and clients look up who would take a session's work.
  await context.db.update(node, { id: nodeId }).set({
    offerMinPrice: offer.minPrice,
    offerCapacity: offer.capacity,
    offerModes: offer.modes,
    updatedBlock: event.block.number,
  });
  // Each change is kept: an assignment can be audited against the offer in force when it was made.
  await recordOffer(context, event, nodeId, offer);
});

ponder.on("CorNetwork:ModelsUpdated", async ({ event, context }) => {
  const { added, removed } = event.args;
  // The contract removes first, then adds: same order here, so `models` equals servesModel().
  await context.db.update(node, { id: event.args.nodeId }).set((row) => {
    const models = row.models.filter((m) => !removed.includes(m));
    for (const m of added) if (!models.includes(m)) models.push(m);
    return { models, updatedBlock: event.block.number };
  });
});

ponder.on("CorNetwork:StakeAdded", async ({ event, context }) => {
  // The event carries the stake after the top-up.
  await context.db
    .update(node, { id: event.args.nodeId })
    .set({ stake: event.args.stake, updatedBlock: event.block.number });
});

ponder.on("CorNetwork:ExitRequested", async ({ event, context }) => {
  // Exiting nodes get no new work: routers filter on status.
  await context.db
    .update(node, { id: event.args.nodeId })
    .set({ status: "Exiting", until: BigInt(event.args.until), updatedBlock: event.block.number });
});

ponder.on("CorNetwork:NodeUnregistered", async ({ event, context }) => {
  // The registration ends: its stake is returned; unclaimed rewards stay claimable.
  await context.db.update(node, { id: event.args.nodeId }).set({
    status: "Unregistered",
    stake: 0n,
    unregisteredBlock: event.block.number,
    unregisteredTime: event.block.timestamp,
    updatedBlock: event.block.number,
  });
});

ponder.on("CorNetwork:NodeJailed", async ({ event, context }) => {
  // Jailed by the owner or by a slash below the minimum stake (then `until` is the slash time).
  await context.db
    .update(node, { id: event.args.nodeId })
    .set({ status: "Jailed", until: BigInt(event.args.until), updatedBlock: event.block.number });
});

ponder.on("CorNetwork:NodeUnjailed", async ({ event, context }) => {
  // Back to Active: eligible for work again.
  await context.db.update(node, { id: event.args.nodeId }).set({ status: "Active", updatedBlock: event.block.number });
});

ponder.on("CorNetwork:NodeSlashed", async ({ event, context }) => {
  const { nodeId, taskId, amount, stake } = event.args;
  // Slashes are audited one by one (which task, why, how much).
  await context.db.insert(slashing).values({
    ...logKey(event),
    nodeId,
    taskId,
    reason: SLASH_REASON[event.args.reason],
    amount,
    stakeAfter: stake,
    statusAfter: NODE_STATUS[event.args.status],
  });
  // The event carries stake and status after the slash.
  await context.db.update(node, { id: nodeId }).set((row) => ({
    stake,
    status: NODE_STATUS[event.args.status],
    slashed: row.slashed + amount,
    updatedBlock: event.block.number,
  }));
});

ponder.on("CorNetwork:RewardsWithdrawn", async ({ event, context }) => {
  const { nodeId, account, amount } = event.args;
  // Payouts are pulled: each withdrawal is a row (who, when, how much).
  await context.db.insert(rewardWithdrawal).values({
    ...txLogKey(event),
    nodeId,
    account,
    amount,
  });
  // The whole unclaimed balance is paid out.
  await context.db.update(node, { id: nodeId }).set((row) => ({
    rewardsUnclaimed: row.rewardsUnclaimed - amount,
    rewardsWithdrawn: row.rewardsWithdrawn + amount,
    updatedBlock: event.block.number,
  }));
});

// ---------------------------------------------------------------------------------------------- sessions
ponder.on("CorNetwork:SessionCreated", async ({ event, context }) => {
  const { sessionId, owner, modelId, config, deposit } = event.args;
  // The session's config is fixed at creation (router aside): the task handlers read R and price from here.
  await context.db.insert(session).values({
    id: sessionId,
    owner,
    status: "Open",
    modelId,
    redundancy: config.redundancy,
    validation: VALIDATION[config.validation],
    assignment: ASSIGNMENT[config.assignment],
    pricePerToken: config.pricePerToken,
    maxTokens: config.maxTokens,
    minReputation: config.minReputation,
    quorum: config.quorum,
    retryLimit: config.retryLimit,
    precommitWindow: config.precommitWindow,
    revealWindow: config.revealWindow,
    attestWindow: config.attestWindow,
    routerId: config.routerId,
    dedicatedMiners: [...config.dedicatedMiners],
    temperature: config.temperature,
    topK: config.topK,
    topP: config.topP,
    encrypted: config.encrypted,
    deposit,
    escrowed: 0n,
    deposited: deposit,
    spent: 0n,
    refunded: 0n,
    taskCount: 0,
    tasksFinalized: 0,
    tasksFailed: 0,
    tokensServed: 0n,
    createdBlock: event.block.number,
    createdTime: event.block.timestamp,
  });
});

ponder.on("CorNetwork:SessionDeposited", async ({ event, context }) => {
  const { sessionId, from, amount, deposit } = event.args;
  // Anyone may top up a session: who paid in (and how much) exists only in this event.
  await context.db.insert(sessionDeposit).values({
    ...txLogKey(event),
    sessionId,
    from,
    amount,
    depositAfter: deposit,
  });
  // Top-up: the event carries the free balance after it.
  await context.db.update(session, { id: sessionId }).set((row) => ({ deposit, deposited: row.deposited + amount }));
});

ponder.on("CorNetwork:SessionWithdrawn", async ({ event, context }) => {
  // The owner took part of the free balance back (the event carries the balance after it).
  await context.db
    .update(session, { id: event.args.sessionId })
    .set((row) => ({ deposit: event.args.deposit, refunded: row.refunded + event.args.amount }));
});

ponder.on("CorNetwork:SessionClosed", async ({ event, context }) => {
  // Closing refunds the free balance; escrows of open tasks come back to `deposit` as they settle.
  await context.db.update(session, { id: event.args.sessionId }).set((row) => ({
    status: "Closed",
    deposit: 0n,
    refunded: row.refunded + event.args.refund,
    closedBlock: event.block.number,
    closedTime: event.block.timestamp,
  }));
});

ponder.on("CorNetwork:SubmitterAuthorized", async ({ event, context }) => {
  // Who may submit for a session (routers acting for web2 clients); revocations keep the row with allowed=false.
  await context.db
    .insert(submitter)
    .values({
      sessionId: event.args.sessionId,
      account: event.args.account,
      allowed: event.args.allowed,
      updatedBlock: event.block.number,
    })
    .onConflictDoUpdate({ allowed: event.args.allowed, updatedBlock: event.block.number });
});

ponder.on("CorNetwork:SessionRouterChanged", async ({ event, context }) => {
  // Who may assign later tasks (tasks already assigned keep their assigner and its fee).
  await context.db.update(session, { id: event.args.sessionId }).set({ routerId: event.args.routerId });
});

// ---------------------------------------------------------------------------------------------- tasks
ponder.on("CorNetwork:TaskSubmitted", async ({ event, context }) => {
  const { taskId, sessionId, submitter: from, promptHash, promptCid, maxTokens, escrow } = event.args;
  // The escrow moves from the session's free balance to held; the session also gives R for the slot table.
  const s = await context.db.update(session, { id: sessionId }).set((row) => ({
    deposit: row.deposit - escrow,
    escrowed: row.escrowed + escrow,
    taskCount: row.taskCount + 1,
  }));
  const r = s.redundancy;
  // The task row: status, slot table and timeline start here; the phase event of the same call follows.
  await context.db.insert(task).values({
    id: taskId,
    sessionId,
    index: Number(taskId & 0xffffffffn),
    submitter: from,
    promptHash,
    promptCid,
    maxTokens,
    redundancy: r,
    escrow,
    status: "Queued",
    deadline: 0n,
    miners: Array(r).fill(0),
    tokens: Array(r).fill(0),
    hashes: Array(r).fill(ZERO_HASH),
    committedMask: 0,
    revealedMask: 0,
    droppedMask: 0,
    slotAttempts: Array(r).fill(0),
    retries: 0,
    attestationCount: 0,
    validatorIds: [],
    assignerId: 0,
    tokensPaid: 0,
    minersPaid: 0n,
    submittedBlock: event.block.number,
    submittedTime: event.block.timestamp,
  });
});

ponder.on("CorNetwork:TaskAssigned", async ({ event, context }) => {
  const { taskId, assigner, miners, deadline } = event.args;
  const sessionId = Number(taskId >> 32n);
  const s = requireRow(await context.db.find(session, { id: sessionId }), `session ${sessionId}`);
  // Newly filled slots (the event carries the whole table after the change) and the attempt each one starts.
  const filled: { slot: number; nodeId: number; attempt: number }[] = [];
  // The slot table after the change, as stored; assignedAt is the latest fill (the contract's speed clock).
  await changeTask(context, taskId, (t) => {
    const slotAttempts = [...t.slotAttempts];
    for (let slot = 0; slot < miners.length; slot++) {
      const nodeId = miners[slot]!;
      if (nodeId === 0 || nodeId === t.miners[slot]) continue;
      filled.push({ slot, nodeId, attempt: slotAttempts[slot]! });
      slotAttempts[slot]! += 1;
    }
    return {
      miners: [...miners],
      slotAttempts,
      // Router mode: assignTask stores the assigning router (0 when the owner assigns), which the fee goes to.
      assignerId:
        s.assignment === "Router" ? (assigner.toLowerCase() === s.owner.toLowerCase() ? 0 : s.routerId) : t.assignerId,
      status: TASK_STATUS[event.args.status],
      deadline: BigInt(deadline),
      assignedBlock: event.block.number,
      assignedTime: event.block.timestamp,
    };
  });
  for (const { slot, nodeId, attempt } of filled) {
    // The miner's turn on this slot: commitment, reveal and outcome are filled in by the following events.
    await context.db.insert(assignment).values({
      taskId,
      slot,
      attempt,
      nodeId,
      sessionId,
      assigner,
      assignedBlock: event.block.number,
      assignedTime: event.block.timestamp,
      outcome: "Pending",
      payout: 0n,
    });
    // The miner holds one more open assignment (its capacity and its stake lock).
    await moveOpen(context, event, nodeId, 1);
  }
});

ponder.on("CorNetwork:TaskPhaseChanged", async ({ event, context }) => {
  const status = TASK_STATUS[event.args.status];
  // Phase timeline: when the task entered Revealing / Validating (or went back to Queued after an expiry).
  await context.db.update(task, { id: event.args.taskId }).set({
    status,
    deadline: BigInt(event.args.deadline),
    ...(status === "Revealing" ? { revealingBlock: event.block.number, revealingTime: event.block.timestamp } : {}),
    ...(status === "Validating" ? { validatingBlock: event.block.number, validatingTime: event.block.timestamp } : {}),
  });
});

ponder.on("CorNetwork:TaskCommitted", async ({ event, context }) => {
  const { taskId, slot, commitment } = event.args;
  // commitRoot: `commitment` is the batch's root, kept once for the batch, not in the slot.
  const rooted = isRootCommit(event);
  // The slot table mirrors storage: the commitment in `hashes` until the reveal (zero under a root).
  const t = await changeTask(context, taskId, (row) => ({
    ...(rooted ? {} : { hashes: withAt(row.hashes, slot, commitment) }),
    committedMask: withBit(row.committedMask, slot),
  }));
  // The precommit of this miner's turn (commit delay = committedTime − assignedTime feeds its speed).
  await context.db.update(assignment, currentAssignmentKey(t, slot)).set({
    ...(rooted ? { commitRoot: commitment } : { commitment }),
    committedBlock: event.block.number,
    committedTime: event.block.timestamp,
  });
});

ponder.on("CorNetwork:TaskRevealed", async ({ event, context }) => {
  const { taskId, slot, resultHash, tokens, resultCid } = event.args;
  // Storage keeps the result hash (in place of the commitment) and the token count per slot.
  const t = await changeTask(context, taskId, (row) => ({
    hashes: withAt(row.hashes, slot, resultHash),
    tokens: withAt(row.tokens, slot, tokens),
    revealedMask: withBit(row.revealedMask, slot),
  }));
  // The result CID exists only in this event: clients fetch and verify the result from here.
  await context.db.update(assignment, currentAssignmentKey(t, slot)).set({
    resultHash,
    resultCid,
    tokens,
    revealedBlock: event.block.number,
    revealedTime: event.block.timestamp,
  });
});

ponder.on("CorNetwork:SlotExpired", async ({ event, context }) => {
  const { taskId, nodeId, slot, retries, caller } = event.args;
  const revealing = TASK_STATUS[event.args.phase] === "Revealing";
  // Revealing: the slot is dropped (never replaced); Committing: it is vacated for a reassignment.
  const t = await changeTask(context, taskId, (row) =>
    revealing
      ? { droppedMask: withBit(row.droppedMask, slot), retries }
      : { miners: withAt(row.miners, slot, 0), retries },
  );
  // The late miner's turn ends: Expired (slot vacated, may be reassigned) or Dropped (committed, never revealed).
  await context.db
    .update(assignment, currentAssignmentKey(t, slot))
    .set({ outcome: revealing ? "Dropped" : "Expired", expiredBy: caller, settledBlock: event.block.number });
  // The expiry releases the miner's assignment (the WorkSettled(TimedOut) that follows does not count it again).
  await moveOpen(context, event, nodeId, -1);
});

ponder.on("CorNetwork:Attested", async ({ event, context }) => {
  const { taskId, validatorId, scores } = event.args;
  // The count drives the index of the next attestation, as on-chain; the ids let settlement release them.
  const t = await changeTask(context, taskId, (row) => ({
    attestationCount: row.attestationCount + 1,
    validatorIds: [...row.validatorIds, validatorId],
  }));
  // One attestation per validator per task: the scores behind the median that settled it.
  await context.db.insert(attestation).values({
    taskId,
    validatorId,
    index: t.attestationCount - 1,
    scores: [...scores],
    block: event.block.number,
    time: event.block.timestamp,
    payout: 0n,
  });
  // The attestation is open work of the validator (its stake is locked until the task settles).
  await moveOpen(context, event, validatorId, 1);
});

ponder.on("CorNetwork:WorkSettled", async ({ event, context }) => {
  const { taskId, nodeId, slot, tokens, payout, score, speed } = event.args;
  const result = OUTCOME[event.args.outcome];
  const accepted = result === "Accepted";
  // Reputation history: one row per settled piece of work, with the node's score and speed after it.
  await context.db.insert(reputationEvent).values({
    ...logKey(event),
    nodeId,
    taskId,
    slot,
    outcome: result,
    tokens,
    payout,
    score,
    speed,
  });
  // The node's ledger follows from the outcome (see the WorkSettled NatSpec); Unverified is paid and moves no
  // on-chain counter. Every outcome but TimedOut releases the work here (SlotExpired released timed-out slots).
  await context.db.update(node, { id: nodeId }).set((row) => ({
    score,
    speed,
    accepted: row.accepted + (accepted ? 1 : 0),
    rejected: row.rejected + (result === "Rejected" ? 1 : 0),
    timedOut: row.timedOut + (result === "TimedOut" ? 1 : 0),
    unverified: row.unverified + (result === "Unverified" ? 1 : 0),
    open: row.open - (result === "TimedOut" ? 0 : 1),
    tokensServed: row.tokensServed + BigInt(accepted ? tokens : 0),
    rewardsUnclaimed: row.rewardsUnclaimed + payout,
    rewardsEarned: row.rewardsEarned + payout,
    updatedBlock: event.block.number,
  }));

  if (slot === VALIDATOR_SLOT) {
    // A validator agreed with the medians (paid its fee share) or deviated (slashed).
    await context.db.update(attestation, { taskId, validatorId: nodeId }).set({ outcome: result, payout });
  } else {
    // The slot's current turn (the task's tokensPaid / minersPaid are summed from these rows at settlement).
    const t = await getTask(context, taskId);
    if (result !== "TimedOut") {
      // Accepted/Rejected/Unverified settle the slot's current turn (TimedOut already marked it Expired/Dropped).
      const slotResult: SlotOutcome = result;
      await context.db.update(assignment, currentAssignmentKey(t, slot)).set({
        outcome: slotResult,
        payout,
        scoreAfter: score,
        speedAfter: speed,
        settledBlock: event.block.number,
      });
    } else {
      // The reputation the late miner is left with.
      await context.db.update(assignment, currentAssignmentKey(t, slot)).set({ scoreAfter: score, speedAfter: speed });
    }
  }
});

ponder.on("CorNetwork:RouterFeePaid", async ({ event, context }) => {
  const { taskId, routerId, amount } = event.args;
  // Router payouts per node and task: the router that assigned the task, credited at settlement.
  await context.db.insert(routerFee).values({ ...logKey(event), taskId, routerId, amount });
  // The fee is a reward of the router node (no WorkSettled for it).
  await context.db.update(node, { id: routerId }).set((row) => ({
    rewardsUnclaimed: row.rewardsUnclaimed + amount,
    rewardsEarned: row.rewardsEarned + amount,
    routerFeesEarned: row.routerFeesEarned + amount,
    updatedBlock: event.block.number,
  }));
});

ponder.on("CorNetwork:TaskFinalized", async ({ event, context }) => {
  const {
    taskId,
    sessionId,
    winnerSlot,
    winnerNodeId,
    resultHash,
    paid,
    refund,
    protocolFee,
    validatorFee,
    routerFee: routerFeeAmount,
    routerId,
  } = event.args;
  const t = await getTask(context, taskId);
  // What the miners were paid, the winner's CID; pending turns are released (Void).
  const { tokensPaid, minersPaid, winnerCid } = await settleSlots(context, event, t, winnerSlot);
  // The verified result: what clients read (hash, CID, tokens) and what it cost.
  await context.db.update(task, { id: taskId }).set({
    status: "Finalized",
    winnerSlot,
    winnerNodeId,
    resultHash,
    resultCid: winnerCid,
    outputTokens: t.tokens[winnerSlot] ?? 0,
    tokensPaid,
    minersPaid,
    paid,
    refund,
    protocolFee,
    validatorFee,
    routerFee: routerFeeAmount,
    routerId,
    finalizedBlock: event.block.number,
    finalizedTime: event.block.timestamp,
    finalitySeconds: Number(event.block.timestamp - t.submittedTime),
  });
  // The escrow is released: `paid` leaves the session, `refund` returns to its free balance.
  await context.db.update(session, { id: sessionId }).set((row) => ({
    deposit: row.deposit + refund,
    escrowed: row.escrowed - paid - refund,
    spent: row.spent + paid,
    tasksFinalized: row.tasksFinalized + 1,
    tokensServed: row.tokensServed + BigInt(tokensPaid),
  }));
});

ponder.on("CorNetwork:TaskFailed", async ({ event, context }) => {
  const { taskId, sessionId, paid, refund } = event.args;
  const t = await getTask(context, taskId);
  // Without a verdict (NoMajority, NoQuorum) the revealed results were paid (Unverified WorkSettled rows precede
  // this event); the protocol keeps the rest of `paid` (no validator or router fee). Pending turns become Void.
  const { tokensPaid, minersPaid } = await settleSlots(context, event, t);
  const protocolFee = paid - minersPaid;
  // Why the task failed is the analyst's question; what it still cost is the client's.
  await context.db.update(task, { id: taskId }).set({
    status: "Failed",
    failReason: FAIL_REASON[event.args.reason],
    paid,
    refund,
    tokensPaid,
    minersPaid,
    protocolFee,
    validatorFee: 0n,
    routerFee: 0n,
    failedBlock: event.block.number,
    failedTime: event.block.timestamp,
  });
  // The escrow is released: `paid` leaves the session, the rest returns to its free balance.
  await context.db.update(session, { id: sessionId }).set((row) => ({
    deposit: row.deposit + refund,
    escrowed: row.escrowed - paid - refund,
    spent: row.spent + paid,
    tasksFailed: row.tasksFailed + 1,
  }));
});
