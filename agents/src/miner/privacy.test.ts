import { mkdtempSync, readdirSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import {
  contentHash,
  EnvelopeTamperedError,
  generateEncryptionKeyPair,
  grantTaskKey,
  InvalidEnvelopeError,
  MissingWrappedKeyError,
  openFrame,
  openResult,
  sealPrompt,
  streamKeyOf,
  type TaskKey,
} from "@cor-network/sdk";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startHttpServer } from "../shared/health.ts";
import { createLogger } from "../shared/logger.ts";
import { createMinerPrivacy } from "./privacy.ts";

// The miner's key-grant endpoint and prompt/result handling, on a real HTTP server with real envelopes.

process.env.COR_LOG_LEVEL = "silent";
const NODE = 2;
const minerKey = generateEncryptionKeyPair();
const clientKey = generateEncryptionKeyPair();
const privacy = createMinerPrivacy({ keys: { keys: [minerKey] }, logger: createLogger("test"), keyWaitMs: 1500 });
privacy.setNodeId(NODE);
let url: string;
let close: () => Promise<void>;
const text = "Once upon a time, a private prompt";
const plaintext = new TextEncoder().encode(text);
let envelope: Uint8Array;
let taskKey: TaskKey;

const post = (taskId: bigint | string, body: Uint8Array) =>
  fetch(`${url}/v1/tasks/${taskId}/key`, { method: "POST", body: body as Uint8Array<ArrayBuffer> });

beforeAll(async () => {
  const http = await startHttpServer({
    port: 0,
    health: () => ({ ready: true }),
    handler: (req, res) => {
      if (!privacy.handle(req, res)) res.writeHead(404).end();
    },
  });
  url = `http://127.0.0.1:${http.port}`;
  close = http.close;
  ({ envelope, taskKey } = await sealPrompt({
    plaintext,
    sessionId: 3,
    recipients: [{ nodeId: 0, publicKey: clientKey.publicKey }],
  }));
});
afterAll(() => close());

describe("miner key grants (POST /v1/tasks/:id/key)", () => {
  it("a prompt waits for its grant, then opens and checks the on-chain hash", async () => {
    const reading = privacy.readPrompt({
      taskId: 7n,
      sessionId: 3,
      bytes: envelope,
      promptHash: contentHash(plaintext),
    });
    await new Promise((r) => setTimeout(r, 200));
    const grant = await grantTaskKey({
      taskKey,
      taskId: 7n,
      recipients: [{ nodeId: NODE, publicKey: minerKey.publicKey }],
    });
    const res = await post(7n, grant);
    expect(res.status).toBe(202);
    const opened = await reading;
    expect(opened.text).toBe(text);
    // Result and stream frames are readable by the client, which holds the task key.
    const sealed = privacy.storedResult(7n, opened.taskKey, new TextEncoder().encode("The end."));
    expect(new TextDecoder().decode(openResult({ taskKey, taskId: 7n, envelope: sealed }).plaintext)).toBe("The end.");
    const piece = privacy.streamedPiece(7n, opened.taskKey, 0, " word");
    expect(piece.startsWith("enc:")).toBe(true);
    const frame = Buffer.from(piece.slice(4), "base64");
    expect(new TextDecoder().decode(openFrame(streamKeyOf(taskKey, 7n, NODE), 0, frame))).toBe(" word");
  });

  it("no grant within the wait → MissingWrappedKeyError; a changed envelope → EnvelopeTamperedError; a plaintext prompt in an encrypted session → InvalidEnvelopeError", async () => {
    await expect(
      privacy.readPrompt({ taskId: 8n, sessionId: 3, bytes: envelope, promptHash: contentHash(plaintext) }),
    ).rejects.toBeInstanceOf(MissingWrappedKeyError);
    await post(
      9n,
      await grantTaskKey({ taskKey, taskId: 9n, recipients: [{ nodeId: NODE, publicKey: minerKey.publicKey }] }),
    );
    await expect(
      privacy.readPrompt({ taskId: 9n, sessionId: 3, bytes: envelope, promptHash: contentHash("another prompt") }),
    ).rejects.toBeInstanceOf(EnvelopeTamperedError);
    const changed = envelope.slice();
    changed[changed.length - 1] ^= 1;
    await expect(
      privacy.readPrompt({ taskId: 9n, sessionId: 3, bytes: changed, promptHash: contentHash(plaintext) }),
    ).rejects.toBeInstanceOf(EnvelopeTamperedError);
    await expect(
      privacy.readPrompt({ taskId: 9n, sessionId: 4, bytes: envelope, promptHash: contentHash(plaintext) }),
    ).rejects.toBeInstanceOf(EnvelopeTamperedError);
    await expect(
      privacy.readPrompt({
        taskId: 9n,
        sessionId: 3,
        bytes: plaintext,
        promptHash: contentHash(plaintext),
        sessionEncrypted: true,
      }),
    ).rejects.toBeInstanceOf(InvalidEnvelopeError);
    expect(
      (await privacy.readPrompt({ taskId: 9n, sessionId: 3, bytes: plaintext, promptHash: contentHash(plaintext) }))
        .text,
    ).toBe(text);
  });

  it("grants survive a restart (kept in the grant directory) and are removed once the task settles", async () => {
    const dir = mkdtempSync(join(tmpdir(), "cor-grants-"));
    const make = () => {
      const p = createMinerPrivacy({
        keys: { keys: [minerKey] },
        logger: createLogger("test"),
        keyWaitMs: 200,
        grantDir: dir,
      });
      p.setNodeId(NODE);
      return p;
    };
    const first = make();
    const server = await startHttpServer({
      port: 0,
      health: () => ({ ready: true }),
      handler: (req, res) => void first.handle(req, res),
    });
    const grant = await grantTaskKey({
      taskKey,
      taskId: 11n,
      recipients: [{ nodeId: NODE, publicKey: minerKey.publicKey }],
    });
    expect(
      (
        await fetch(`http://127.0.0.1:${server.port}/v1/tasks/11/key`, {
          method: "POST",
          body: grant as Uint8Array<ArrayBuffer>,
        })
      ).status,
    ).toBe(202);
    await server.close();
    const restarted = make();
    const read = () =>
      restarted.readPrompt({ taskId: 11n, sessionId: 3, bytes: envelope, promptHash: contentHash(plaintext) });
    expect((await read()).text).toBe(text);
    restarted.forget("11");
    expect(readdirSync(dir)).toEqual([]);
    await expect(
      make().readPrompt({ taskId: 11n, sessionId: 3, bytes: envelope, promptHash: contentHash(plaintext) }),
    ).rejects.toBeInstanceOf(MissingWrappedKeyError);
  });

  it("bad grants get OpenAI-shaped 4xx errors", async () => {
    const other = await grantTaskKey({
      taskKey,
      taskId: 5n,
      recipients: [{ nodeId: NODE + 1, publicKey: minerKey.publicKey }],
    });
    const stale = await grantTaskKey({
      taskKey,
      taskId: 5n,
      recipients: [{ nodeId: NODE, publicKey: generateEncryptionKeyPair().publicKey }],
    });
    const good = await grantTaskKey({
      taskKey,
      taskId: 5n,
      recipients: [{ nodeId: NODE, publicKey: minerKey.publicKey }],
    });
    const cases: [Response, number, string][] = [
      [await post(5n, other), 403, "not_a_recipient"],
      [await post(5n, stale), 409, "stale_recipient_key"],
      [await post(6n, good), 400, "task_mismatch"],
      [await post(5n, new TextEncoder().encode("not a grant")), 400, "invalid_grant"],
      [await post(5n, new Uint8Array(70_000)), 413, "grant_too_large"],
      [await fetch(`${url}/v1/tasks/5/key`), 405, "method_not_allowed"],
    ];
    for (const [res, status, code] of cases) {
      expect(res.status).toBe(status);
      expect(((await res.json()) as { error: { code: string } }).error.code).toBe(code);
    }
    expect((await fetch(`${url}/v1/tasks/x/key`, { method: "POST" })).status).toBe(404);
  });
});
