import type { Abi } from "viem";
import { corRegistryAbi, corTokenAbi, iCorNetworkAbi } from "../generated/abis.ts";

type ErrorsOf<abi extends readonly unknown[]> = Extract<abi[number], { type: "error" }>;

/**
 * Every custom error a call to the network address can revert with: ICorNetwork's, plus the ones only the
 * implementation has (CorRegistry: DirectCall, Ownable, SafeERC20) and the COR token's (ERC20 balance and
 * allowance errors bubble up through the network's transferFrom).
 */
export type CorErrorsAbi = readonly (
  | ErrorsOf<typeof iCorNetworkAbi>
  | ErrorsOf<typeof corTokenAbi>
  | ErrorsOf<typeof corRegistryAbi>
)[];

const seen = new Set<string>();
export const corErrorsAbi = [...iCorNetworkAbi, ...corRegistryAbi, ...corTokenAbi].filter((item) => {
  if (item.type !== "error") return false;
  const key = `${item.name}(${item.inputs.map((i) => i.type).join(",")})`;
  if (seen.has(key)) return false;
  seen.add(key);
  return true;
}) as unknown as CorErrorsAbi;

/** Names of the errors in {@link corErrorsAbi}. */
export type CorErrorName = CorErrorsAbi[number]["name"];

/** The network ABI plus the errors it can bubble up: what the SDK passes to viem so reverts decode. */
export const networkAbiWithErrors = [...iCorNetworkAbi, ...corErrorsAbi] as Abi;

/** Events of the network whose first indexed argument is the task id. */
export const taskEventNames = [
  "TaskSubmitted",
  "TaskAssigned",
  "TaskPhaseChanged",
  "TaskCommitted",
  "TaskRevealed",
  "SlotExpired",
  "Attested",
  "WorkSettled",
  "TaskFinalized",
  "TaskFailed",
] as const;
export type TaskEventName = (typeof taskEventNames)[number];

type TaskEventAbiItem = Extract<(typeof iCorNetworkAbi)[number], { type: "event"; name: TaskEventName }>;
/** The ABI of {@link taskEventNames}. */
export const taskEventsAbi = iCorNetworkAbi.filter(
  (item): item is TaskEventAbiItem =>
    item.type === "event" && (taskEventNames as readonly string[]).includes(item.name),
);
