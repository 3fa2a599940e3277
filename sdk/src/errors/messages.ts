import type { Address, Hex } from "viem";
import { nodeStatusName, taskStatusNameOf } from "../utils/enums.ts";
import { sessionOfTask as sessionIdOfTask, indexOfTask as taskIndexOf } from "../utils/ids.ts";
import { displayCor } from "../utils/units.ts";

/** What the SDK knows about the call that reverted, to make the message concrete. */
export type ContractErrorContext = {
  /** Contract function that was called, e.g. "submitTask". */
  functionName?: string | undefined;
  /** Its arguments, in ABI order. */
  args?: readonly unknown[] | undefined;
  sender?: Address | undefined;
  contractAddress?: Address | undefined;
};

export type ErrorDescription = {
  /** One sentence saying what went wrong and what to do. */
  message: string;
  /** Extra lines (e.g. the SDK call that fixes it). */
  hints?: string[];
  /** True when the same call can succeed later unchanged (e.g. a deadline that has not passed yet). */
  retryable?: boolean;
};

type Args = Record<string, unknown>;
type Describe = (args: Args, ctx: ContractErrorContext) => ErrorDescription;

const cor = (v: unknown) => displayCor(BigInt(v as bigint));
const n = (v: unknown) => String(v);
const date = (v: unknown) => new Date(Number(v) * 1000).toISOString();
const task = (v: unknown) => {
  const id = BigInt(v as bigint);
  return `task ${id} (session ${sessionIdOfTask(id)} #${taskIndexOf(id)})`;
};
const sessionOf = (ctx: ContractErrorContext): string | undefined => {
  const first = ctx.args?.[0];
  if (first === undefined) return undefined;
  if (ctx.functionName === "submitTask" || ctx.functionName === "withdrawDeposit" || ctx.functionName === "deposit") {
    return String(first);
  }
  return undefined;
};
const withSession = (ctx: ContractErrorContext, fallback: string) => {
  const id = sessionOf(ctx);
  return id === undefined ? fallback : `Session ${id}`;
};
const capitalize = (s: string) => s.charAt(0).toUpperCase() + s.slice(1);

/**
 * A human message for each custom error of the network (and the token errors that bubble up through it).
 * Keyed by error name; the arguments are the decoded error arguments by name.
 */
export const errorDescriptions: Record<string, Describe> = {
  // ---------------------------------------------------------------- nodes
  AlreadyRegistered: (a) => ({
    message: `Account ${a.account} is already registered as node ${n(a.nodeId)}: one account is one node at a time.`,
    hints: ["Top up with addStake(), or requestExit() + withdrawStake() before registering again."],
  }),
  NotRegistered: (a) => ({
    message: `Account ${a.account} is not a registered node: registerNode() first.`,
  }),
  InvalidRole: (_a, ctx) => ({
    message:
      ctx.functionName === "updateModels"
        ? "Only miners serve models, so only a miner can update its models."
        : "Invalid role: register as Miner, Router or Validator.",
  }),
  StakeBelowMinimum: (a, ctx) => ({
    message:
      ctx.functionName === "unjail"
        ? `The node's stake of ${cor(a.stake)} is below the minimum of ${cor(a.minimum)}: addStake() first, then unjail.`
        : `A stake of ${cor(a.stake)} is below the minimum of ${cor(a.minimum)} for this role: stake at least ${cor(a.minimum)}.`,
    hints: ["getParams() returns the minimum stake per role."],
  }),
  NoModels: () => ({ message: "A miner must serve at least one model: pass models: [modelId]." }),
  TooManyModels: (a) => ({
    message:
      BigInt(a.max as bigint) === 0n
        ? "Only miners serve models: register routers and validators with models: []."
        : `${n(a.count)} models is more than the maximum of ${n(a.max)} per node.`,
  }),
  UnknownModel: (a) => ({
    message: `Model ${a.modelId} is not registered on the network: use a registered model id (deployment.modelId), or ask the owner to registerModel().`,
  }),
  ModelAlreadyRegistered: (a) => ({ message: `Model ${a.modelId} is already registered.` }),
  WrongNodeStatus: (a, ctx) => {
    const status = nodeStatusName(Number(a.status));
    const hint: Record<string, string> = {
      withdrawStake: "call requestExit() first, then withdrawStake() once the cooldown is over",
      addStake: "an exiting node cannot add stake",
      requestExit: "the node is already exiting",
      unjail: "only a jailed node can be unjailed",
      jail: "only an active or jailed node can be jailed",
    };
    const why = ctx.functionName ? hint[ctx.functionName] : undefined;
    return { message: `Node ${n(a.nodeId)} is ${status}${why ? `: ${why}` : ", which does not allow this call"}.` };
  },
  CooldownActive: (a) => ({
    message: `The node's cooldown runs until ${date(a.until)}: try again after that.`,
    retryable: true,
  }),
  NotNodeAccount: (a) => ({
    message: `${a.caller} is not the account of node ${n(a.nodeId)}: only the node's own account can withdraw its rewards.`,
  }),
  NothingToWithdraw: () => ({ message: "Nothing to withdraw: the balance is 0." }),
  ZeroAmount: () => ({ message: "The amount must be greater than 0." }),
  ParamOutOfRange: (a) => ({ message: `Parameter ${a.name} = ${n(a.value)} is out of range (cap ${n(a.cap)}).` }),
  StakeLocked: (a) => ({
    message: `Node ${n(a.nodeId)} still has ${n(a.open)} open assignment(s) or attestation(s) that could be slashed: its stake unlocks once they settle.`,
    retryable: true,
  }),
  RenounceDisabled: () => ({
    message: "Ownership cannot be renounced: transfer it with transferOwnership() + acceptOwnership() instead.",
  }),

  // ---------------------------------------------------------------- sessions
  InvalidRedundancy: (a) => ({ message: `Redundancy ${n(a.redundancy)} is out of range: use 1..7 miners per task.` }),
  InvalidQuorum: (a) => ({
    message: `Validator quorum ${n(a.quorum)} is not allowed: Embedding and Replay sessions need an odd quorum from the network's minQuorum (getParams()) up to 7; other modes 0..7.`,
  }),
  PriceBelowFloor: (a) => ({
    message: `A price of ${n(a.price)} wei per token is below the network's floor of ${n(a.floor)} wei (getParams().minPricePerToken).`,
  }),
  InvalidRetryLimit: (a) => ({
    message: `A retry limit of ${n(a.retryLimit)} is above the network's maximum of ${n(a.max)}.`,
  }),
  InvalidSampling: () => ({
    message: "Declared sampling out of range: temperature 0..2 (0 = greedy), topP 0..1, topK 0 = off.",
  }),
  InvalidThreshold: (a) => ({
    message: `Threshold or minimum reputation ${n(a.threshold)} is out of range: both are 0..10000 (basis points).`,
  }),
  InvalidWindow: () => ({
    message: "Every window (precommit, reveal, attest) must be between 1 second and 7 days.",
  }),
  InvalidMaxTokens: (a, ctx) => ({
    message:
      ctx.functionName === "submitTask"
        ? `maxTokens ${n(a.maxTokens)} is not allowed: a task may ask for 1 up to the session's maxTokens.`
        : `maxTokens ${n(a.maxTokens)} is not allowed: use 1..1048576, with redundancy × maxTokens × pricePerToken below 2^96 wei.`,
  }),
  InvalidRouter: (a) => ({ message: `Node ${n(a.nodeId)} is not a registered router.` }),
  InvalidDedicatedMiners: () => ({
    message: "Dedicated sessions need R..7 distinct registered miner node ids; other assignment modes take none.",
  }),
  UnknownSession: (a) => ({ message: `Session ${n(a.sessionId)} does not exist.` }),
  NotSessionOwner: (a) => ({
    message: `${a.caller} does not own session ${n(a.sessionId)}: only its owner can withdraw, close, authorize or change the router.`,
  }),
  SessionNotOpen: (a) => ({
    message: `Session ${n(a.sessionId)} is closed: create a new session with createSession().`,
  }),
  InsufficientDeposit: (a, ctx) => {
    const session = withSession(ctx, "The session");
    if (ctx.functionName === "withdrawDeposit") {
      return {
        message: `${session} has ${cor(a.available)} free but you asked to withdraw ${cor(a.required)}: escrow of open tasks returns to the free balance when they settle.`,
      };
    }
    return {
      message: `${session} has ${cor(a.available)} free but the task needs ${cor(a.required)}: top up with deposit()`,
      hints: [
        `SDK: depositToSession(client, { network, sessionId${sessionOf(ctx) ? `: ${sessionOf(ctx)}` : ""}, amount }), or submit with a smaller maxTokens.`,
      ],
    };
  },

  // ---------------------------------------------------------------- tasks
  UnknownTask: (a) => ({ message: `${capitalize(task(a.taskId))} does not exist.` }),
  WrongPhase: (a, ctx) => {
    const status = taskStatusNameOf(Number(a.status));
    const hint: Record<string, string> = {
      reveal:
        status === "Committing" || status === "Queued"
          ? "reveals open once every slot has committed"
          : "the reveal phase is over",
      commit: "the precommit phase is over",
      assignTask: "only a Queued task can be assigned",
      claimTask: "only a Queued task can be claimed",
      attest: "only a Validating task takes attestations",
      finalize: "only a Validating task can be finalized",
      expire: "a settled task has nothing to expire",
    };
    const why = ctx.functionName ? hint[ctx.functionName] : undefined;
    return {
      message: `${capitalize(task(a.taskId))} is ${status}${ctx.functionName ? `, so ${ctx.functionName} is not allowed` : ""}${why ? `: ${why}` : ""}.`,
    };
  },
  WrongAssignmentMode: (a, ctx) => ({
    message: `Session ${n(a.sessionId)} does not use ${ctx.functionName === "claimTask" ? "Claim" : "Router"} assignment: assignTask is for Router sessions, claimTask for Claim sessions, Dedicated sessions are assigned at submit.`,
  }),
  NotAuthorizedSubmitter: (a) => ({
    message: `${a.caller} may not submit tasks to session ${n(a.sessionId)}: only its owner or an authorized submitter can.`,
    hints: [
      `The owner calls authorizeSubmitter(client, { network, sessionId: ${n(a.sessionId)}, submitter: "${a.caller}" }).`,
    ],
  }),
  NotSessionRouter: (a) => ({
    message: `${a.caller} is neither the router nor the owner of session ${n(a.sessionId)}: only they can assign its tasks.`,
  }),
  InvalidPrompt: () => ({ message: "The prompt hash and the prompt CID must both be non-empty." }),
  InvalidSlot: (a) => ({ message: `Slot ${n(a.slot)} does not exist: slots are 0..R-1.` }),
  AssignmentCountMismatch: (a) => ({
    message: `The task's vacant slots need ${n(a.expected)} miner id(s) but ${n(a.given)} were given.`,
  }),
  OfferNotCovered: (a) => ({
    message: `Node ${n(a.nodeId)} has not offered this work: its offer's minimum price, assignment modes or capacity do not cover this session (getNode().offer).`,
    hints: [
      "Pick another miner, or raise the session's price; a miner at capacity takes work again when its open tasks settle.",
    ],
  }),
  AlreadyTimedOut: (a) => ({
    message: `Node ${n(a.nodeId)} already timed out on task ${a.taskId}: it cannot take the same task again.`,
  }),
  InconsistentScores: (a) => ({
    message: `Slot ${n(a.slot)} revealed the same result (hash and token count) as another slot but got a different score: identical results must be scored alike.`,
  }),
  BatchLengthMismatch: () => ({
    message: "A batch call needs at least one item and arrays of equal length.",
  }),
  NodeNotEligible: (a) => ({ message: `Node ${n(a.nodeId)} is not an active node, so it cannot be assigned.` }),
  ModelNotServed: (a) => ({ message: `Node ${n(a.nodeId)} does not serve model ${a.modelId}.` }),
  ReputationTooLow: (a) => ({
    message: `Node ${n(a.nodeId)} has reputation ${n(a.score)} but the session requires at least ${n(a.minimum)}.`,
  }),
  DuplicateMiner: (a) => ({ message: `Node ${n(a.nodeId)} is already on this task: a task's miners are distinct.` }),
  NotEnoughMiners: (a) => ({
    message: `Only ${n(a.available)} of the session's dedicated miners are eligible but the task needs ${n(a.required)}.`,
  }),
  NotAssigned: (a) => ({
    message: `${a.caller} is not the miner assigned to slot ${n(a.slot)} of ${task(a.taskId)}.`,
  }),
  RegistrationChanged: (a) => ({
    message: `This slot was assigned to node ${n(a.assignedNodeId)}, but this account is now ${Number(a.currentNodeId) === 0 ? "unregistered" : `node ${n(a.currentNodeId)}`}: work committed under an earlier registration can never be revealed or paid.`,
  }),
  ZeroCommitment: () => ({
    message: "The commitment must not be zero: use commitmentOf(taskId, miner, resultHash, tokens, salt).",
  }),
  AlreadyCommitted: (a) => ({ message: `Slot ${n(a.slot)} of ${task(a.taskId)} has already committed.` }),
  AlreadyRevealed: (a) => ({ message: `Slot ${n(a.slot)} of ${task(a.taskId)} has already revealed.` }),
  SlotDropped: (a) => ({
    message: `Slot ${n(a.slot)} of ${task(a.taskId)} missed its reveal deadline and was dropped.`,
  }),
  CommitmentMismatch: (a) => ({
    message: `The reveal of slot ${n(a.slot)} of ${task(a.taskId)} does not match its commitment: reveal exactly the resultHash and salt that were committed, from the same account.`,
    hints: ["commitment = keccak256(abi.encode(taskId, minerAccount, resultHash, tokens, salt)), see commitmentOf()."],
  }),
  RootNotCommitted: (a) => ({
    message: `No commitRoot of root ${a.root} by this account over this list of (task, slot): reveal with the same root, task ids and slots the account committed, in the same order.`,
    hints: ["Slots committed with commitRoot can only be revealed with revealRoot (see utils/merkle.ts)."],
  }),
  RootMismatch: (a) => ({
    message: `The revealed results and the given leaves do not rebuild the committed root ${a.root}: reveal exactly the committed results (hash, tokens, salt) and pass the other entries' commitments as leaves.`,
  }),
  TokensExceedMax: (a) => ({
    message: `${n(a.tokens)} output tokens is more than the task's maxTokens of ${n(a.maxTokens)}.`,
  }),
  DeadlinePassed: (a) => ({ message: `The deadline of this phase (${date(a.deadline)}) has passed.` }),
  DeadlineNotPassed: (a) => ({
    message: `The deadline (${date(a.deadline)}) has not passed yet: try again after it.`,
    retryable: true,
  }),
  NothingToExpire: (a) => ({
    message: `Slot ${n(a.slot)} of ${task(a.taskId)} met its deadline: there is nothing to expire.`,
  }),
  NotValidator: (a) => ({ message: `${a.caller} is not an active validator.` }),
  AlreadyAttested: (a) => ({ message: `Validator ${n(a.validatorId)} has already attested ${task(a.taskId)}.` }),
  ScoresLengthMismatch: (a) => ({
    message: `An attestation needs one score per slot: ${n(a.expected)} expected, ${n(a.given)} given.`,
  }),
  ScoreOutOfRange: (a) => ({ message: `Score ${n(a.score)} is out of range: scores are 0..10000.` }),

  // ---------------------------------------------------------------- implementation and token
  DirectCall: () => ({
    message: "CorRegistry only runs behind CorNetwork: call the network address, not the registry.",
  }),
  OwnableUnauthorizedAccount: (a) => ({ message: `${a.account} is not the network owner.` }),
  OwnableInvalidOwner: (a) => ({ message: `${a.owner} cannot be the owner.` }),
  SafeERC20FailedOperation: (a) => ({ message: `The COR transfer through ${a.token} failed.` }),
  ERC20InsufficientBalance: (a) => ({
    message: `${a.sender} holds ${cor(a.balance)} but the call needs ${cor(a.needed)}.`,
  }),
  ERC20InsufficientAllowance: (a) => ({
    message: `The network may spend only ${cor(a.allowance)} of your COR but needs ${cor(a.needed)}: approve it first (SDK actions do unless approve: false).`,
  }),
};

/** Message for a decoded error; a generic one for names without an entry. */
export function describeError(
  errorName: string | undefined,
  args: Args,
  ctx: ContractErrorContext,
  fallback: { signature?: Hex | undefined; reason?: string | undefined } = {},
): ErrorDescription {
  const call = ctx.functionName ? `${ctx.functionName}` : "The call";
  if (errorName === "Error") return { message: `${call} reverted: ${String(args.message ?? fallback.reason ?? "")}` };
  if (errorName === "Panic") return { message: `${call} panicked: ${fallback.reason ?? String(args.code)}` };
  if (errorName) {
    const describe = errorDescriptions[errorName];
    if (describe) return describe(args, ctx);
    const list = Object.entries(args)
      .map(([k, v]) => `${k}=${String(v)}`)
      .join(", ");
    return { message: `${call} reverted with ${errorName}(${list}).` };
  }
  if (fallback.signature) {
    return { message: `${call} reverted with an error the SDK does not know (selector ${fallback.signature}).` };
  }
  return { message: `${call} reverted without a reason.` };
}
