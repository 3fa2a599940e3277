import { closeSession, submitTask, taskIdOf } from "@cor-network/sdk";
import { type CorTestNetwork, openSession, setupNetwork, tempContentStore } from "@cor-network/sdk/testing";
import pino from "pino";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createApi } from "./api.ts";
import type { RouterCore } from "./core.ts";

// The HTTP routes that read the chain, against a real anvil with the forge-deployed contracts. The router core is
// reduced to what these routes use (its chain client, models, no final results): no route here reaches a miner.
// The full router behind the same routes runs in agents/test/network.e2e.test.ts.

let net: CorTestNetwork;
let store: Awaited<ReturnType<typeof tempContentStore>>;
let app: ReturnType<typeof createApi>;
let houseSessions = 0;

beforeAll(async () => {
  net = await setupNetwork();
  store = await tempContentStore();
  const core = {
    client: net.publicClient,
    models: new Map([["stories260K", net.deployment.modelId]]),
    houseSession: async () => {
      houseSessions++;
      throw new Error("the house session is not part of these tests");
    },
    resultOf: async () => undefined,
  } as unknown as RouterCore;
  app = createApi({
    core,
    logger: pino({ level: "silent" }),
    nodeId: 1,
    deployment: net.deployment,
    house: { redundancy: 1, validation: 1, deposit: 0n, price: 1n, maxTokens: 64, windowSeconds: 60 },
    maxTokensCap: 64,
    maxPromptBytes: 4096,
    finalTimeoutMs: 1_000,
    chainBlock: () => net.publicClient.getBlockNumber(),
    promptTokens: async () => undefined,
  });
}, 60_000);
afterAll(async () => {
  await store?.close();
  await net?.stop();
});

const get = async (path: string) => {
  const res = await app.request(path);
  return { status: res.status, body: (await res.json()) as Record<string, unknown> & { error?: { code: string } } };
};
const post = async (path: string, body: unknown) => {
  const res = await app.request(path, {
    method: "POST",
    headers: { "content-type": "application/json" },
    body: JSON.stringify(body),
  });
  return { status: res.status, body: (await res.json()) as { error?: { code: string; message: string } } };
};

describe("router API reads through the SDK", () => {
  it("GET /api/v1/sessions/:id answers the on-chain struct (numbers as on chain, amounts as strings); 404 if none", async () => {
    const sessionId = await openSession(net, 1, {
      deposit: 3_000n,
      validation: "ExactMatch",
      sampling: { temperature: 0.5, topK: 0, topP: 0.25 },
    });
    const { status, body } = await get(`/api/v1/sessions/${sessionId}`);
    expect(status).toBe(200);
    expect(body).toMatchObject({
      id: sessionId,
      owner: net.address(1),
      status: 1,
      validation: 1,
      temperature: 500,
      topP: 2_500,
      deposit: "3000",
      taskCount: 0,
      modelId: net.deployment.modelId,
    });
    const missing = await get("/api/v1/sessions/999");
    expect(missing.status).toBe(404);
    expect(missing.body.error?.code).toBe("session_not_found");
  });

  it("GET /api/v1/tasks/:sessionId/:index answers the on-chain task view with the result fields; 404 if none", async () => {
    const sessionId = await openSession(net, 1, { deposit: 10n ** 18n, maxTokens: 16 });
    await submitTask(net.client(1), { network: net.deployment.network, sessionId, prompt: "Hi", store });
    const { status, body } = await get(`/api/v1/tasks/${sessionId}/1`);
    expect(status).toBe(200);
    expect(body).toMatchObject({
      task_id: taskIdOf(sessionId, 1).toString(),
      sessionId,
      status: 1,
      maxTokens: 16,
      miners: [0],
      committedMask: 0,
      result_cid: null,
      text: null,
    });
    const missing = await get(`/api/v1/tasks/${sessionId}/2`);
    expect(missing.status).toBe(404);
    expect(missing.body.error?.code).toBe("task_not_found");
  });

  it("POST /api/v1/completions refuses a missing or closed session (404) and an unfunded one (402)", async () => {
    const notOpen = async (sessionId: number) => {
      const res = await post("/api/v1/completions", { session_id: sessionId, prompt: "Hi", max_tokens: 8 });
      expect(res.status).toBe(404);
      expect(res.body.error).toMatchObject({ code: "session_not_found", message: `Session ${sessionId} is not open` });
    };
    await notOpen(999);
    const closed = await openSession(net, 2, { deposit: 0n });
    await closeSession(net.client(2), { network: net.deployment.network, sessionId: closed });
    await notOpen(closed);
    const unfunded = await openSession(net, 2, { deposit: 0n });
    const res = await post("/api/v1/completions", { session_id: unfunded, prompt: "Hi", max_tokens: 8 });
    expect(res.status).toBe(402);
    expect(res.body.error?.code).toBe("insufficient_deposit");
  });

  it("POST /v1/chat/completions: message content that is not a string or a list of parts is a 400", async () => {
    for (const content of [5, { text: "hi" }, [null], ["hi"]]) {
      const res = await post("/v1/chat/completions", { model: "stories260K", messages: [{ role: "user", content }] });
      expect(res.status, JSON.stringify(content)).toBe(400);
      expect(res.body.error?.code).toBe("invalid_messages");
    }
    expect(houseSessions).toBe(0); // refused before any session or chain work
  });
});
