import { existsSync } from "node:fs";
import { mkdtemp, rm } from "node:fs/promises";
import { createServer, type IncomingMessage, type Server, type ServerResponse } from "node:http";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { computeCid } from "./cid.ts";
import { createEmbeddedStore } from "./embedded.ts";
import { createKuboStore } from "./kubo.ts";
import { deterministicBytes, fingerprint } from "./testing/deterministic.ts";
import { type IpfsDaemon, startIpfsDaemon } from "./testing/ipfsDaemon.ts";
import {
  ContentNotFoundError,
  type ContentStore,
  ContentVerificationError,
  InvalidCidError,
  StorageError,
} from "./types.ts";

const MiB = 1_048_576;

// A real RPC daemon (js-ipfs 0.66, offline, loopback) against the embedded store and computeCid.
describe("kubo store against a real IPFS daemon", () => {
  let daemon: IpfsDaemon;
  let kubo: ContentStore;
  let embedded: ContentStore;
  let directory: string;

  beforeAll(async () => {
    directory = await mkdtemp(join(tmpdir(), "cor-kubo-test-"));
    [daemon, embedded] = await Promise.all([startIpfsDaemon(), createEmbeddedStore({ directory })]);
    // js-ipfs, unlike Kubo, ignores `offline` and looks for a missing block until the timeout.
    kubo = await createKuboStore({ url: daemon.apiUrl, timeoutMs: 10_000, hasTimeoutMs: 500 });
  });

  afterAll(async () => {
    await kubo?.close();
    await embedded?.close();
    await daemon?.stop();
    if (directory) await rm(directory, { recursive: true, force: true });
  });

  it("the daemon listens on loopback only", () => {
    expect(daemon.apiUrl).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/);
    expect(daemon.listenAddresses.length).toBeGreaterThan(0);
    for (const addr of daemon.listenAddresses) expect(addr).toMatch(/^\/ip4\/127\.0\.0\.1\/tcp\/\d+/);
  });

  const cases: Array<[string, number]> = [
    ["a few bytes", 5],
    ["exactly one chunk (262144 bytes)", 262_144],
    ["one chunk and one byte (262145 bytes)", 262_145],
    ["5 MiB", 5 * MiB],
    // 185 chunks: more than 174, so the root gets two children (the 174-link rebalancing).
    ["46 MiB", 46 * MiB],
  ];

  it.each(cases)(
    "%s: embedded, computeCid and kubo give one CID, and each reads it back verified",
    async (label, size) => {
      const bytes = deterministicBytes(size, label);
      const expected = await computeCid(bytes);
      const viaEmbedded = await embedded.add(bytes);
      const viaKubo = await kubo.add(bytes);
      expect(viaEmbedded).toEqual({ cid: expected, size });
      expect(viaKubo).toEqual({ cid: expected, size });
      expect(expected).toMatch(size <= 262_144 ? /^bafkrei/ : /^bafybei/);

      expect(await kubo.has(expected)).toBe(true);
      expect(fingerprint(await kubo.get(expected))).toBe(fingerprint(bytes));
      expect(fingerprint(await embedded.get(expected))).toBe(fingerprint(bytes));
    },
  );

  it("reads known Kubo CIDs it stored", async () => {
    expect((await kubo.add("hello world")).cid).toBe("bafkreifzjut3te2nhyekklss27nh3k72ysco7y32koao5eei66wof36n5e");
    expect((await kubo.add("")).cid).toBe("bafkreihdwdcefgh4dqkjv67uzcmw7ojee6xedzdetojuzjevtenxquvyku");
    const text = new TextDecoder().decode(
      await kubo.get("bafkreifzjut3te2nhyekklss27nh3k72ysco7y32koao5eei66wof36n5e"),
    );
    expect(text).toBe("hello world");
    expect(await kubo.get("bafkreihdwdcefgh4dqkjv67uzcmw7ojee6xedzdetojuzjevtenxquvyku")).toEqual(new Uint8Array(0));
  });

  it("fails with ContentNotFoundError within the timeout for a CID nobody has", async () => {
    const missing = await computeCid("no daemon has this content");
    expect(await kubo.has(missing)).toBe(false);
    const started = performance.now();
    const err = await kubo.get(missing, { timeoutMs: 1_500 }).catch((e: unknown) => e);
    const elapsed = performance.now() - started;
    expect(err).toBeInstanceOf(ContentNotFoundError);
    expect((err as ContentNotFoundError).retryable).toBe(true);
    expect((err as ContentNotFoundError).timeoutMs).toBe(1_500);
    expect(elapsed).toBeGreaterThanOrEqual(1_000);
    // Bounded by the timeout (plus scheduling slack on a loaded machine), never the 10 s default.
    expect(elapsed).toBeLessThan(4_000);
  });

  it("rejects invalid CIDs without asking the daemon", async () => {
    await expect(kubo.get("not-a-cid")).rejects.toBeInstanceOf(InvalidCidError);
    await expect(kubo.has("QmUbBALi174SnogsUzLpYbD4xPiBSFANF4iztWCsHbMKh2")).rejects.toBeInstanceOf(InvalidCidError);
  });

  // Last: the shared daemon is stopped here (afterAll's stop() is then a no-op).
  it("stop() ends the daemon and removes its temporary repo", async () => {
    expect(existsSync(daemon.repoDir)).toBe(true);
    await daemon.stop();
    await daemon.stop(); // idempotent
    expect(existsSync(daemon.repoDir)).toBe(false);
    expect(() => process.kill(daemon.pid, 0)).toThrow();
    await expect(
      fetch(`${daemon.apiUrl}/api/v0/id`, { method: "POST", signal: AbortSignal.timeout(2_000) }),
    ).rejects.toThrow();
  });
});

describe("kubo store without a daemon", () => {
  it("reports an unreachable API as a retryable StorageError", async () => {
    // Port 9 (discard) on loopback: nothing listens there.
    const store = await createKuboStore({ url: "http://127.0.0.1:9", timeoutMs: 2_000 });
    const err = await store.add("x").catch((e: unknown) => e);
    expect(err).toBeInstanceOf(StorageError);
    expect((err as StorageError).retryable).toBe(true);
    expect((err as StorageError).shortMessage).toMatch(/unreachable/);
    await store.close();
  });

  it("rejects a malformed API URL", async () => {
    await expect(createKuboStore({ url: "not a url" })).rejects.toBeInstanceOf(StorageError);
  });
});

// Kubo's own answers, which the js-ipfs daemon does not give: a scripted RPC server on loopback.
describe("kubo store against Kubo's error answers", () => {
  let server: Server;
  let url: string;
  let handler: (req: IncomingMessage, res: ServerResponse) => void = (_req, res) => res.end();
  const requests: URL[] = [];
  const kuboError = (res: ServerResponse, message: string) => {
    res.writeHead(500, { "content-type": "application/json" });
    res.end(JSON.stringify({ Message: message, Code: 0, Type: "error" }));
  };

  beforeAll(async () => {
    server = createServer((req, res) => {
      requests.push(new URL(req.url ?? "/", "http://127.0.0.1"));
      req.resume();
      req.on("end", () => handler(req, res));
    });
    await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
    const address = server.address();
    if (address === null || typeof address === "string") throw new Error("no port");
    url = `http://127.0.0.1:${address.port}`;
  });
  afterAll(async () => {
    await new Promise<void>((resolve) => server.close(() => resolve()));
  });

  it("sends Kubo's add options and rejects a daemon whose CID differs from ipfs add --cid-version 1", async () => {
    const store = await createKuboStore({ url: `${url}/api/v0/` });
    handler = (_req, res) => {
      res.end(
        `${JSON.stringify({ Name: "data", Hash: "bafkreihdwdcefgh4dqkjv67uzcmw7ojee6xedzdetojuzjevtenxquvyku", Size: "0" })}\n`,
      );
    };
    const err = await store.add("not empty").catch((e: unknown) => e);
    expect(err).toBeInstanceOf(ContentVerificationError);
    expect((err as ContentVerificationError).cid).toBe(await computeCid("not empty"));
    const add = requests.at(-1);
    expect(add?.pathname).toBe("/api/v0/add");
    expect(Object.fromEntries(add?.searchParams ?? [])).toMatchObject({
      "cid-version": "1",
      "raw-leaves": "true",
      chunker: "size-262144",
      "max-file-links": "174",
      hash: "sha2-256",
      trickle: "false",
      pin: "true",
    });
  });

  it("maps Kubo's 'not found locally (offline)' to has() = false and asks offline", async () => {
    const store = await createKuboStore({ url });
    const cid = await computeCid("absent");
    handler = (_req, res) => kuboError(res, `block was not found locally (offline): ipld: could not find ${cid}`);
    expect(await store.has(cid)).toBe(false);
    expect(requests.at(-1)?.pathname).toBe("/api/v0/block/stat");
    expect(requests.at(-1)?.searchParams.get("offline")).toBe("true");
    handler = (_req, res) => res.end(JSON.stringify({ Key: cid, Size: 6 }));
    expect(await store.has(cid)).toBe(true);
  });

  it("maps Kubo's 'context deadline exceeded' to ContentNotFoundError and passes a timeout to the daemon", async () => {
    const store = await createKuboStore({ url, timeoutMs: 5_000 });
    handler = (_req, res) => kuboError(res, "context deadline exceeded");
    const cid = await computeCid("slow");
    await expect(store.get(cid, { timeoutMs: 3_000 })).rejects.toBeInstanceOf(ContentNotFoundError);
    expect(requests.at(-1)?.pathname).toBe("/api/v0/cat");
    expect(requests.at(-1)?.searchParams.get("arg")).toBe(cid);
    expect(requests.at(-1)?.searchParams.get("timeout")).toBe("4000ms");
  });

  it("times out a daemon that never answers, and rejects bytes that do not match the CID", async () => {
    const store = await createKuboStore({ url });
    const cid = await computeCid("expected");
    handler = () => {}; // never answers
    const started = performance.now();
    await expect(store.get(cid, { timeoutMs: 300 })).rejects.toBeInstanceOf(ContentNotFoundError);
    expect(performance.now() - started).toBeLessThan(2_000);
    handler = (_req, res) => res.end("tampered");
    const err = await store.get(cid).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(ContentVerificationError);
    expect((err as ContentVerificationError).actualCid).toBe(await computeCid("tampered"));
  });

  it("reports other daemon errors as StorageError", async () => {
    const store = await createKuboStore({ url });
    handler = (_req, res) => kuboError(res, "merkledag: not a file");
    const err = await store.get(await computeCid("x")).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(StorageError);
    expect(err).not.toBeInstanceOf(ContentNotFoundError);
    expect((err as StorageError).details).toContain("not a file");
  });
});
