import { readFileSync } from "node:fs";
import { join } from "node:path";
import { createOpenAICompatible } from "@ai-sdk/openai-compatible";
import { authorizeSubmitter, createSession, parseCor } from "@cor-network/sdk";
import { anvilKey, freePort } from "@cor-network/sdk/testing";
import { generateText, streamText } from "ai";
import OpenAI from "openai";
import { createWalletClient, http } from "viem";
import { privateKeyToAccount } from "viem/accounts";
import { foundry } from "viem/chains";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { WebSocket } from "ws";
import { bindSessionTypedData } from "../src/gateway/binding.ts";
import { type Gateway, startGateway } from "../src/gateway/index.ts";
import { getUsage, usageOf } from "../src/gateway/usage.ts";
import { type Cluster, runCor, startCluster } from "./gateway.harness.ts";

// Gateway end to end on real parts: anvil + forge-deployed contracts, 3 miners on stories260K, 2 routers that
// only take the gateway's requests, nginx generated from the pool, the gateway on embedded PGlite, keys made
// with the `cor keys` CLI through the admin API, and two real OpenAI clients (openai, Vercel AI SDK).

let cluster: Cluster;
let gateway: Gateway;
const ADMIN = "admin-secret-e2e";
const keys: Record<string, string> = {};
let model = "";

const call = (path: string, key: string | undefined, body?: unknown, method = body === undefined ? "GET" : "POST") =>
  fetch(`${gateway.url}${path}`, {
    method,
    headers: { "content-type": "application/json", ...(key ? { authorization: `Bearer ${key}` } : {}) },
    body: body === undefined ? undefined : JSON.stringify(body),
  });

const createKeyCli = async (args: string[]) => {
  const r = await runCor(["keys", "create", ...args, "--gateway", gateway.url, "--admin-key", ADMIN]);
  expect(r.code, r.stderr).toBe(0);
  const line = r.stdout.trim().split("\n")[0];
  expect(line).toMatch(/^cor-[0-9a-f]{12}_/);
  return line;
};

beforeAll(async () => {
  cluster = await startCluster({ miners: 3, routers: 2, childRouters: false });
  model = cluster.deployment.modelName;
  gateway = await startGateway({
    port: String(await freePort()),
    routers: cluster.routers.map((r) => r.url).join(","),
    models: `${model},cor-small=${model},other=${model}`,
    dataDir: join(cluster.root, "gateway"),
    nginx: "auto",
    secret: cluster.secret,
    adminKey: ADMIN,
    rpcUrl: cluster.anvil.rpcUrl,
    deployment: cluster.deploymentFile,
  });
  keys.main = await createKeyCli(["--name", "main"]);
  keys.small = await createKeyCli(["--name", "small", "--models", "cor-small"]);
  keys.rpm = await createKeyCli(["--name", "rpm", "--rpm", "2"]);
  keys.tpd = await createKeyCli(["--name", "tpd", "--tokens-per-day", "12"]);
}, 280_000);

afterAll(async () => {
  await gateway?.stop();
  await cluster?.stop();
});

describe("gateway: keys and errors", () => {
  it("no key or a bad key → 401 OpenAI-shaped, with a request id", async () => {
    for (const key of [undefined, "cor-000000000000_AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA", "sk-foo"]) {
      const res = await call("/v1/models", key);
      expect(res.status).toBe(401);
      expect(res.headers.get("x-request-id")).toMatch(/^req_[0-9a-f]{24}$/);
      const body = (await res.json()) as { error: { type: string; code: string; message: string } };
      expect(body.error).toMatchObject({ type: "invalid_request_error", code: "invalid_api_key" });
    }
  });

  it("/v1/models lists only the models a key is entitled to; others → 403, unknown → 404", async () => {
    const all = (await (await call("/v1/models", keys.main)).json()) as { data: { id: string }[] };
    expect(all.data.map((m) => m.id).sort()).toEqual(["cor-small", model, "other"].sort());
    const small = (await (await call("/v1/models", keys.small)).json()) as { data: { id: string }[] };
    expect(small.data.map((m) => m.id)).toEqual(["cor-small"]);
    const denied = await call("/v1/chat/completions", keys.small, {
      model,
      messages: [{ role: "user", content: "hi" }],
    });
    expect(denied.status).toBe(403);
    expect(((await denied.json()) as { error: { code: string } }).error.code).toBe("model_not_allowed");
    const unknown = await call("/v1/chat/completions", keys.main, {
      model: "gpt-9",
      messages: [{ role: "user", content: "hi" }],
    });
    expect(unknown.status).toBe(404);
    expect(((await unknown.json()) as { error: { code: string; param: string } }).error).toMatchObject({
      code: "model_not_found",
      param: "model",
    });
  });

  it("a body over 1 MB → 413, and a body that is not JSON → 400, both OpenAI-shaped", async () => {
    const big = await call("/v1/completions", keys.main, { model, prompt: "x".repeat(1_100_000) });
    expect(big.status).toBe(413);
    expect(((await big.json()) as { error: { code: string } }).error.code).toBe("request_too_large");
    const res = await fetch(`${gateway.url}/v1/completions`, {
      method: "POST",
      headers: { authorization: `Bearer ${keys.main}`, "content-type": "application/json" },
      body: "{not json",
    });
    expect(res.status).toBe(400);
    expect(((await res.json()) as { error: { code: string } }).error.code).toBe("invalid_json");
  });

  it("cor keys / cor gateway: bad input exits non-zero with one line", async () => {
    for (const [args, pattern] of [
      [["keys", "create", "--gateway", gateway.url, "--admin-key", ADMIN], /--name is required/],
      [
        ["keys", "create", "--name", "x", "--rpm", "0", "--gateway", gateway.url, "--admin-key", ADMIN],
        /--rpm must be a positive whole number/,
      ],
      [["keys", "frobnicate"], /unknown subcommand 'frobnicate'/],
      [["keys", "revoke", "nobody", "--gateway", gateway.url, "--admin-key", ADMIN], /no key named 'nobody'/],
      [["keys", "list", "--gateway", gateway.url, "--admin-key", "wrong"], /gateway answered 401/],
      [["gateway", "--bogus"], /Unknown option '--bogus'/],
      [["gateway", "--routers", "ftp://x"], /router URLs must be http/],
    ] as const) {
      const r = await runCor([...args]);
      expect(r.code, args.join(" ")).toBe(1);
      expect(r.stderr.trim().split("\n")[0]).toMatch(pattern);
    }
  });

  it("routers refuse requests that do not come through the gateway", async () => {
    const direct = await fetch(`${cluster.routers[0].url}/v1/completions`, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify({ model, prompt: "x" }),
    });
    expect(direct.status).toBe(403);
    expect(((await direct.json()) as { error: { code: string } }).error.code).toBe("gateway_only");
  });

  it("nginx passes WebSocket upgrades through to a router's /ws", async () => {
    const socket = new WebSocket(`${gateway.nginx?.url.replace(/^http/, "ws")}/pools/default/ws`);
    const reply = await new Promise<string>((resolve, reject) => {
      socket.on("open", () => socket.send(JSON.stringify({ subscribe: "4294967297" })));
      socket.on("message", (data) => resolve(String(data)));
      socket.on("error", reject);
    });
    socket.close();
    expect(JSON.parse(reply)).toEqual({ subscribed: "4294967297" });
  });

  it("nginx runs from the generated config: least_conn upstream over both routers, unbuffered", () => {
    expect(gateway.nginx).toBeDefined();
    const conf = readFileSync(join(gateway.nginx?.prefix ?? "", "nginx.conf"), "utf8");
    expect(conf).toContain("least_conn;");
    for (const r of cluster.routers) expect(conf).toContain(`server ${new URL(r.url).host} max_fails=1`);
    expect(readFileSync(join(gateway.nginx?.prefix ?? "", "proxy.conf"), "utf8")).toContain("proxy_buffering off;");
  });
});

describe("gateway: completions through nginx and the routers", () => {
  it("openai client, chat, non-stream: real usage, request id, a complete usage row", async () => {
    const openai = new OpenAI({ baseURL: `${gateway.url}/v1`, apiKey: keys.main, maxRetries: 0 });
    const { data, response } = await openai.chat.completions
      .create({ model, messages: [{ role: "user", content: "Once upon a time" }], max_completion_tokens: 8 })
      .withResponse();
    const requestId = response.headers.get("x-request-id") ?? "";
    expect(requestId).toMatch(/^req_/);
    expect(data.object).toBe("chat.completion");
    expect(data.choices[0].message.content?.length).toBeGreaterThan(0);
    expect(data.usage?.prompt_tokens).toBeGreaterThan(1);
    expect(data.usage?.completion_tokens).toBe(8);
    expect(data.choices[0].finish_reason).toBe("length");
    const row = await getUsage(gateway.db, requestId);
    expect(row).toMatchObject({
      state: "complete",
      status: 200,
      model,
      promptTokens: data.usage?.prompt_tokens,
      completionTokens: 8,
      route: "chat.completions",
    });
    expect(row?.taskId).toBe((data as unknown as { cor: { task_id: string } }).cor.task_id);
    expect(BigInt(row?.costWei ?? "0")).toBeGreaterThan(0n);
    expect(row?.router).toBeTruthy();
  });

  it("openai client, completions, stream: include_usage sends the final usage chunk; without it there is none", async () => {
    const openai = new OpenAI({ baseURL: `${gateway.url}/v1`, apiKey: keys.main, maxRetries: 0 });
    const withUsage = await openai.completions.create({
      model: "cor-small",
      prompt: "The little dog",
      max_tokens: 6,
      stream: true,
      stream_options: { include_usage: true },
    });
    let text = "";
    let usage: OpenAI.CompletionUsage | undefined;
    for await (const chunk of withUsage) {
      text += chunk.choices[0]?.text ?? "";
      if (chunk.usage) usage = chunk.usage;
    }
    expect(text.length).toBeGreaterThan(0);
    expect(usage?.completion_tokens).toBe(6);
    expect(usage?.prompt_tokens).toBeGreaterThan(1);
    const without = await openai.completions.create({
      model: "cor-small",
      prompt: "The little dog",
      max_tokens: 6,
      stream: true,
    });
    let sawUsage = false;
    let again = "";
    for await (const chunk of without) {
      again += chunk.choices[0]?.text ?? "";
      if (chunk.usage) sawUsage = true;
    }
    expect(sawUsage).toBe(false);
    expect(again).toBe(text); // greedy sessions are deterministic
  });

  it("stop sequences cut the text with finish_reason stop; n>1, tools, logprobs, sampling mismatch → clear 400", async () => {
    const openai = new OpenAI({ baseURL: `${gateway.url}/v1`, apiKey: keys.main, maxRetries: 0 });
    const full = await openai.completions.create({ model, prompt: "Once upon a time", max_tokens: 16 });
    const text = full.choices[0].text;
    const stop = text.slice(6, 9);
    const cut = await openai.completions.create({ model, prompt: "Once upon a time", max_tokens: 16, stop: [stop] });
    expect(cut.choices[0].text).toBe(text.slice(0, text.indexOf(stop)));
    expect(cut.choices[0].finish_reason).toBe("stop");
    for (const [extra, param] of [
      [{ n: 2 }, "n"],
      [{ tools: [{ type: "function", function: { name: "f", parameters: {} } }] }, "tools"],
      [{ logprobs: true }, "logprobs"],
      [{ temperature: 0.7 }, "temperature"],
      [{ top_p: 0.5 }, "top_p"],
    ] as const) {
      const res = await call("/v1/chat/completions", keys.main, {
        model,
        messages: [{ role: "user", content: "hi" }],
        max_tokens: 4,
        ...extra,
      });
      expect(res.status, JSON.stringify(extra)).toBe(400);
      const body = (await res.json()) as { error: { param: string; message: string } };
      expect(body.error.param).toBe(param);
    }
    // temperature 0 and a seed are the declared (greedy) sampling: accepted.
    const greedy = await openai.chat.completions.create({
      model,
      messages: [{ role: "user", content: "hi" }],
      max_tokens: 4,
      temperature: 0,
      seed: 7,
      top_p: 1,
    });
    expect(greedy.choices[0].message.content).toBeTypeOf("string");
  });

  it("Vercel AI SDK (openai-compatible provider): generateText and streamText", async () => {
    const provider = createOpenAICompatible({
      name: "cor",
      baseURL: `${gateway.url}/v1`,
      apiKey: keys.main,
      includeUsage: true,
    });
    const g = await generateText({ model: provider(model), prompt: "The cat sat", maxOutputTokens: 6 });
    expect(g.text.length).toBeGreaterThan(0);
    expect(g.usage.outputTokens).toBe(6);
    expect(g.finishReason).toBe("length");
    const s = streamText({ model: provider(model), prompt: "The cat sat", maxOutputTokens: 6 });
    let streamed = "";
    for await (const piece of s.textStream) streamed += piece;
    expect(streamed).toBe(g.text);
    expect((await s.usage).outputTokens).toBe(6);
  });

  it("requests spread over both routers (least_conn)", async () => {
    const key = await createKeyCli(["--name", "spread"]);
    // A router that missed nginx's 2 s connect timeout (a loaded host) sits out 10 s: allow a few rounds.
    const routers = new Set<string | null | undefined>();
    for (let round = 0; round < 4 && routers.size < 2; round++) {
      const ids = await Promise.all(
        Array.from({ length: 6 }, async () => {
          const res = await call("/v1/completions", key, { model, prompt: "A bird", max_tokens: 4 });
          expect(res.status).toBe(200);
          return res.headers.get("x-request-id") ?? "";
        }),
      );
      for (const r of await Promise.all(ids.map((id) => getUsage(gateway.db, id)))) routers.add(r?.router);
    }
    expect(routers.size).toBe(2);
  });
});

describe("gateway: limits, metering, revocation", () => {
  it("rpm: the third request in a minute → 429 with Retry-After and x-ratelimit-* headers; every request has a row", async () => {
    // The window is a calendar minute: start early in one so that the three requests share it.
    if (Date.now() % 60_000 > 30_000) await new Promise((r) => setTimeout(r, 60_000 - (Date.now() % 60_000) + 100));
    const statuses: number[] = [];
    const requestIds: string[] = [];
    for (let i = 0; i < 3; i++) {
      const res = await call("/v1/completions", keys.rpm, { model, prompt: "Hi", max_tokens: 2 });
      statuses.push(res.status);
      requestIds.push(res.headers.get("x-request-id") ?? "");
      if (res.status === 429) {
        expect(Number(res.headers.get("retry-after"))).toBeGreaterThan(0);
        expect(res.headers.get("x-ratelimit-limit-requests")).toBe("2");
        expect(res.headers.get("x-ratelimit-remaining-requests")).toBe("0");
        expect(res.headers.get("x-ratelimit-reset-requests")).toMatch(/^\d+s$/);
        const body = (await res.json()) as { error: { code: string; type: string } };
        expect(body.error).toMatchObject({ code: "rate_limit_exceeded", type: "requests" });
      } else {
        expect(res.headers.get("x-ratelimit-remaining-requests")).toBe(String(1 - i));
        await res.text();
      }
    }
    expect(statuses).toEqual([200, 200, 429]);
    const rows = await Promise.all(requestIds.map((id) => getUsage(gateway.db, id)));
    expect(rows.map((r) => r?.state)).toEqual(["complete", "complete", "rejected"]);
  });

  it("tokens/day: max_tokens is reserved up front and settled to what was used", async () => {
    const first = await call("/v1/completions", keys.tpd, { model, prompt: "Hi", max_tokens: 8 });
    expect(first.status).toBe(200);
    expect(first.headers.get("x-ratelimit-limit-tokens")).toBe("12");
    expect(first.headers.get("x-ratelimit-remaining-tokens")).toBe("4");
    const over = await call("/v1/completions", keys.tpd, { model, prompt: "Hi", max_tokens: 8 });
    expect(over.status).toBe(429);
    expect(((await over.json()) as { error: { type: string } }).error.type).toBe("tokens");
    const fits = await call("/v1/completions", keys.tpd, { model, prompt: "Hi", max_tokens: 4 });
    expect(fits.status).toBe(200);
    expect(fits.headers.get("x-ratelimit-remaining-tokens")).toBe("0");
  });

  it("/v1/usage and `cor keys usage` report the key's rows", async () => {
    const res = await call("/v1/usage", keys.rpm);
    const body = (await res.json()) as {
      summary: { requests: number; byState: Record<string, number>; completionTokens: number };
      data: unknown[];
    };
    expect(body.summary.requests).toBe(3);
    expect(body.summary.byState).toEqual({ complete: 2, rejected: 1 });
    expect(body.summary.completionTokens).toBe(4);
    const cli = await runCor(["keys", "usage", "rpm", "--gateway", gateway.url, "--admin-key", ADMIN]);
    expect(cli.code, cli.stderr).toBe(0);
    expect(cli.stdout).toMatch(/key rpm \([0-9a-f]{12}\): 3 requests/);
    const mainKey = ((await (await call("/v1/usage", keys.main)).json()) as { key: { id: string } }).key.id;
    const { summary } = await usageOf(gateway.db, mainKey);
    expect(summary.byState.complete).toBeGreaterThanOrEqual(8);
  });

  it("a revoked key stops working at once", async () => {
    const key = await createKeyCli(["--name", "short-lived"]);
    expect((await call("/v1/models", key)).status).toBe(200);
    const r = await runCor(["keys", "revoke", "short-lived", "--gateway", gateway.url, "--admin-key", ADMIN]);
    expect(r.code, r.stderr).toBe(0);
    expect((await call("/v1/models", key)).status).toBe(401);
  });
});

describe("gateway: Cortensor-style API with session ownership proof", () => {
  it("a key spends a session only after its owner signed the binding (EIP-712)", async () => {
    const chain = { ...foundry, rpcUrls: { default: { http: [cluster.anvil.rpcUrl] } } };
    const ownerAccount = privateKeyToAccount(cluster.keys.client);
    const owner = createWalletClient({ account: ownerAccount, chain, transport: http(cluster.anvil.rpcUrl) });
    const { deployment } = cluster;
    const network = deployment.network;
    const { sessionId } = await createSession(owner, {
      network,
      token: deployment.token,
      deposit: parseCor("10"),
      modelId: deployment.modelId,
      redundancy: 1,
      validation: "ExactMatch",
      assignment: "Router",
      pricePerToken: 10n ** 12n,
      maxTokens: 32,
      routerId: cluster.routers[1].nodeId,
    });
    for (const key of cluster.keys.routers) {
      await authorizeSubmitter(owner, { network, sessionId, submitter: privateKeyToAccount(key).address });
    }
    const key = await createKeyCli(["--name", "session-user"]);
    const keyId = key.slice(4, 16);
    const body = { session_id: sessionId, prompt: "Lily went to the park", max_tokens: 6 };
    const unbound = await call("/api/v1/completions", key, body);
    expect(unbound.status).toBe(403);
    expect(((await unbound.json()) as { error: { code: string } }).error.code).toBe("session_not_bound");

    const expiresAt = BigInt(Math.floor(Date.now() / 1000) + 3600);
    const typed = bindSessionTypedData({
      chainId: deployment.chainId,
      network: deployment.network,
      sessionId: BigInt(sessionId),
      keyId,
      expiresAt,
    });
    const stranger = privateKeyToAccount(anvilKey(18));
    const forged = await call("/v1/sessions/bind", key, {
      session_id: sessionId,
      expires_at: Number(expiresAt),
      signature: await stranger.signTypedData(typed),
    });
    expect(forged.status).toBe(403);
    expect(((await forged.json()) as { error: { code: string } }).error.code).toBe("invalid_signature");
    const bound = await call("/v1/sessions/bind", key, {
      session_id: sessionId,
      expires_at: Number(expiresAt),
      signature: await ownerAccount.signTypedData(typed),
    });
    expect(bound.status, await bound.clone().text()).toBe(200);

    const res = await call("/api/v1/completions", key, body);
    expect(res.status, await res.clone().text()).toBe(200);
    const done = (await res.json()) as {
      choices: { text: string }[];
      usage: { completion_tokens: number };
      cor: { session_id: number };
    };
    expect(done.cor.session_id).toBe(sessionId);
    expect(done.usage.completion_tokens).toBe(6);
    const row = await getUsage(gateway.db, res.headers.get("x-request-id") ?? "");
    expect(row).toMatchObject({ state: "complete", route: "cortensor.completions", completionTokens: 6 });
    expect(row?.router).toBe(String(cluster.routers[1].nodeId)); // the session's own router took it
    const task = await call(`/api/v1/tasks/${sessionId}/1`, key);
    expect(((await task.json()) as { text: string }).text).toBe(done.choices[0].text);
  });
});
