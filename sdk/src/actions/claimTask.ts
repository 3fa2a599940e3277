import {
  type Account,
  type Chain,
  type Client,
  type Hash,
  parseEventLogs,
  type ReadContractErrorType,
  type Transport,
} from "viem";
import { readContract } from "viem/actions";
import { getAction } from "viem/utils";
import { iCorNetworkAbi } from "../generated/abis.ts";
import { type TaskStatusName, taskStatusNameOf } from "../utils/enums.ts";
import {
  accountAddress,
  type NetworkWriteErrorType,
  resolveAccount,
  type WriteParameters,
  writeNetwork,
} from "../utils/write.ts";

export type ClaimTaskParameters = WriteParameters & {
  /** A Queued task of a Claim session. */
  taskId: bigint;
};

export type ClaimTaskReturnType = {
  /** The slot taken (pass it to commitResult). */
  slot: number;
  /** The claiming miner's node id. */
  nodeId: number;
  /** The slot table after the claim (0 = still vacant). */
  miners: number[];
  /** Queued while other slots are vacant; Committing once the last slot is claimed. */
  status: TaskStatusName;
  /** Unix seconds: end of the current phase (the claim window while Queued, else the precommit deadline). */
  deadline: number;
  hash: Hash;
};

export type ClaimTaskErrorType = NetworkWriteErrorType | ReadContractErrorType;

/**
 * Claim mode, miner side: takes the first vacant slot of a Queued task. The contract checks the miner's
 * eligibility (model, reputation floor, offer) and reverts with the reason (e.g. `WrongAssignmentMode`,
 * `WrongPhase` once every slot is taken, `DuplicateMiner` for a second claim).
 *
 * @param client - Client with the miner's account (or pass `account`).
 * @param parameters - {@link ClaimTaskParameters}
 * @returns The slot taken and the task's status. {@link ClaimTaskReturnType}
 *
 * @example
 * const { slot } = await claimTask(client, { network: deployment.network, taskId })
 * const { salt } = await commitResult(client, { network: deployment.network, taskId, slot, result, tokens })
 */
export async function claimTask<chain extends Chain | undefined, account extends Account | undefined>(
  client: Client<Transport, chain, account>,
  parameters: ClaimTaskParameters,
): Promise<ClaimTaskReturnType> {
  const { network, taskId } = parameters;
  const claimer = accountAddress(resolveAccount(client, parameters.account));
  const { hash, receipt } = await writeNetwork(client, {
    network,
    functionName: "claimTask",
    args: [taskId],
    account: parameters.account,
    receiptTimeout: parameters.receiptTimeout,
  });
  // The receipt does not carry the return value: the slot is where the claimer's node id sits in the table.
  const nodeId = await getAction(
    client,
    readContract,
    "readContract",
  )({
    address: network,
    abi: iCorNetworkAbi,
    functionName: "nodeIdOf",
    args: [claimer],
    blockNumber: receipt.blockNumber,
  });
  const [event] = parseEventLogs({ abi: iCorNetworkAbi, logs: receipt.logs, eventName: "TaskAssigned" }).filter(
    (log) => log.args.taskId === taskId,
  );
  const miners = [...event.args.miners];
  return {
    slot: miners.indexOf(nodeId),
    nodeId,
    miners,
    status: taskStatusNameOf(event.args.status),
    deadline: Number(event.args.deadline),
    hash,
  };
}
