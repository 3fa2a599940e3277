import {
  type Address,
  type BlockNumber,
  type Chain,
  type Client,
  type Hex,
  numberToHex,
  type ParseEventLogsReturnType,
  pad,
  parseEventLogs,
  type RpcLog,
  type Transport,
  toEventSelector,
} from "viem";
import { getBlockNumber } from "viem/actions";
import { formatLog, getAction } from "viem/utils";
import { type TaskEventName, taskEventNames, taskEventsAbi } from "./abi.ts";

export type TaskLog<name extends TaskEventName = TaskEventName> = ParseEventLogsReturnType<
  typeof taskEventsAbi,
  name,
  true
>[number];

const selectors = new Map<TaskEventName, Hex>(taskEventsAbi.map((event) => [event.name, toEventSelector(event)]));

/** Largest block range asked for in one eth_getLogs (public RPCs cap it). */
export const LOG_BLOCK_RANGE = 10_000n;

/**
 * Logs of one task, filtered on-node by event selector and task id (topic 1), decoded, in chain order.
 * Pages through the block range in chunks of {@link LOG_BLOCK_RANGE}.
 * @internal
 */
export async function getTaskLogs<const name extends TaskEventName = TaskEventName>(
  client: Client<Transport, Chain | undefined>,
  p: {
    network: Address;
    taskId: bigint;
    fromBlock: BlockNumber;
    toBlock?: BlockNumber | undefined;
    eventNames?: readonly name[] | undefined;
  },
): Promise<TaskLog<name>[]> {
  const names = (p.eventNames ?? taskEventNames) as readonly TaskEventName[];
  const topics = [names.map((n) => selectors.get(n) as Hex), pad(numberToHex(p.taskId), { size: 32 })];
  const toBlock = p.toBlock ?? (await getAction(client, getBlockNumber, "getBlockNumber")({ cacheTime: 0 }));
  const raw: RpcLog[] = [];
  for (let from = p.fromBlock; from <= toBlock; from += LOG_BLOCK_RANGE) {
    const to = from + LOG_BLOCK_RANGE - 1n < toBlock ? from + LOG_BLOCK_RANGE - 1n : toBlock;
    const page = await client.request({
      method: "eth_getLogs",
      params: [{ address: p.network, topics, fromBlock: numberToHex(from), toBlock: numberToHex(to) }],
    });
    raw.push(...(page as RpcLog[]));
  }
  const logs = parseEventLogs({
    abi: taskEventsAbi,
    logs: raw.map((log) => formatLog(log)),
    eventName: names as TaskEventName[],
    strict: true,
  });
  return logs.filter((log) => log.args.taskId === p.taskId) as TaskLog<name>[];
}
