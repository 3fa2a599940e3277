import type { Account, Address, Chain, Client, Transport } from "viem";
import { addStake } from "../actions/addStake.ts";
import { assignTask } from "../actions/assignTask.ts";
import { assignTasks } from "../actions/assignTasks.ts";
import { attest } from "../actions/attest.ts";
import { authorizeSubmitter } from "../actions/authorizeSubmitter.ts";
import { claimTask } from "../actions/claimTask.ts";
import { closeSession } from "../actions/closeSession.ts";
import { commitResult } from "../actions/commitResult.ts";
import { commitResults } from "../actions/commitResults.ts";
import { commitResultsRoot } from "../actions/commitResultsRoot.ts";
import { createSession } from "../actions/createSession.ts";
import { depositToSession } from "../actions/depositToSession.ts";
import { expireSlot } from "../actions/expireSlot.ts";
import { finalizeTask } from "../actions/finalizeTask.ts";
import { registerNode } from "../actions/registerNode.ts";
import { requestExit } from "../actions/requestExit.ts";
import { revealResult } from "../actions/revealResult.ts";
import { revealResults } from "../actions/revealResults.ts";
import { revealResultsRoot } from "../actions/revealResultsRoot.ts";
import { setSessionRouter } from "../actions/setSessionRouter.ts";
import { submitTask } from "../actions/submitTask.ts";
import { submitTasks } from "../actions/submitTasks.ts";
import { transferCor } from "../actions/transferCor.ts";
import { unjailNode } from "../actions/unjailNode.ts";
import { updateModels } from "../actions/updateModels.ts";
import { updateNode } from "../actions/updateNode.ts";
import { updateOffer } from "../actions/updateOffer.ts";
import { withdrawDeposit } from "../actions/withdrawDeposit.ts";
import { withdrawRewards } from "../actions/withdrawRewards.ts";
import { withdrawStake } from "../actions/withdrawStake.ts";
import { bindActions, type CorDecoratorConfig, type Decorated } from "./network.ts";

/** Every COR network write: they sign with the client's account (or the `account` parameter). */
const walletCorActions = {
  // nodes
  registerNode,
  addStake,
  updateNode,
  updateOffer,
  updateModels,
  requestExit,
  withdrawStake,
  withdrawRewards,
  unjailNode,
  // sessions
  createSession,
  depositToSession,
  withdrawDeposit,
  closeSession,
  authorizeSubmitter,
  setSessionRouter,
  // tasks
  submitTask,
  submitTasks,
  assignTask,
  assignTasks,
  claimTask,
  commitResult,
  commitResults,
  commitResultsRoot,
  revealResult,
  revealResults,
  revealResultsRoot,
  attest,
  expireSlot,
  finalizeTask,
  // token
  transferCor,
};

/** What `walletClient.extend(corWalletActions())` adds: each write action with the client bound. */
export type CorWalletActions<network extends Address | undefined = undefined> = Decorated<
  typeof walletCorActions,
  network
>;

/**
 * viem decorator of COR network's writes: `walletClient.extend(corWalletActions({ network }))` adds every write
 * action (`registerNode`, `createSession`, `submitTask`, `assignTask`, `claimTask`, `commitResult`,
 * `revealResult`, `attest`, `expireSlot`, `finalizeTask`, …), each taking the action's parameters without the
 * client. They sign with the client's account unless a call passes `account`. Combine with {@link corActions} for
 * reads.
 *
 * @param config - {@link CorDecoratorConfig}
 * @returns A decorator for `client.extend`.
 *
 * @example
 * import { createWalletClient, http } from 'viem'
 * import { privateKeyToAccount } from 'viem/accounts'
 * import { foundry } from 'viem/chains'
 * import { corActions, corWalletActions, parseCor } from '@cor-network/sdk'
 *
 * const cor = createWalletClient({ account: privateKeyToAccount(key), chain: foundry, transport: http() })
 *   .extend(corActions({ network }))
 *   .extend(corWalletActions({ network }))
 * const { sessionId } = await cor.createSession({ modelId, deposit: parseCor('10') })
 * const { taskId } = await cor.submitTask({ sessionId, prompt: 'Once upon a time', store })
 * const { status } = await cor.getTask({ taskId })
 */
export function corWalletActions<const network extends Address | undefined = undefined>(
  config: CorDecoratorConfig<network> = {},
): <transport extends Transport, chain extends Chain | undefined, account extends Account | undefined>(
  client: Client<transport, chain, account>,
) => CorWalletActions<network> {
  return (client) => bindActions(client, walletCorActions, config);
}
