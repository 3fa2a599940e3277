import type { Account, Address, Chain, Client, Transport } from "viem";
import { deliverTaskKeys } from "../actions/deliverTaskKeys.ts";
import { fetchResult } from "../actions/fetchResult.ts";
import { getNode } from "../actions/getNode.ts";
import { getParams } from "../actions/getParams.ts";
import { getRawSession } from "../actions/getRawSession.ts";
import { getRawTask } from "../actions/getRawTask.ts";
import { getRecipientKeys } from "../actions/getRecipientKeys.ts";
import { getReputation } from "../actions/getReputation.ts";
import { getSession } from "../actions/getSession.ts";
import { getSessionCount } from "../actions/getSessionCount.ts";
import { getTask } from "../actions/getTask.ts";
import { verifyResult } from "../actions/verifyResult.ts";
import { waitForTaskResult } from "../actions/waitForTaskResult.ts";
import { watchTask } from "../actions/watchTask.ts";
import { bindActions, type CorDecoratorConfig, type Decorated } from "./network.ts";

/** The reads of COR network that any client can run (no account): views, results, task watching. */
const publicCorActions = {
  getTask,
  getSession,
  getRawTask,
  getRawSession,
  getSessionCount,
  getNode,
  getParams,
  getReputation,
  getRecipientKeys,
  watchTask,
  waitForTaskResult,
  fetchResult,
  verifyResult,
  deliverTaskKeys,
};

/** What `client.extend(corActions())` adds: each read action with the client bound. */
export type CorActions<network extends Address | undefined = undefined> = Decorated<typeof publicCorActions, network>;

/**
 * viem decorator of COR network's reads: `client.extend(corActions({ network }))` adds `getTask`, `getSession`,
 * `getRawTask`, `getRawSession`, `getSessionCount`, `getNode`, `getParams`, `getReputation`, `getRecipientKeys`, `watchTask`, `waitForTaskResult`, `fetchResult`,
 * `verifyResult` and `deliverTaskKeys`, each taking the action's parameters without the client. With `network`
 * given here, the parameter becomes optional in every call.
 *
 * @param config - {@link CorDecoratorConfig}
 * @returns A decorator for `client.extend`.
 *
 * @example
 * import { createPublicClient, http } from 'viem'
 * import { foundry } from 'viem/chains'
 * import { corActions, getDeployment } from '@cor-network/sdk'
 *
 * const client = createPublicClient({ chain: foundry, transport: http() })
 *   .extend(corActions({ network: getDeployment(31337).network }))
 * const task = await client.getTask({ taskId })
 * const unwatch = client.watchTask({ taskId, onSettled: (status) => console.log(status) })
 */
export function corActions<const network extends Address | undefined = undefined>(
  config: CorDecoratorConfig<network> = {},
): <transport extends Transport, chain extends Chain | undefined, account extends Account | undefined>(
  client: Client<transport, chain, account>,
) => CorActions<network> {
  return (client) => bindActions(client, publicCorActions, config);
}
