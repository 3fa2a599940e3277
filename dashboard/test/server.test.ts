/**
 * The dashboard server without a browser: runtime config, SPA fallback, upstream failures as JSON, the IPFS
 * route on a real embedded store, and the pure helpers the app uses (search parsing, config validation).
 */
import { execFile } from "node:child_process";
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { contentHash } from "../../sdk/src/protocol.ts";
import { type ContentStore, createEmbeddedStore } from "../../sdk/src/storage/index.ts";
import { freePort } from "../../sdk/src/testing/anvil.ts";
import { type DashboardServer, startDashboard } from "../server/serve.ts";
import { searchTarget } from "../src/lib/search.ts";
import { parseDashboardConfig } from "../src/runtimeConfig.ts";

const deployment = {
  chainId: 31337,
  network: "0x5FbDB2315678afecb367f032d93F642f64180aa3",
  token: "0xe7f1725E7734CE288F8367e1Bb143E90bb3F0512",
  modelId: `0x${"ab".repeat(32)}`,
  modelName: "stories260K",
  startBlock: 0,
} as const;

let root: string;
let store: ContentStore;
let dashboard: DashboardServer;
let upstream: Server;
let upstreamUrl: string;
let seen: { method: string; url: string; body: string; auth: string | undefined }[] = [];

beforeAll(async () => {
  process.env.COR_LOG_LEVEL = "warn";
  root = mkdtempSync(join(tmpdir(), "cor-dashboard-server-"));
  const dist = join(root, "dist");
  mkdirSync(join(dist, "assets"), { recursive: true });
  writeFileSync(join(dist, "index.html"), "<!doctype html><div id=root></div>");
  writeFileSync(join(dist, "assets", "app.js"), "console.log(1)");
  store = await createEmbeddedStore({ directory: join(root, "ipfs") });
  // A stand-in upstream that echoes what it received, and streams an SSE body in two pieces.
  upstream = createServer((req, res) => {
    let body = "";
    req.on("data", (d) => (body += d));
    req.on("end", () => {
      seen.push({ method: req.method ?? "", url: req.url ?? "", body, auth: req.headers.authorization });
      if (req.url?.endsWith("/stream")) {
        res.writeHead(200, { "content-type": "text/event-stream", "x-cor-task-id": "4294967297" });
        res.write("data: one\n\n");
        setTimeout(() => res.end("data: [DONE]\n\n"), 50);
        return;
      }
      res.writeHead(200, { "content-type": "application/json" });
      res.end(JSON.stringify({ ok: true }));
    });
  });
  await new Promise<void>((r) => upstream.listen(0, "127.0.0.1", r));
  upstreamUrl = `http://127.0.0.1:${(upstream.address() as AddressInfo).port}`;
  dashboard = await startDashboard({
    distDir: dist,
    upstreams: {
      rpcUrl: `http://127.0.0.1:${await freePort()}`,
      indexerUrl: `${upstreamUrl}/base`,
      routerUrl: upstreamUrl,
    },
    deployment,
    store,
    devAccounts: ["0xf39Fd6e51aad88F6F4ce6aB8827279cffFb92266"],
  });
});

afterAll(async () => {
  await dashboard?.stop();
  await new Promise((r) => upstream?.close(r));
  await store?.close();
  rmSync(root, { recursive: true, force: true });
});

describe("dashboard server", () => {
  it("serves a runtime config whose URLs are its own same-origin routes", async () => {
    const res = await fetch(`${dashboard.url}/config.json`);
    expect(res.headers.get("cache-control")).toBe("no-store");
    const config = parseDashboardConfig(await res.json());
    expect(config).toMatchObject({
      chainId: 31337,
      rpcUrl: "/rpc",
      indexerUrl: "/indexer",
      routerUrl: "/router",
      ipfsGatewayUrl: "/ipfs",
      devAccounts: ["0xf39Fd6e51aad88F6F4ce6aB8827279cffFb92266"],
    });
    expect(config.deployment.network).toBe(deployment.network);
  });

  it("answers index.html for client routes, files for assets, 404 for a missing asset", async () => {
    for (const path of ["/", "/tasks/8589934593", "/miners/3", "/address/0xabc"]) {
      const res = await fetch(`${dashboard.url}${path}`);
      expect(res.status, path).toBe(200);
      expect(res.headers.get("content-type")).toMatch(/text\/html/);
      expect(await res.text()).toContain("<div id=root>");
    }
    const js = await fetch(`${dashboard.url}/assets/app.js`);
    expect(js.headers.get("content-type")).toMatch(/javascript/);
    expect((await fetch(`${dashboard.url}/assets/missing.js`)).status).toBe(404);
    // An encoded ../ never leaves dist: it normalizes into the SPA fallback.
    const traversal = await fetch(`${dashboard.url}/assets/..%2F..%2F..%2Fpackage.json`);
    expect(await traversal.text()).toContain("<div id=root>");
    expect((await fetch(`${dashboard.url}/tasks/%E0%A4%A`)).status).toBe(400);
  });

  it("proxies the indexer and router with path, query, body and auth; streams SSE through", async () => {
    seen = [];
    const g = await fetch(`${dashboard.url}/indexer/graphql?x=1`, {
      method: "POST",
      headers: { "content-type": "application/json", authorization: "Bearer k", cookie: "secret=1" },
      body: '{"query":"{ a }"}',
    });
    expect(await g.json()).toEqual({ ok: true });
    expect(seen[0]).toEqual({ method: "POST", url: "/base/graphql?x=1", body: '{"query":"{ a }"}', auth: "Bearer k" });
    const s = await fetch(`${dashboard.url}/router/stream`, { method: "POST", body: "{}" });
    expect(s.headers.get("content-type")).toBe("text/event-stream");
    expect(s.headers.get("x-cor-task-id")).toBe("4294967297");
    expect(await s.text()).toBe("data: one\n\ndata: [DONE]\n\n");
  });

  it("unknown routes and unconfigured services answer OpenAI-shaped 404s", async () => {
    const post = await fetch(`${dashboard.url}/nope`, { method: "POST" });
    expect(post.status).toBe(404);
    expect(await post.json()).toEqual({
      error: { message: "No route POST /nope", type: "invalid_request_error", code: "not_found" },
    });
    const bare = await startDashboard({
      distDir: join(root, "dist"),
      upstreams: { rpcUrl: upstreamUrl, indexerUrl: upstreamUrl },
      deployment,
    });
    try {
      const config = (await (await fetch(`${bare.url}/config.json`)).json()) as {
        routerUrl: unknown;
        ipfsGatewayUrl: unknown;
      };
      expect(config).toMatchObject({ routerUrl: null, ipfsGatewayUrl: null });
      for (const path of ["/router/health", "/ipfs/bafkqaaa"]) {
        const res = await fetch(`${bare.url}${path}`);
        expect(res.status, path).toBe(404);
        expect(((await res.json()) as { error: { code: string } }).error.code).toBe("not_configured");
      }
    } finally {
      await bare.stop();
    }
  });

  it("a down upstream is a 502 with an OpenAI-shaped error naming it", async () => {
    const res = await fetch(`${dashboard.url}/rpc`, {
      method: "POST",
      body: '{"jsonrpc":"2.0","id":1,"method":"eth_blockNumber"}',
    });
    expect(res.status).toBe(502);
    const body = (await res.json()) as { error: { message: string; code: string } };
    expect(body.error.code).toBe("rpc_unreachable");
    expect(body.error.message).toMatch(/^The chain RPC at http:\/\/127\.0\.0\.1:\d+ is unreachable/);
  });

  it("GET /ipfs/<cid> returns the exact bytes whose keccak256 the contracts store; bad and unknown CIDs are 4xx", async () => {
    const bytes = new TextEncoder().encode(" loved to play outside in the park.");
    const { cid } = await store.add(bytes);
    const res = await fetch(`${dashboard.url}/ipfs/${cid}`);
    expect(res.status).toBe(200);
    const got = new Uint8Array(await res.arrayBuffer());
    expect(contentHash(got)).toBe(contentHash(bytes));
    const bad = await fetch(`${dashboard.url}/ipfs/not-a-cid`);
    expect(bad.status).toBe(400);
    expect(((await bad.json()) as { error: { code: string } }).error.code).toBe("invalid_cid");
    const other = (await createEmbeddedStore({ directory: join(root, "other") })) as ContentStore;
    const { cid: unknown } = await other.add(new TextEncoder().encode("never stored here"));
    await other.close();
    const missing = await fetch(`${dashboard.url}/ipfs/${unknown}`);
    expect(missing.status).toBe(404);
  });
});

describe("cor-dashboard CLI", () => {
  const cli = (args: string[]) =>
    new Promise<{ code: number | null; stderr: string }>((resolve) => {
      const main = join(import.meta.dirname, "..", "server", "main.ts");
      execFile(
        process.execPath,
        ["--conditions=cor-source", "--import", "tsx", main, ...args],
        { timeout: 30_000 },
        (err, _out, stderr) => resolve({ code: err ? ((err as { code?: number }).code ?? null) : 0, stderr }),
      );
    });

  it("bad input: one line on stderr and exit code 2", async () => {
    const port = await cli(["--port", "abc"]);
    expect(port).toEqual({ code: 2, stderr: "cor-dashboard: --port must be 0..65535, got 'abc'\n" });
    const missing = await cli(["--deployment", join(root, "nope.json")]);
    expect(missing.code).toBe(2);
    expect(missing.stderr).toMatch(/^cor-dashboard: No deployment at .*nope\.json: deploy first/);
    expect(missing.stderr.trim().split("\n")).toHaveLength(1);
  });
});

describe("app helpers", () => {
  it("search: task ids, session/index, sessions, addresses, and a sentence for anything else", () => {
    expect(searchTarget("8589934593")).toEqual({ path: "/tasks/8589934593" });
    expect(searchTarget(" 2 / 1 ")).toEqual({ path: "/tasks/8589934593" });
    expect(searchTarget("7")).toEqual({ path: "/sessions/7" });
    expect(searchTarget("0xF39Fd6e51aad88F6F4ce6aB8827279cffFb92266")).toEqual({
      path: "/address/0xf39fd6e51aad88f6f4ce6ab8827279cfffb92266",
    });
    expect(searchTarget("0")).toEqual({ error: "Ids start at 1" });
    expect(searchTarget("0/1")).toHaveProperty("error");
    expect(searchTarget("99999999999999999999999")).toHaveProperty("error");
    expect(searchTarget("hello")).toEqual({ error: "Enter a task id, session/index, a session id, or a 0x address" });
  });

  it("config validation lists every bad field in one message", () => {
    expect(() => parseDashboardConfig({ chainId: 0, rpcUrl: "ftp://x", deployment: { network: "0x1" } })).toThrow(
      /chainId must be a positive integer; rpcUrl must be .*; indexerUrl must be .*; deployment.network must be an address; deployment.token must be an address; deployment.modelId must be a 32-byte hex/,
    );
    expect(() => parseDashboardConfig(null)).toThrow("config.json must be a JSON object");
  });
});
