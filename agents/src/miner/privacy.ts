import { mkdirSync, readdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import type { IncomingMessage, ServerResponse } from "node:http";
import { join } from "node:path";
import {
  contentHash,
  type EncryptionKeys,
  EnvelopeTamperedError,
  isEncryptedPrompt,
  MissingWrappedKeyError,
  openAssignedPrompt,
  parseGrant,
  BaseError as SdkError,
  StaleRecipientKeyError,
  sealFrame,
  sealResult,
  streamKeyOf,
  type TaskKey,
} from "@cor-network/sdk";
import type { Hex } from "viem";
import type { Logger } from "../shared/logger.ts";

const GRANT_ROUTE = /^\/v1\/tasks\/(\d{1,78})\/key$/;
const MAX_GRANT_BYTES = 64 * 1024;
const MAX_GRANTS_PER_TASK = 8;
const MAX_TASKS = 10_000;

/** A task's prompt as the miner works on it; `taskKey` is set for encrypted tasks. */
export type OpenedPrompt = { text: string; taskKey: TaskKey | undefined };

/**
 * The miner's side of end-to-end encryption (docs/privacy.md): it receives key grants on
 * `POST /v1/tasks/<taskId>/key`, opens encrypted prompts (waiting up to `keyWaitMs` for a grant when the
 * envelope does not wrap the key to it), seals results and token frames under keys derived from the task key.
 * Nothing here ever turns an encrypted task into a plaintext one: an unreadable prompt is an error, so the miner
 * does not commit and the protocol reassigns the slot.
 */
export const createMinerPrivacy = (opts: {
  keys: EncryptionKeys;
  logger: Logger;
  keyWaitMs: number;
  /** Where received grants are kept (`<dataDir>/grants`), so a restarted miner still holds them; none: memory only. */
  grantDir?: string | undefined;
}) => {
  let nodeId = 0;
  const grants = new Map<string, Uint8Array[]>();
  const waiters = new Map<string, Set<() => void>>();
  const keysOf = (): EncryptionKeys => ({ nodeId, keys: opts.keys.keys });
  const { grantDir } = opts;
  if (grantDir) mkdirSync(grantDir, { recursive: true });
  const filesOf = (taskId: string) =>
    grantDir
      ? readdirSync(grantDir)
          .filter((f) => f.startsWith(`${taskId}-`))
          .map((f) => join(grantDir, f))
      : [];
  /** The grants of a task: in memory, or (after a restart) from the grant directory. */
  const grantsOf = (taskId: string): Uint8Array[] => {
    if (!grants.has(taskId) && grantDir) {
      const stored = filesOf(taskId).map((f) => new Uint8Array(readFileSync(f)));
      if (stored.length) grants.set(taskId, stored);
    }
    return grants.get(taskId) ?? [];
  };

  const addGrant = (taskId: string, grant: Uint8Array) => {
    const list = grantsOf(taskId);
    if (list.length >= MAX_GRANTS_PER_TASK) list.shift();
    list.push(grant);
    if (!grants.has(taskId) && grants.size >= MAX_TASKS) grants.delete(grants.keys().next().value as string);
    grants.set(taskId, list);
    if (grantDir) writeFileSync(join(grantDir, `${taskId}-${Date.now()}-${list.length}.grant`), grant, { mode: 0o600 });
    for (const wake of waiters.get(taskId) ?? []) wake();
  };

  const reply = (res: ServerResponse, status: number, body: unknown) => {
    res.writeHead(status, { "content-type": "application/json" });
    res.end(JSON.stringify(body));
  };
  const fail = (res: ServerResponse, status: number, code: string, message: string) =>
    reply(res, status, { error: { message, type: "invalid_request_error", code } });

  /** Handles `POST /v1/tasks/<taskId>/key`; returns false for any other request. */
  const handle = (req: IncomingMessage, res: ServerResponse): boolean => {
    const match = GRANT_ROUTE.exec(req.url ?? "");
    if (!match) return false;
    if (req.method !== "POST") {
      fail(res, 405, "method_not_allowed", "POST a key grant (application/octet-stream)");
      return true;
    }
    const chunks: Buffer[] = [];
    let size = 0;
    req.on("data", (chunk: Buffer) => {
      size += chunk.length;
      if (size > MAX_GRANT_BYTES) {
        fail(res, 413, "grant_too_large", `A key grant is at most ${MAX_GRANT_BYTES} bytes`);
        req.destroy();
      } else chunks.push(chunk);
    });
    req.on("end", () => {
      if (res.headersSent) return;
      const taskId = match[1];
      const bytes = new Uint8Array(Buffer.concat(chunks));
      try {
        const grant = parseGrant(bytes);
        if (grant.taskId.toString() !== taskId) {
          return fail(res, 400, "task_mismatch", `The grant is for task ${grant.taskId}, posted to task ${taskId}`);
        }
        const held = opts.keys.keys.map((k) => k.publicKey.toLowerCase());
        const mine = grant.recipients.filter((r) => r.nodeId === nodeId);
        if (mine.length === 0) {
          return fail(res, 403, "not_a_recipient", `The grant wraps no key to node ${nodeId}`);
        }
        if (!mine.some((r) => held.includes(r.publicKey.toLowerCase()))) {
          return fail(
            res,
            409,
            "stale_recipient_key",
            `The grant wraps to a key node ${nodeId} does not hold: wrap to its current registered key`,
          );
        }
        addGrant(taskId, bytes);
        opts.logger.info(`Key grant received task=${taskId}`);
        reply(res, 202, { accepted: true, taskId });
      } catch (err) {
        fail(res, 400, "invalid_grant", err instanceof SdkError ? err.shortMessage : String(err));
      }
    });
    return true;
  };

  const waitForGrant = (taskId: string, ms: number) =>
    new Promise<void>((resolve) => {
      const set = waiters.get(taskId) ?? new Set();
      waiters.set(taskId, set);
      const done = () => {
        clearTimeout(timer);
        set.delete(done);
        if (set.size === 0) waiters.delete(taskId);
        resolve();
      };
      const timer = setTimeout(done, ms);
      set.add(done);
    });

  /**
   * The prompt of a task this miner is assigned to, checked against the on-chain promptHash. An encrypted prompt
   * is opened with the node's keys and any grants; without a usable wrapped key (none, or a stale one) it waits for
   * a grant up to keyWaitMs, then throws MissingWrappedKeyError / StaleRecipientKeyError. `sessionEncrypted` is the session's on-chain flag once the ABI has it.
   */
  const readPrompt = async (p: {
    taskId: bigint;
    sessionId: number;
    bytes: Uint8Array;
    promptHash: Hex;
    sessionEncrypted?: boolean | undefined;
  }): Promise<OpenedPrompt> => {
    const key = p.taskId.toString();
    if (!isEncryptedPrompt(p.bytes, p.sessionEncrypted)) {
      if (contentHash(p.bytes) !== p.promptHash)
        throw new EnvelopeTamperedError({
          kind: "prompt",
          taskId: p.taskId,
          details: "the prompt does not match its on-chain hash",
        });
      return { text: new TextDecoder().decode(p.bytes), taskKey: undefined };
    }
    const deadline = Date.now() + opts.keyWaitMs;
    for (;;) {
      try {
        const opened = await openAssignedPrompt({
          envelope: p.bytes,
          keys: keysOf(),
          grants: grantsOf(key),
          sessionId: p.sessionId,
          taskId: p.taskId,
        });
        if (contentHash(opened.plaintext) !== p.promptHash) {
          throw new EnvelopeTamperedError({
            kind: "prompt",
            taskId: p.taskId,
            details: "the decrypted prompt does not match the on-chain promptHash",
          });
        }
        return { text: new TextDecoder().decode(opened.plaintext), taskKey: opened.taskKey };
      } catch (err) {
        const left = deadline - Date.now();
        // No key, or only one under a key this node has dropped: a (re-)grant from the client can still come.
        const waitable = err instanceof MissingWrappedKeyError || err instanceof StaleRecipientKeyError;
        if (!waitable || left <= 0) throw err;
        if (err instanceof StaleRecipientKeyError)
          opts.logger.warn(`${err.shortMessage} Waiting for a grant to the current key.`);
        opts.logger.debug(`Waiting for a key grant task=${key} (${left}ms left)`);
        await waitForGrant(key, left);
      }
    }
  };

  return {
    handle,
    readPrompt,
    /** Sets the node id once registered (entries and grants name the node). */
    setNodeId: (id: number) => {
      nodeId = id;
    },
    /** The result bytes to store: the plaintext for a plaintext task, a result envelope for an encrypted one. */
    storedResult: (taskId: bigint, taskKey: TaskKey | undefined, plaintext: Uint8Array): Uint8Array =>
      taskKey ? sealResult({ taskKey, taskId, nodeId, plaintext }) : plaintext,
    /** A token piece as streamed: the text, or (encrypted task) `enc:` + base64 of a frame sealed under the task's stream key. */
    streamedPiece: (taskId: bigint, taskKey: TaskKey | undefined, index: number, piece: string): string =>
      taskKey
        ? `enc:${Buffer.from(sealFrame(streamKeyOf(taskKey, taskId, nodeId), index, piece)).toString("base64")}`
        : piece,
    /** Drops a settled task's grants. */
    forget: (taskId: string) => {
      grants.delete(taskId);
      for (const f of filesOf(taskId)) rmSync(f, { force: true });
    },
  };
};
export type MinerPrivacy = ReturnType<typeof createMinerPrivacy>;
