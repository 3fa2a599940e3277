import { connect, mock, readContract } from "@wagmi/core";
import { privateKeyToAccount } from "viem/accounts";
import { afterAll, beforeAll, describe, expect, test } from "vitest";
import { assignTask } from "../actions/assignTask.ts";
import { ContractRevertedError } from "../errors/contract.ts";
import { contentHash } from "../protocol.ts";
import { anvilKey } from "../testing/anvil.ts";
import { type CorTestNetwork, setupNetwork, tempContentStore } from "../testing/fixture.ts";
import { playMiners, registerMiners } from "../testing/flow.ts";
import { parseCor } from "../utils/units.ts";
import {
  type CorConfig,
  createCorConfig,
  createSessionWagmi,
  depositToSessionWagmi,
  ENCRYPTION_KEY_MESSAGE,
  EncryptionKeyRequiredError,
  encryptionKeyPairFromSignature,
  fetchResultWagmi,
  isEnvelope,
  openPrompt,
  readNodeWagmi,
  readParamsWagmi,
  readSessionWagmi,
  readTaskWagmi,
  submitTaskWagmi,
  verifyResultWagmi,
  watchTaskWagmi,
} from "./index.ts";

let net: CorTestNetwork;
let store: Awaited<ReturnType<typeof tempContentStore>>;
let cor: CorConfig;
const account = privateKeyToAccount(anvilKey(1));
beforeAll(async () => {
  net = await setupNetwork();
  store = await tempContentStore();
  cor = createCorConfig({ chain: net.chain, rpcUrl: net.rpcUrl, deployment: net.deployment, pollingInterval: 50 });
});
afterAll(async () => {
  await store?.close();
  await net?.stop();
});

describe("@wagmi/core actions", () => {
  test("createCorConfig binds the generated ABIs to the deployment", async () => {
    expect(cor.contracts.network.address).toBe(net.deployment.network);
    const token = await readContract(cor.config, { ...cor.contracts.network, functionName: "token" });
    expect(token).toBe(net.deployment.token);
    expect(() => createCorConfig({ chain: { ...net.chain, id: 1 }, deployment: net.deployment })).toThrow(
      "The deployment is for chain 31337 but the config's chain is 1 (anvil).",
    );
  });

  test("a local account creates, tops up and submits; reads decode like the viem actions", async () => {
    await net.fund(1, parseCor("3"));
    const { sessionId, approvalHash } = await createSessionWagmi(cor, {
      account,
      deposit: parseCor("2"),
      maxTokens: 16,
      pricePerToken: parseCor("0.01"),
    });
    expect(approvalHash).toBeDefined();
    const { deposit } = await depositToSessionWagmi(cor, { account, sessionId, amount: parseCor("1") });
    expect(deposit).toBe(parseCor("3"));
    expect(await readSessionWagmi(cor, { sessionId })).toMatchObject({
      owner: account.address,
      status: "Open",
      deposit: parseCor("3"),
      maxTokens: 16,
    });

    const [miner] = await registerMiners(net, [2]);
    const submitted = await submitTaskWagmi(cor, { account, sessionId, prompt: "wagmi prompt", store });
    expect(submitted.promptHash).toBe(contentHash("wagmi prompt"));
    expect(submitted.escrow).toBe(parseCor("0.16"));

    const events: string[] = [];
    const settled = new Promise<void>((resolve, reject) => {
      const unwatch = watchTaskWagmi(cor, {
        taskId: submitted.taskId,
        fromBlock: submitted.blockNumber,
        onError: reject,
        onEvent: ({ eventName, status }) => {
          events.push(status ? `${eventName}:${status}` : eventName);
          if (status === "Finalized") {
            unwatch();
            resolve();
          }
        },
      });
    });
    await assignTask(net.client(1), { network: net.deployment.network, taskId: submitted.taskId, nodeIds: [miner] });
    await playMiners(net, { taskId: submitted.taskId, store, miners: [{ index: 2, result: "done", tokens: 2 }] });
    await settled;
    expect(events[0]).toBe("TaskSubmitted:Queued");
    expect(events).toContain("TaskAssigned:Committing");
    expect(events.at(-1)).toBe("TaskFinalized:Finalized");

    const task = await readTaskWagmi(cor, { taskId: submitted.taskId });
    expect(task).toMatchObject({ status: "Finalized", resultHash: contentHash("done"), winnerNodeId: miner });
    expect((await readNodeWagmi(cor, { nodeId: miner })).accepted).toBe(1);
    expect((await readParamsWagmi(cor)).minStake.miner).toBe(parseCor("100"));
    const result = await fetchResultWagmi(cor, { taskId: submitted.taskId, store, fromBlock: submitted.blockNumber });
    expect(result).toMatchObject({ text: "done", tokens: 2, winnerNodeId: miner });
    expect((await verifyResultWagmi(cor, { taskId: submitted.taskId, result: "done" })).valid).toBe(true);
  });

  test("an encrypted session: the browser path seals the prompt, and refuses to send it in plaintext", async () => {
    await net.fund(1, parseCor("2"));
    const { sessionId } = await createSessionWagmi(cor, {
      account,
      deposit: parseCor("1"),
      maxTokens: 16,
      encrypted: true,
    });
    await expect(submitTaskWagmi(cor, { account, sessionId, prompt: "private", store })).rejects.toBeInstanceOf(
      EncryptionKeyRequiredError,
    );
    // The key a dapp derives from a wallet signature (same account, same message → same key).
    const keys = {
      keys: [encryptionKeyPairFromSignature(await account.signMessage({ message: ENCRYPTION_KEY_MESSAGE }))],
    };
    const submitted = await submitTaskWagmi(cor, {
      account,
      sessionId,
      prompt: "private",
      store,
      encryption: { keys },
    });
    expect(submitted.promptHash).toBe(contentHash("private"));
    const stored = await store.get(submitted.promptCid);
    expect(isEnvelope(stored)).toBe(true);
    expect(new TextDecoder().decode((await openPrompt({ envelope: stored, keys })).plaintext)).toBe("private");
  });

  test("reverts through wagmi are decoded too", async () => {
    const err = await submitTaskWagmi(cor, {
      account: privateKeyToAccount(anvilKey(7)),
      sessionId: 1,
      prompt: "not mine",
      store,
    }).catch((e) => e);
    expect(err).toBeInstanceOf(ContractRevertedError);
    expect(err.errorName).toBe("NotAuthorizedSubmitter");
  });

  test("a connected wallet (mock connector over anvil's unlocked accounts) signs without an account parameter", async () => {
    const walletCor = createCorConfig({
      chain: net.chain,
      rpcUrl: net.rpcUrl,
      deployment: net.deployment,
      pollingInterval: 50,
      connectors: [mock({ accounts: [net.address(3)] })],
    });
    await connect(walletCor.config, { connector: walletCor.config.connectors[0] });
    await net.fund(3, parseCor("1"));
    const { sessionId } = await createSessionWagmi(walletCor, { deposit: parseCor("1") });
    expect((await readSessionWagmi(walletCor, { sessionId })).owner).toBe(net.address(3));
  });
});
