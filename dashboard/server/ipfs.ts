/**
 * A minimal read-only IPFS gateway route: `GET /ipfs/<cid>` answers the raw bytes of a file from the network's
 * content store (the embedded store of a local network, or a Kubo node). The browser hashes the bytes itself
 * and compares them with the result hash on chain, so this route is trusted for availability only, never for
 * integrity. Kept apart from the proxy so a deployment with a public gateway can drop it.
 */
import { Hono } from "hono";
import {
  ContentNotFoundError,
  type ContentStore,
  ContentVerificationError,
  InvalidCidError,
} from "../../sdk/src/storage/index.ts";

/** Longest file the route serves (results are model outputs: a few KB). */
export const MAX_GATEWAY_BYTES = 4 * 1024 * 1024;

const problem = (message: string, code: string) => ({ error: { message, type: "invalid_request_error", code } });

export function ipfsGateway(store: ContentStore, opts: { timeoutMs?: number } = {}): Hono {
  const app = new Hono();
  app.get("/:cid", async (c) => {
    const cid = c.req.param("cid");
    try {
      const bytes = await store.get(cid, { timeoutMs: opts.timeoutMs ?? 10_000 });
      if (bytes.byteLength > MAX_GATEWAY_BYTES) {
        return c.json(
          problem(`${cid} is ${bytes.byteLength} bytes; this gateway serves at most ${MAX_GATEWAY_BYTES}`, "too_large"),
          413,
        );
      }
      return c.body(bytes as Uint8Array<ArrayBuffer>, 200, {
        "content-type": "application/octet-stream",
        "cache-control": "public, max-age=31536000, immutable",
        "x-ipfs-path": `/ipfs/${cid}`,
      });
    } catch (err) {
      if (err instanceof InvalidCidError) return c.json(problem(`'${cid}' is not a CID`, "invalid_cid"), 400);
      if (err instanceof ContentNotFoundError)
        return c.json(problem(`${cid} was not found in the content store`, "cid_not_found"), 404);
      if (err instanceof ContentVerificationError)
        return c.json(problem(`${cid}: stored blocks do not match the CID`, "corrupt"), 502);
      throw err;
    }
  });
  return app;
}
