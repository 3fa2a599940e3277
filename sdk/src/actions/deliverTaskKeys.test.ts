import { createServer } from "node:http";
import type { AddressInfo } from "node:net";
import { afterAll, beforeAll, expect, test } from "vitest";
import { openPrompt, parseGrant, promptRecipients } from "../crypto/envelope.ts";
import { generateEncryptionKeyPair } from "../crypto/keys.ts";
import { EncryptionKeyRequiredError } from "../errors/crypto.ts";
import { type CorTestNetwork, setupNetwork, tempContentStore } from "../testing/fixture.ts";
import { openSession } from "../testing/flow.ts";
import { parseCor } from "../utils/units.ts";
import { assignTask } from "./assignTask.ts";
import { deliverTaskKeys, grantPath } from "./deliverTaskKeys.ts";
import { getRecipientKeys } from "./getRecipientKeys.ts";
import { registerNode } from "./registerNode.ts";
import { submitTask } from "./submitTask.ts";

// Key grants on anvil: real registrations (keys and endpoints on-chain), a real HTTP endpoint standing in for the
// miner's (it refuses the first grant with 503, then accepts), real envelopes.

let net: CorTestNetwork;
let store: Awaited<ReturnType<typeof tempContentStore>>;
const received: { url: string; body: Uint8Array }[] = [];
let answers = [503];
const server = createServer((req, res) => {
  const chunks: Buffer[] = [];
  req.on("data", (c: Buffer) => chunks.push(c));
  req.on("end", () => {
    received.push({ url: req.url ?? "", body: new Uint8Array(Buffer.concat(chunks)) });
    res.writeHead(answers.shift() ?? 202).end("{}");
  });
});
const minerKey = generateEncryptionKeyPair();
const validatorKey = generateEncryptionKeyPair();
const client = { keys: [generateEncryptionKeyPair()] };
let miner = 0;
let keyless = 0;
let validator = 0;

beforeAll(async () => {
  net = await setupNetwork();
  store = await tempContentStore();
  await new Promise<void>((r) => server.listen(0, "127.0.0.1", () => r()));
  const endpoint = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  const register = async (i: number, role: "Miner" | "Validator", encryptionKey?: `0x${string}`) => {
    await net.fund(i, parseCor("100"));
    const { nodeId } = await registerNode(net.client(i), {
      network: net.deployment.network,
      role,
      stake: parseCor("100"),
      models: role === "Miner" ? [net.deployment.modelId] : [],
      encryptionKey,
      endpoint,
    });
    return nodeId;
  };
  miner = await register(2, "Miner", minerKey.publicKey);
  keyless = await register(3, "Miner");
  validator = await register(5, "Validator", validatorKey.publicKey);
});
afterAll(async () => {
  server.close();
  await store?.close();
  await net?.stop();
});

test("getRecipientKeys: active nodes of a role, or given nodes, that registered a key", async () => {
  const { network } = net.deployment;
  expect(await getRecipientKeys(net.publicClient, { network, role: "Validator" })).toEqual([
    { nodeId: validator, publicKey: validatorKey.publicKey },
  ]);
  expect(await getRecipientKeys(net.publicClient, { network, nodeIds: [miner, keyless] })).toEqual([
    { nodeId: miner, publicKey: minerKey.publicKey },
  ]);
});

test("an encrypted task: sealed to the client and the validators; its key granted to assigned miners over HTTP", async () => {
  const { network } = net.deployment;
  const sessionId = await openSession(net, 1, {
    deposit: parseCor("5"),
    redundancy: 2,
    maxTokens: 32,
    encrypted: true,
  });
  await expect(submitTask(net.client(1), { network, sessionId, prompt: "secret", store })).rejects.toBeInstanceOf(
    EncryptionKeyRequiredError,
  );
  const { taskId, promptCid } = await submitTask(net.client(1), {
    network,
    sessionId,
    prompt: "a secret prompt",
    store,
    encryption: { keys: client },
  });
  const envelope = await store.get(promptCid);
  expect(promptRecipients(envelope)).toEqual([
    { nodeId: 0, publicKey: client.keys[0].publicKey },
    { nodeId: validator, publicKey: validatorKey.publicKey },
  ]);
  await assignTask(net.client(1), { network, taskId, nodeIds: [miner, keyless] });

  // First attempt: the endpoint answers 503, and the keyless miner cannot be granted anything.
  const first = await deliverTaskKeys(net.publicClient, { network, taskId, store, encryption: { keys: client } });
  expect(first.delivered).toEqual([]);
  expect(first.failed).toEqual([
    { nodeId: keyless, error: "no encryption key registered" },
    { nodeId: miner, error: "HTTP 503: {}" },
  ]);
  // Retried: delivered; the grant opens the prompt for the miner's key only.
  const second = await deliverTaskKeys(net.publicClient, { network, taskId, store, encryption: { keys: client } });
  expect(second.delivered).toEqual([miner]);
  const grant = received.at(-1) as { url: string; body: Uint8Array };
  expect(grant.url).toBe(grantPath(taskId));
  expect(parseGrant(grant.body).recipients).toEqual([{ nodeId: miner, publicKey: minerKey.publicKey }]);
  const opened = await openPrompt({
    envelope,
    keys: { nodeId: miner, keys: [minerKey] },
    grants: [grant.body],
    taskId,
  });
  expect(new TextDecoder().decode(opened.plaintext)).toBe("a secret prompt");
  answers = [];
});
