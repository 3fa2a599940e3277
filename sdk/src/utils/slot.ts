import type { Address } from "viem";
import { readContract } from "viem/actions";
import { getAction } from "viem/utils";
import { BaseError } from "../errors/base.ts";
import { iCorNetworkAbi } from "../generated/abis.ts";
import type { AnyClient } from "./write.ts";

/** The signer is not on the task (so it has no slot to commit or reveal). */
export class NotAssignedError extends BaseError {
  override name = "NotAssignedError" as const;
  constructor(p: { taskId: bigint; account: Address; nodeId: number }) {
    super(
      `Account ${p.account}${p.nodeId ? ` (node ${p.nodeId})` : " (not a registered node)"} is not assigned to task ${p.taskId}: it has no slot to commit or reveal.`,
    );
  }
}

/** The slot of `account`'s current node on a task. @internal */
export async function resolveSlot(
  client: AnyClient,
  p: { network: Address; taskId: bigint; account: Address },
): Promise<number> {
  const read = getAction(client, readContract, "readContract");
  const [nodeId, task] = await Promise.all([
    read({ address: p.network, abi: iCorNetworkAbi, functionName: "nodeIdOf", args: [p.account] }),
    read({ address: p.network, abi: iCorNetworkAbi, functionName: "getTask", args: [p.taskId] }),
  ]);
  const slot = nodeId === 0 ? -1 : task.miners.indexOf(nodeId);
  if (slot < 0) throw new NotAssignedError({ taskId: p.taskId, account: p.account, nodeId });
  return slot;
}
