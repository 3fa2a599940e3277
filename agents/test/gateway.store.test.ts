import { execFile } from "node:child_process";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { promisify } from "node:util";
import { anvilKey, repoRoot } from "@cor-network/sdk/testing";
import { type Address, getAddress, type Hex } from "viem";
import { privateKeyToAccount } from "viem/accounts";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type Postgres, postgresAvailable, startPostgres } from "../../indexer/test/harness.ts";
import { bindSessionTypedData, findBinding, saveBinding, verifyBinding } from "../src/gateway/binding.ts";
import { type Db, openDb } from "../src/gateway/db.ts";
import { authenticate, createKey, hashKey, keyIdOf, listKeys, revokeKey } from "../src/gateway/keys.ts";
import {
  dayOf,
  rateLimitHeaders,
  reserveTokens,
  settleTokens,
  takeRequest,
  tokensUsed,
} from "../src/gateway/limits.ts";
import { beginUsage, finishUsage, getUsage, sweepStale, usageOf } from "../src/gateway/usage.ts";

// The gateway's storage on both real backends: PGlite (embedded default) and a throwaway PostgreSQL server.
// Limits are checked for atomicity under concurrency, on PostgreSQL also across separate OS processes.

const run = promisify(execFile);
let pg: Postgres | undefined;
const dirs: string[] = [];

beforeAll(async () => {
  if (postgresAvailable()) pg = await startPostgres();
}, 60_000);
afterAll(async () => {
  await pg?.stop();
  for (const d of dirs) rmSync(d, { recursive: true, force: true });
});

const backends = [
  [
    "PGlite",
    async () => {
      const dir = mkdtempSync(join(tmpdir(), "cor-gw-pglite-"));
      dirs.push(dir);
      return openDb({ dataDir: dir });
    },
  ],
  [
    "PostgreSQL",
    async () => {
      if (!pg) throw new Error("PostgreSQL is not installed (apt-get install postgresql)");
      return openDb({ databaseUrl: pg.url, dataDir: "" });
    },
  ],
] as const;

describe.each(backends)("gateway storage on %s", (backendName, open) => {
  let db: Db;
  beforeAll(async () => {
    db = await open();
  }, 60_000);
  afterAll(async () => {
    await db?.close();
  });

  it("creates keys with a cor- prefix and stores only their hash", async () => {
    const k = await createKey(db, {
      name: `alice-${backendName}`,
      rpm: 10,
      tokensPerDay: 1000,
      models: ["stories260K"],
    });
    expect(k.key).toMatch(/^cor-[0-9a-f]{12}_[A-Za-z0-9_-]{32}$/);
    expect(keyIdOf(k.key)).toBe(k.id);
    const rows = await db.query<Record<string, unknown>>("SELECT * FROM gateway_keys WHERE id = $1", [k.id]);
    expect(rows[0].hash).toBe(hashKey(k.key));
    expect(JSON.stringify(rows)).not.toContain(k.key.slice(k.key.indexOf("_") + 1)); // the secret part
    expect((await authenticate(db, k.key))?.name).toBe(`alice-${backendName}`);
    expect(await authenticate(db, `${k.key.slice(0, -1)}${k.key.endsWith("x") ? "y" : "x"}`)).toBeUndefined(); // 1 char off
    expect(await authenticate(db, "sk-not-ours")).toBeUndefined();
    expect((await listKeys(db)).map((x) => x.name)).toContain(`alice-${backendName}`);
  });

  it("refuses bad key input with one-line messages", async () => {
    await createKey(db, { name: `dup-${backendName}` });
    await expect(createKey(db, { name: `dup-${backendName}` })).rejects.toThrow(/exists already/);
    await expect(createKey(db, { name: "bad name!" })).rejects.toThrow(/name must be/);
    await expect(createKey(db, { name: "x", rpm: 0 })).rejects.toThrow(/rpm must be a positive/);
    await expect(createKey(db, { name: "y", tokensPerDay: 1.5 })).rejects.toThrow(/tokens-per-day/);
    await expect(revokeKey(db, "nobody")).rejects.toThrow(/no key named/);
  });

  it("a revoked key stops authenticating at once", async () => {
    const k = await createKey(db, { name: `revoked-${backendName}` });
    expect(await authenticate(db, k.key)).toBeDefined();
    const revoked = await revokeKey(db, k.name);
    expect(revoked.revokedAt).not.toBeNull();
    expect(await authenticate(db, k.key)).toBeUndefined();
  });

  it("requests per minute: exactly rpm of 60 concurrent requests pass, through two connections", async () => {
    const key = await createKey(db, { name: `rpm-${backendName}`, rpm: 17 });
    // A second pool on PostgreSQL; PGlite is one process by design (its directory is not shareable).
    const other = backendName === "PostgreSQL" ? await open() : db;
    const now = Date.now();
    const handles = [db, other];
    const verdicts = await Promise.all(Array.from({ length: 60 }, (_, i) => takeRequest(handles[i % 2], key, now)));
    if (other !== db) await other.close();
    expect(verdicts.filter((v) => v.ok)).toHaveLength(17);
    const refused = verdicts.find((v) => !v.ok);
    expect(refused && !refused.ok && refused.retryAfterS).toBeGreaterThan(0);
    expect(refused && !refused.ok && refused.message).toMatch(/17 requests per minute/);
    const h = rateLimitHeaders(refused ?? {});
    expect(h["x-ratelimit-limit-requests"]).toBe("17");
    expect(h["x-ratelimit-remaining-requests"]).toBe("0");
    // The next minute is a fresh window.
    expect((await takeRequest(db, key, now + 60_000)).ok).toBe(true);
  });

  it("tokens per day: reservations never exceed the budget under concurrency; settling returns the unused part", async () => {
    const key = await createKey(db, { name: `tpd-${backendName}`, tokensPerDay: 100 });
    const now = Date.now();
    const verdicts = await Promise.all(Array.from({ length: 30 }, () => reserveTokens(db, key, 16, now)));
    expect(verdicts.filter((v) => v.ok)).toHaveLength(6); // 6 × 16 = 96 ≤ 100 < 112
    expect(await tokensUsed(db, key.id, dayOf(now))).toBe(96);
    await settleTokens(db, key.id, dayOf(now), 4 - 16); // one request used 4 of its 16
    expect(await tokensUsed(db, key.id, dayOf(now))).toBe(84);
    expect((await reserveTokens(db, key, 16, now)).ok).toBe(true);
    const over = await reserveTokens(db, key, 500, now);
    expect(over.ok).toBe(false);
    expect(!over.ok && over.message).toMatch(/100 completion tokens/);
  });

  it("usage rows: pending → complete; a pending row left by a dead gateway becomes incomplete, never lost", async () => {
    const key = await createKey(db, { name: `usage-${backendName}` });
    await beginUsage(db, {
      requestId: `req_a_${backendName}`,
      keyId: key.id,
      route: "completions",
      model: "m",
      stream: false,
      reservedTokens: 8,
      gateway: "g1",
    });
    await beginUsage(db, {
      requestId: `req_b_${backendName}`,
      keyId: key.id,
      route: "completions",
      model: "m",
      stream: true,
      reservedTokens: 8,
      gateway: "g1",
    });
    await finishUsage(db, `req_a_${backendName}`, {
      state: "complete",
      status: 200,
      promptTokens: 5,
      completionTokens: 7,
      costWei: "7000",
      latencyMs: 12,
      attempts: 1,
      taskId: "42",
      router: "r1",
    });
    expect(await sweepStale(db, 60_000)).toBe(0); // nothing is stale yet
    await new Promise((r) => setTimeout(r, 20));
    expect(await sweepStale(db, 1)).toBeGreaterThanOrEqual(1);
    const b = await getUsage(db, `req_b_${backendName}`);
    expect(b?.state).toBe("incomplete");
    // A late finish does not rewrite what the sweeper decided.
    await finishUsage(db, `req_b_${backendName}`, { state: "complete", status: 200, latencyMs: 1, attempts: 1 });
    expect((await getUsage(db, `req_b_${backendName}`))?.state).toBe("incomplete");
    const { summary, rows } = await usageOf(db, key.id);
    expect(summary).toMatchObject({
      requests: 2,
      byState: { complete: 1, incomplete: 1 },
      promptTokens: 5,
      completionTokens: 7,
      costWei: "7000",
    });
    expect(rows.map((r) => r.requestId).sort()).toEqual([`req_a_${backendName}`, `req_b_${backendName}`]);
  });

  it("session bindings verify the owner's EIP-712 signature and expire", async () => {
    const owner = privateKeyToAccount(anvilKey(3));
    const stranger = privateKeyToAccount(anvilKey(4));
    const network = getAddress("0x5fbdb2315678afecb367f032d93f642f64180aa3") as Address;
    const p = {
      chainId: 31337,
      network,
      sessionId: 7n,
      keyId: "abcdefabcdef",
      expiresAt: BigInt(Math.floor(Date.now() / 1000) + 3600),
    };
    const signature = await owner.signTypedData(bindSessionTypedData(p));
    expect(await verifyBinding({ ...p, owner: owner.address, signature })).toBe(true);
    expect(await verifyBinding({ ...p, owner: stranger.address, signature })).toBe(false);
    expect(await verifyBinding({ ...p, keyId: "000000000000", owner: owner.address, signature })).toBe(false);
    expect(await verifyBinding({ ...p, owner: owner.address, signature: "0x1234" as Hex })).toBe(false);
    const forged = await stranger.signTypedData(bindSessionTypedData(p));
    expect(await verifyBinding({ ...p, owner: owner.address, signature: forged })).toBe(false);
    await saveBinding(db, {
      keyId: p.keyId,
      sessionId: 7,
      owner: owner.address,
      expiresAt: Number(p.expiresAt),
      signature,
    });
    expect(await findBinding(db, p.keyId, 7)).toMatchObject({ sessionId: 7, owner: owner.address });
    expect(await findBinding(db, p.keyId, 8)).toBeUndefined();
    expect(await findBinding(db, p.keyId, 7, Number(p.expiresAt) + 1)).toBeUndefined();
  });
});

// Separate OS processes on one PostgreSQL: the limit holds across gateway processes, not only connections.
describe.runIf(postgresAvailable())("limits across processes on one PostgreSQL", () => {
  it("3 processes × 40 concurrent requests against rpm 50 admit exactly 50", async () => {
    if (!pg) throw new Error("no PostgreSQL");
    const db = await openDb({ databaseUrl: pg.url, dataDir: "" });
    const key = await createKey(db, { name: "multi-process", rpm: 50 });
    const now = Date.now();
    const script = `
      const { openDb } = await import(${JSON.stringify(join(repoRoot(), "agents/src/gateway/db.ts"))});
      const { takeRequest } = await import(${JSON.stringify(join(repoRoot(), "agents/src/gateway/limits.ts"))});
      const db = await openDb({ databaseUrl: process.env.DATABASE_URL, dataDir: "" });
      const key = JSON.parse(process.env.KEY);
      const v = await Promise.all(Array.from({ length: 40 }, () => takeRequest(db, key, Number(process.env.NOW))));
      process.stdout.write(String(v.filter((x) => x.ok).length));
      await db.close();`;
    const env = { ...process.env, DATABASE_URL: pg.url, KEY: JSON.stringify(key), NOW: String(now) };
    const outs = await Promise.all(
      [1, 2, 3].map(() =>
        run(process.execPath, ["--conditions=cor-source", "--import", "tsx", "--input-type=module", "-e", script], {
          env,
          cwd: repoRoot(),
        }),
      ),
    );
    const admitted = outs.map((o) => Number(o.stdout));
    expect(admitted.reduce((a, b) => a + b, 0)).toBe(50);
    const [row] = await db.query<{ count: number }>("SELECT count FROM gateway_rate WHERE key_id = $1", [key.id]);
    expect(Number(row.count)).toBe(50);
    await db.close();
  }, 60_000);
});
