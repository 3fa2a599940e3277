// The enums of contracts/types/Types.sol. protocol.ts exports the same values; they are repeated here so that
// browser bundles (the wagmi entry) never pull protocol.ts's node:crypto import. enums.test.ts keeps both equal.
export const Role = { None: 0, Miner: 1, Router: 2, Validator: 3 } as const;
export const NodeStatus = { Unregistered: 0, Active: 1, Jailed: 2, Exiting: 3 } as const;
export const ValidationMode = { None: 0, ExactMatch: 1, Embedding: 2, Replay: 3 } as const;
export const AssignmentMode = { Router: 0, Claim: 1, Dedicated: 2 } as const;
export const SessionStatus = { None: 0, Open: 1, Closed: 2 } as const;
export const TaskStatus = {
  None: 0,
  Queued: 1,
  Committing: 2,
  Revealing: 3,
  Validating: 4,
  Finalized: 5,
  Failed: 6,
} as const;
export const Outcome = { Accepted: 0, Rejected: 1, TimedOut: 2, Unverified: 3 } as const;
export const FailReason = {
  NoMiners: 0,
  RetriesExhausted: 1,
  NoResults: 2,
  NoMajority: 3,
  NoQuorum: 4,
  AllRejected: 5,
} as const;

/** SlashReason of contracts/types/Types.sol (not in protocol.ts). */
export const SlashReason = { Rejected: 0, Withheld: 1, Deviated: 2 } as const;

export type RoleName = keyof typeof Role;
export type NodeStatusName = keyof typeof NodeStatus;
export type ValidationModeName = keyof typeof ValidationMode;
export type AssignmentModeName = keyof typeof AssignmentMode;
export type SessionStatusName = keyof typeof SessionStatus;
export type TaskStatusName = keyof typeof TaskStatus;
export type OutcomeName = keyof typeof Outcome;
export type FailReasonName = keyof typeof FailReason;
export type SlashReasonName = keyof typeof SlashReason;

const enumName =
  <const values extends Record<string, number>>(values: values, what: string) =>
  (value: number): keyof values & string => {
    for (const [key, v] of Object.entries(values)) if (v === value) return key as keyof values & string;
    throw new RangeError(`Unknown ${what} value ${value}`);
  };

const enumValue =
  <const values extends Record<string, number>>(values: values, what: string) =>
  (input: (keyof values & string) | number): number => {
    if (typeof input === "number") {
      if (!Object.values(values).includes(input)) throw new RangeError(`Unknown ${what} value ${input}`);
      return input;
    }
    const value = values[input];
    if (value === undefined) {
      throw new RangeError(`Unknown ${what} "${input}": use one of ${Object.keys(values).join(", ")}`);
    }
    return value;
  };

/** Enum value → name, e.g. `roleName(1) === "Miner"`. Throw RangeError on unknown values. */
export const roleName = enumName(Role, "Role");
export const nodeStatusName = enumName(NodeStatus, "NodeStatus");
export const validationModeName = enumName(ValidationMode, "ValidationMode");
export const assignmentModeName = enumName(AssignmentMode, "AssignmentMode");
export const sessionStatusName = enumName(SessionStatus, "SessionStatus");
export const taskStatusNameOf = enumName(TaskStatus, "TaskStatus");
export const outcomeName = enumName(Outcome, "Outcome");
export const failReasonName = enumName(FailReason, "FailReason");
export const slashReasonName = enumName(SlashReason, "SlashReason");

/** Name (or number) → enum value, e.g. `roleValue("Miner") === 1`. */
export const roleValue = enumValue(Role, "Role");
export const validationModeValue = enumValue(ValidationMode, "ValidationMode");
export const assignmentModeValue = enumValue(AssignmentMode, "AssignmentMode");

/** Task states after which nothing changes any more. */
export const isTerminalStatus = (status: TaskStatusName): boolean => status === "Finalized" || status === "Failed";

/** Why a task can fail, in words (for TaskFailedError). */
export const failReasonText: Record<FailReasonName, string> = {
  NoMiners: "no eligible miner took a slot before the deadline",
  RetriesExhausted: "miners missed their deadlines more often than the session's retry limit allows",
  NoResults: "every assigned miner missed the reveal deadline",
  NoMajority:
    "the revealed results disagree and no result holds a strict majority (ExactMatch mode); every revealed result was paid",
  NoQuorum: "fewer validators than the quorum attested before the attest deadline; every revealed result was paid",
  AllRejected: "validators scored every result below the protocol's acceptance bar (Embedding / Replay mode)",
};
