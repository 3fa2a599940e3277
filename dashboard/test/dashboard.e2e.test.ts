/**
 * The dashboard in Chromium against a live local network on real parts: anvil + the forge-deployed contracts,
 * two miners running node-llama-cpp on stories260K, a router, the Ponder indexer (PGlite), the embedded IPFS
 * store behind the dashboard's gateway route, and the built app served by dashboard/server. Chromium is the
 * Debian package driven by playwright-core (no browser download). Screenshots go to dashboard/artifacts/.
 */
import { mkdirSync, mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { type BrowserContext, chromium, type Page } from "playwright-core";
import { createPublicClient, createWalletClient, erc20Abi, http, parseEther, publicActions } from "viem";
import { privateKeyToAccount } from "viem/accounts";
import { foundry } from "viem/chains";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startMiner } from "../../agents/src/miner/index.ts";
import { startRouter } from "../../agents/src/router/index.ts";
import { eventually, graphql, indexedBlock, type Ponder, sqlQuery, startPonder } from "../../indexer/test/harness.ts";
import { createSession } from "../../sdk/src/actions/createSession.ts";
import { submitTask } from "../../sdk/src/actions/submitTask.ts";
import type { Deployment } from "../../sdk/src/deployments.ts";
import { iCorNetworkAbi } from "../../sdk/src/generated/abis.ts";
import { type ContentStore, createEmbeddedStore } from "../../sdk/src/storage/index.ts";
import { type Anvil, anvilKey, deployCore, freePort, startAnvil } from "../../sdk/src/testing/anvil.ts";
import { buildDashboard } from "../server/build.ts";
import { type DashboardServer, startDashboard } from "../server/serve.ts";

const CHROMIUM = process.env.COR_CHROMIUM ?? "/usr/bin/chromium";
const ARTIFACTS = join(import.meta.dirname, "..", "artifacts", "screenshots");
const KEYS = { miners: [anvilKey(1), anvilKey(2)], router: anvilKey(3), browser: anvilKey(4), client: anvilKey(5) };

let root: string;
let anvil: Anvil;
let deployment: Deployment;
let store: ContentStore;
let ponder: Ponder;
let dashboard: DashboardServer;
let routerUrl: string;
let dist: string;
let context: BrowserContext;
let page: Page;
const minerIds: number[] = [];
const stops: (() => Promise<void>)[] = [];

const chain = () => ({ ...foundry, rpcUrls: { default: { http: [anvil.rpcUrl] } } });
const publicClient = () => createPublicClient({ chain: chain(), transport: http(anvil.rpcUrl) });

const shot = async (name: string, p: Page = page) => {
  await p.screenshot({ path: join(ARTIFACTS, `${name}.png`), fullPage: true });
};

/** Raw `data-value` of a figure on the page, once it has loaded. */
const figure = async (id: string, p: Page = page): Promise<string> => {
  const el = p.locator(`[data-testid="stat-${id}"]`);
  await el.waitFor({ timeout: 20_000 });
  return (await el.getAttribute("data-value")) ?? "";
};

/** Waits until the indexer has indexed the chain's current block. */
const indexerCaughtUp = async () => {
  const head = Number(await publicClient().getBlockNumber());
  await eventually(async () => {
    const block = await indexedBlock(ponder.url);
    if (block < head) throw new Error(`indexer at ${block}, chain at ${head}`);
  }, 60_000);
};

beforeAll(async () => {
  process.env.COR_LOG_LEVEL = "warn";
  mkdirSync(ARTIFACTS, { recursive: true });
  root = mkdtempSync(join(tmpdir(), "cor-dashboard-"));
  const ipfsDir = join(root, "ipfs");
  // Its own build of the current sources: a concurrent run (or npm start) keeps using dashboard/dist undisturbed.
  dist = join(root, "dist");
  const building = buildDashboard(dist);
  anvil = await startAnvil();
  const file = join(root, "deployment.json");
  deployment = await deployCore({ rpcUrl: anvil.rpcUrl, file });
  store = await createEmbeddedStore({ directory: ipfsDir });
  const owner = createWalletClient({
    account: privateKeyToAccount(anvilKey(0)),
    chain: chain(),
    transport: http(anvil.rpcUrl),
  });
  for (const key of [...KEYS.miners, KEYS.router, KEYS.browser, KEYS.client]) {
    const hash = await owner.writeContract({
      address: deployment.token,
      abi: erc20Abi,
      functionName: "transfer",
      args: [privateKeyToAccount(key).address, parseEther("10000")],
    });
    await publicClient().waitForTransactionReceipt({ hash });
  }
  const common = { rpcUrl: anvil.rpcUrl, deployment: file, ipfsDir };
  for (const [i, key] of KEYS.miners.entries()) {
    const m = await startMiner({ ...common, privateKey: key, dataDir: join(root, `miner-${i}`), port: "0" });
    minerIds.push(m.nodeId);
    stops.push(m.stop);
  }
  const r = await startRouter({
    ...common,
    privateKey: KEYS.router,
    port: String(await freePort()),
    dataDir: join(root, "router"),
    redundancy: "1",
    validation: "ExactMatch",
    maxTokens: "64",
  });
  stops.push(r.stop);
  routerUrl = r.url;
  // The router relays streams from miners it is connected to (its /health counts them).
  await eventually(async () => {
    const health = (await (await fetch(`${routerUrl}/health`)).json()) as { miners: number };
    if (health.miners < 2) throw new Error("router not connected to both miners");
  }, 60_000);
  ponder = await startPonder({ rpcUrl: anvil.rpcUrl, deploymentFile: file, schema: `dash_${process.pid}` });
  stops.push(ponder.stop);
  await building;
  dashboard = await startDashboard({
    distDir: dist,
    upstreams: { rpcUrl: anvil.rpcUrl, indexerUrl: ponder.url, routerUrl },
    deployment: { ...deployment },
    store,
    devAccounts: [privateKeyToAccount(KEYS.browser).address],
    refreshMs: 1000,
  });
  stops.push(dashboard.stop);
  context = await chromium.launchPersistentContext(join(root, "chromium-profile"), {
    executablePath: CHROMIUM,
    headless: true,
    args: [
      "--no-sandbox",
      "--disable-gpu",
      "--disable-quic",
      "--no-first-run",
      "--disable-background-networking",
      "--disable-component-update",
      "--disable-sync",
    ],
    viewport: { width: 1280, height: 900 },
  });
  page = context.pages()[0] ?? (await context.newPage());
}, 240_000);

afterAll(async () => {
  await context?.close().catch(() => undefined);
  for (const stop of stops.reverse()) await stop().catch(() => undefined);
  await store?.close();
  await anvil?.stop();
  if (root) rmSync(root, { recursive: true, force: true });
});

type Overview = {
  network: {
    taskCount: number;
    tasksFinalized: number;
    tasksFailed: number;
    tokensServed: string;
    paid: string;
    stakes: string;
  };
  miners: { totalCount: number };
  routers: { totalCount: number };
};

describe("dashboard in Chromium on a live local network", () => {
  it("before any task: empty states, not blank pages", async () => {
    await indexerCaughtUp();
    await page.goto(`${dashboard.url}/tasks`);
    await page.locator('[data-state="empty"]').waitFor({ timeout: 15_000 });
    expect(await page.locator("main").textContent()).toContain("No task was submitted yet.");
    await page.goto(`${dashboard.url}/sessions`);
    await page.locator('[data-state="empty"]').waitFor({ timeout: 15_000 });
    expect(await page.locator("main").textContent()).toContain("No session was created yet.");
    await shot("empty-tasks");
    // Traffic: two finalized tasks in the router's house session, then the indexer catches up.
    for (const prompt of ["Once upon a time", "The little dog"]) {
      const res = await fetch(`${routerUrl}/v1/completions`, {
        method: "POST",
        headers: { "content-type": "application/json" },
        body: JSON.stringify({ model: "default", prompt, max_tokens: 24 }),
      });
      expect(res.status).toBe(200);
    }
    await indexerCaughtUp();
  });

  it("the overview's figures equal the indexer's GraphQL and /stats answers, with charts drawn", async () => {
    await page.goto(`${dashboard.url}/`);
    // The network totals are the indexer's network_stat view (a plural GraphQL field: one row per chain).
    const answer = await graphql<Omit<Overview, "network"> & { network: { items: Overview["network"][] } }>(
      ponder.url,
      `{ network: networkStats(where: { chainId: 31337 }) { items { taskCount tasksFinalized tasksFailed tokensServed paid stakes } }
         miners: nodes(where: { role: Miner, status: Active }) { totalCount }
         routers: nodes(where: { role: Router, status: Active }) { totalCount } }`,
    );
    const expected: Overview = { ...answer, network: answer.network.items[0]! };
    const stats = (await (await fetch(`${ponder.url}/stats`)).json()) as {
      medianTimeToFinalitySeconds: number;
      p90TimeToFinalitySeconds: number;
    };
    expect(expected.network.tasksFinalized).toBe(2);
    expect(expected.miners.totalCount).toBe(2);
    const pairs: [string, string | number][] = [
      ["active-miners", expected.miners.totalCount],
      ["active-routers", expected.routers.totalCount],
      ["tasks", expected.network.taskCount],
      ["tasks-finalized", expected.network.tasksFinalized],
      ["tasks-failed", expected.network.tasksFailed],
      ["tokens-served", expected.network.tokensServed],
      ["cor-paid", expected.network.paid],
      ["staked", expected.network.stakes],
      ["finality-median", stats.medianTimeToFinalitySeconds],
      ["finality-p90", stats.p90TimeToFinalitySeconds],
    ];
    // Windowed counts: "now" is the indexed block's time (GET /status), to the minute; the counts are SQL answers.
    const status = (await (await fetch(`${ponder.url}/status`)).json()) as Record<
      string,
      { block: { timestamp: number } }
    >;
    const now = Math.floor(Math.max(...Object.values(status).map((c) => c.block.timestamp)) / 60) * 60;
    for (const [id, hours] of [
      ["tasks-hour", 1],
      ["tasks-day", 24],
    ] as const) {
      const [row] = await sqlQuery<{ n: number }>(
        ponder.url,
        "select count(*)::int as n from task where submitted_time >= $1",
        [now - hours * 3600],
      );
      pairs.push([id, row?.n ?? -1]);
    }
    for (const [id, value] of pairs) {
      await expect.poll(() => figure(id), { timeout: 15_000, message: id }).toBe(String(value));
    }
    // The formatted text is the same amount: "<paid in COR> COR".
    const paidText = (await page.locator('[data-testid="stat-cor-paid"] .stat-value').textContent()) ?? "";
    expect(paidText).toMatch(/COR$/);
    expect(Number(paidText.replace(/[ ,A-Z]/g, ""))).toBeCloseTo(Number(BigInt(expected.network.paid)) / 1e18, 4);
    // Charts: echarts draws a canvas with a time axis.
    for (const label of ["tasks per hour", "time to finality", "settlement path", "tasks per day"]) {
      await page.locator(`[data-chart="${label}"] canvas`).first().waitFor({ timeout: 15_000 });
    }
    await expect.poll(() => page.locator('[data-testid="fast-share"]').getAttribute("data-value")).toBe("2");
    await shot("overview");
  });

  it("the leaderboard lists the live miners with the indexer's counters; a miner page shows its history", async () => {
    await page.goto(`${dashboard.url}/miners`);
    const rows = page.locator('[data-testid="leaderboard"] tbody tr');
    await expect.poll(() => rows.count(), { timeout: 15_000 }).toBe(2);
    const ids: number[] = [];
    for (let i = 0; i < (await rows.count()); i++) ids.push(Number(await rows.nth(i).getAttribute("data-node-id")));
    ids.sort();
    expect(ids).toEqual([...minerIds].sort());
    const { nodes } = await graphql<{
      nodes: { items: { id: number; accepted: number; score: number; stake: string }[] };
    }>(ponder.url, `{ nodes(where: { role: Miner }) { items { id accepted score stake } } }`);
    for (const n of nodes.items) {
      const row = page.locator(`[data-testid="leaderboard"] tr[data-node-id="${n.id}"]`);
      expect(await row.locator('[data-col="accepted"]').getAttribute("data-value")).toBe(String(n.accepted));
      expect(await row.locator('[data-col="score"]').getAttribute("data-value")).toBe(String(n.score));
      expect(await row.locator('[data-col="stake"]').getAttribute("data-value")).toBe(n.stake);
    }
    expect(nodes.items.reduce((s, n) => s + n.accepted, 0)).toBe(2);
    await shot("leaderboard");
    // Ranking by another column is a shareable URL; the order is the indexer's.
    await page.locator('nav[aria-label="Rank by"] a', { hasText: "speed" }).click();
    await expect.poll(() => page.url()).toMatch(/\/miners\?by=speed$/);
    const bySpeed = await graphql<{ nodes: { items: { id: number }[] } }>(
      ponder.url,
      `{ nodes(where: { role: Miner, status_not: Unregistered }, orderBy: "speed", orderDirection: "desc") { items { id } } }`,
    );
    await expect
      .poll(async () => {
        const order: number[] = [];
        for (let i = 0; i < (await rows.count()); i++)
          order.push(Number(await rows.nth(i).getAttribute("data-node-id")));
        return order;
      })
      .toEqual(bySpeed.nodes.items.map((n) => n.id));
    const busy = nodes.items.find((n) => n.accepted > 0);
    await page.goto(`${dashboard.url}/miners/${busy?.id}`);
    await page.locator('[data-testid="work-history"] tbody tr').first().waitFor({ timeout: 15_000 });
    expect(await page.locator('[data-testid="work-history"] tbody tr').count()).toBe(busy?.accepted);
    await page.locator('[data-chart="reputation history"] canvas').waitFor();
    await shot("miner");
  });

  it("Try it: a dev wallet creates a session, a prompt streams through the router, and the task verifies in the explorer", async () => {
    const sse: string[] = [];
    page.on("response", (res) => {
      if (res.url().includes("/router/api/v1/completions")) sse.push(res.headers()["content-type"] ?? "");
    });
    await page.goto(`${dashboard.url}/try`);
    await page.locator('[data-testid="connect-dev-0"]').click();
    await expect
      .poll(() => page.locator('[data-testid="wallet"]').getAttribute("data-address"), { timeout: 10_000 })
      .toBe(privateKeyToAccount(KEYS.browser).address);
    await expect
      .poll(() => page.locator('[data-testid="balance"]').getAttribute("data-value"), { timeout: 10_000 })
      .toBe(parseEther("10000").toString());
    await page.locator('[data-testid="create-session"] button[type="submit"]').click();
    const ready = page.locator('[data-testid="session-ready"]');
    await ready.waitFor({ timeout: 60_000 });
    const sessionId = Number(await ready.getAttribute("data-session-id"));
    expect(sessionId).toBeGreaterThan(1); // the router's house session is #1
    await page.locator('[data-testid="prompt"]').fill("Once upon a time, there was a little girl named Lily. She");
    // Streaming: text is on the page before the final receipt (which waits for the task to settle on chain).
    const partial = page.waitForFunction(
      `(() => {
        const out = document.querySelector('[data-testid="stream-output"]');
        const text = document.querySelector('[data-testid="stream-text"]');
        return out?.getAttribute("data-done") === "false" && (text?.textContent ?? "").length > 0;
      })()`,
      null,
      { timeout: 60_000, polling: "raf" },
    );
    await page.locator('[data-testid="send-prompt"]').click();
    await partial;
    await expect
      .poll(() => page.locator('[data-testid="stream-output"]').getAttribute("data-done"), { timeout: 90_000 })
      .toBe("true");
    const streamed = (await page.locator('[data-testid="stream-text"]').textContent()) ?? "";
    expect(streamed.length).toBeGreaterThan(0);
    expect(sse[0]).toMatch(/text\/event-stream/);
    const taskId = BigInt((await page.locator('[data-testid="stream-task"]').getAttribute("data-task-id")) ?? "0");
    expect(taskId >> 32n).toBe(BigInt(sessionId));
    await expect(page.locator('[data-testid="stream-task"]').textContent()).resolves.toMatch(/Finalized/);
    await shot("try-it");

    // The explorer: the task appears once the indexer has it; verify hashes the IPFS bytes against the chain.
    await page.locator('[data-testid="stream-task"] a').last().click();
    await expect
      .poll(() => page.locator('[data-testid="stat-task-status"]').getAttribute("data-value"), { timeout: 30_000 })
      .toBe("Finalized");
    const timeline = await page.locator('[data-testid="timeline"] li').allTextContents();
    expect(timeline[0]).toMatch(/Submitted/);
    expect(timeline.some((t) => /Committed slot 0/.test(t))).toBe(true);
    expect(timeline.some((t) => /Revealed slot 0/.test(t))).toBe(true);
    expect(timeline.at(-1)).toMatch(/Finalized/);
    const miner = page.locator('[data-testid="task-miners"] tbody tr').first();
    expect(await miner.getAttribute("data-outcome")).toBe("Accepted");
    expect(BigInt((await miner.getAttribute("data-payout")) ?? "0")).toBeGreaterThan(0n);
    await expect
      .poll(() => page.locator('[data-testid="prompt-text"]').textContent(), { timeout: 10_000 })
      .toBe("Once upon a time, there was a little girl named Lily. She");
    await page.locator('[data-testid="verify-button"]').click();
    const result = page.locator('[data-testid="verify-result"]');
    await result.waitFor({ timeout: 20_000 });
    expect(await result.getAttribute("data-valid")).toBe("true");
    expect(await page.locator('[data-testid="verified-text"]').textContent()).toBe(streamed);
    await shot("task-verified");
    // Search by session id finds the session with the task.
    await page.locator('input[aria-label^="Search"]').fill(String(sessionId));
    await page.locator("search form button").click();
    await page.locator(`[data-testid="session-tasks"] tr[data-task-id="${taskId}"]`).waitFor({ timeout: 10_000 });
    expect(await figure("session-spent")).not.toBe("0");
    await shot("session");
  });

  it("a task nobody takes fails (NoMiners): the failure figures, chart and timeline follow the indexer", async () => {
    const client = createWalletClient({
      account: privateKeyToAccount(KEYS.client),
      chain: chain(),
      transport: http(anvil.rpcUrl),
    }).extend(publicActions);
    const network = deployment.network;
    // routerId 0: only the owner assigns, and it never does.
    const { sessionId } = await createSession(client, {
      network,
      token: deployment.token,
      modelId: deployment.modelId,
      deposit: parseEther("1"),
      maxTokens: 32,
      windows: { precommit: 30, reveal: 30, attest: 30 },
    });
    const { taskId } = await submitTask(client, { network, sessionId, prompt: "Nobody answers", store });
    await client.request({ method: "evm_increaseTime" as never, params: [31] as never });
    await client.request({ method: "evm_mine" as never, params: [] as never });
    const hash = await client.writeContract({
      address: network,
      abi: iCorNetworkAbi,
      functionName: "expire",
      args: [taskId, 0],
    });
    expect((await client.waitForTransactionReceipt({ hash })).status).toBe("success");
    await indexerCaughtUp();
    const { networkStats } = await graphql<{ networkStats: { items: { tasksFailed: number }[] } }>(
      ponder.url,
      "{ networkStats(where: { chainId: 31337 }) { items { tasksFailed } } }",
    );
    expect(networkStats.items[0]?.tasksFailed).toBe(1);
    await page.goto(`${dashboard.url}/`);
    await expect.poll(() => figure("tasks-failed"), { timeout: 15_000 }).toBe("1");
    await page.locator('[data-chart="failures by reason"] canvas').waitFor({ timeout: 15_000 });
    await page.goto(`${dashboard.url}/tasks/${taskId}`);
    await expect
      .poll(() => page.locator('[data-testid="stat-task-status"]').getAttribute("data-value"), { timeout: 15_000 })
      .toBe("Failed");
    const timeline = await page.locator('[data-testid="timeline"] li').allTextContents();
    expect(timeline[0]).toMatch(/Submitted/);
    expect(timeline.at(-1)).toMatch(/Failed: NoMiners.*refund 0\.0032 COR/);
    expect(await page.locator('[data-testid="verify-button"]').count()).toBe(0); // nothing to verify
    await shot("task-failed");
  });

  it("unknown ids, a down indexer and a down chain show readable states, never a blank page", async () => {
    await page.goto(`${dashboard.url}/tasks/${(999n << 32n) | 1n}`);
    await page.locator('[data-state="not-found"]').waitFor({ timeout: 15_000 });
    expect(await page.locator('[data-state="not-found"]').textContent()).toMatch(/Task 999\/1 .*not found/);
    await page.goto(`${dashboard.url}/tasks/banana`);
    await page.locator('[data-state="not-found"]').waitFor();
    await shot("task-not-found");

    const deadPort = await freePort();
    const broken = await startDashboard({
      distDir: dist,
      upstreams: { rpcUrl: `http://127.0.0.1:${deadPort}`, indexerUrl: `http://127.0.0.1:${deadPort}`, routerUrl },
      deployment: { ...deployment },
      refreshMs: 1000,
    });
    try {
      await page.goto(`${broken.url}/`);
      const error = page.locator('[data-state="error"]').first();
      await error.waitFor({ timeout: 20_000 });
      expect(await error.textContent()).toMatch(/The indexer is unreachable/);
      await expect
        .poll(() => page.locator('[data-health="chain"]').textContent(), { timeout: 20_000 })
        .toMatch(/unreachable/);
      await expect
        .poll(() => page.locator('[data-health="indexer"]').textContent(), { timeout: 20_000 })
        .toMatch(/unreachable/);
      expect(await page.locator("main").textContent()).not.toMatch(/at \w+ \(|TypeError|stack/);
      await shot("indexer-and-chain-down");
    } finally {
      await broken.stop();
    }
  });

  it("is readable on a phone: no horizontal overflow of the page", async () => {
    const phone = await context.newPage();
    await phone.setViewportSize({ width: 390, height: 844 });
    for (const path of ["/", "/miners", "/tasks", "/try"]) {
      await phone.goto(`${dashboard.url}${path}`);
      await phone.locator("main h1").first().waitFor({ timeout: 15_000 });
      await phone.waitForTimeout(300);
      const overflow = (await phone.evaluate("document.documentElement.scrollWidth - window.innerWidth")) as number;
      expect(overflow, path).toBeLessThanOrEqual(0);
      await shot(`phone${path === "/" ? "-overview" : path.replace("/", "-")}`, phone);
    }
    await phone.close();
  });
});
