import { createEmbeddedStore } from "./embedded.ts";
import { createKuboStore } from "./kubo.ts";
import type { ContentStore } from "./types.ts";

export * from "./cid.ts";
export * from "./embedded.ts";
export * from "./interface.ts";
export * from "./kubo.ts";

export interface CreateContentStoreOptions {
  /** Kubo RPC API URL (`--ipfs-api http://127.0.0.1:5001`). When set, content goes to that daemon. */
  ipfsApi?: string;
  /** Block store directory of the embedded store, used when `ipfsApi` is not set. */
  directory: string;
  /** Default timeout of `get`, in ms. Default 10 000. */
  timeoutMs?: number;
}

/** The Kubo store when `ipfsApi` is given, the embedded store in `directory` otherwise. */
export async function createContentStore(options: CreateContentStoreOptions): Promise<ContentStore> {
  const { ipfsApi, directory, timeoutMs } = options;
  if (ipfsApi !== undefined && ipfsApi !== "") return createKuboStore({ url: ipfsApi, timeoutMs });
  return createEmbeddedStore({ directory, timeoutMs });
}
