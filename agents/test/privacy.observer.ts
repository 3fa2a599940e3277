import { readdirSync, readFileSync, statSync } from "node:fs";
import { join } from "node:path";
import type { PublicClient } from "viem";
import WebSocket from "ws";

/**
 * The observer of the privacy tests (issue 10): everything someone outside the task's key holders can see —
 * every block of the IPFS store, the whole chain (transaction inputs, logs), the agents' logs, the frames on every
 * WebSocket and every HTTP request and response made with fetch (JSON-RPC, key grants) — searched for plaintext.
 */
export type Observer = {
  /** Captured network traffic so far. */
  traffic: () => Buffer;
  /** Where `needle` (raw UTF-8, or hex) was seen; [] when nowhere. */
  find: (needle: string) => Promise<string[]>;
  stop: () => void;
};

const filesUnder = (dir: string): string[] => {
  const out: string[] = [];
  for (const name of readdirSync(dir)) {
    const path = join(dir, name);
    if (statSync(path).isDirectory()) out.push(...filesUnder(path));
    else out.push(path);
  }
  return out;
};

export const startObserver = (opts: {
  ipfsDir: string;
  logFile: string;
  publicClient: PublicClient;
  /** URL prefixes whose HTTP traffic is outside the observed network (e.g. a client's own call to its router). */
  trusted?: () => string[];
}): Observer => {
  const chunks: Buffer[] = [];
  const record = (data: unknown) => {
    if (typeof data === "string") chunks.push(Buffer.from(data));
    else if (data instanceof Uint8Array) chunks.push(Buffer.from(data));
    else if (data instanceof ArrayBuffer) chunks.push(Buffer.from(new Uint8Array(data)));
    else if (Array.isArray(data)) for (const d of data) record(d);
  };
  const send = WebSocket.prototype.send;
  WebSocket.prototype.send = function (this: WebSocket, data: unknown, ...rest: unknown[]) {
    record(data);
    return (send as (...a: unknown[]) => void).call(this, data, ...rest);
  } as typeof send;
  const realFetch = globalThis.fetch;
  globalThis.fetch = async (input, init) => {
    const url = typeof input === "string" ? input : input instanceof URL ? input.href : input.url;
    const trusted = (opts.trusted?.() ?? []).some((prefix) => url.startsWith(prefix));
    if (!trusted) record(init?.body);
    const res = await realFetch(input, init);
    if (!trusted) record(new Uint8Array(await res.clone().arrayBuffer()));
    return res;
  };

  const chain = async (): Promise<Buffer> => {
    const head = await opts.publicClient.getBlockNumber({ cacheTime: 0 });
    const parts: Buffer[] = [];
    for (let n = 0n; n <= head; n++) {
      const block = await opts.publicClient.getBlock({ blockNumber: n, includeTransactions: true });
      for (const tx of block.transactions) parts.push(Buffer.from(tx.input.slice(2), "hex"));
    }
    const logs = await opts.publicClient.getLogs({ fromBlock: 0n, toBlock: head });
    for (const log of logs) {
      parts.push(Buffer.from(log.data.slice(2), "hex"));
      for (const t of log.topics) if (t) parts.push(Buffer.from(t.slice(2), "hex"));
    }
    return Buffer.concat(parts);
  };

  return {
    traffic: () => Buffer.concat(chunks),
    find: async (needle) => {
      const forms = [Buffer.from(needle), Buffer.from(Buffer.from(needle).toString("hex"))];
      const places: [string, Buffer][] = [
        ...filesUnder(opts.ipfsDir).map((f): [string, Buffer] => [`ipfs block ${f}`, readFileSync(f)]),
        ["agent logs", readFileSync(opts.logFile)],
        ["network traffic (WebSocket frames, HTTP bodies)", Buffer.concat(chunks)],
        ["chain (transaction inputs, logs)", await chain()],
      ];
      return places.filter(([, bytes]) => forms.some((f) => bytes.includes(f))).map(([where]) => where);
    },
    stop: () => {
      WebSocket.prototype.send = send;
      globalThis.fetch = realFetch;
    },
  };
};

/** Windows of `text` long enough to be distinctive (a leak of any part of it shows up in at least one). */
export const windowsOf = (text: string, size = 16): string[] => {
  const out: string[] = [];
  for (let i = 0; i + size <= text.length; i += size / 2) out.push(text.slice(i, i + size));
  return out.length ? out : [text];
};
