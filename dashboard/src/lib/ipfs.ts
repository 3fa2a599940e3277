import type { DashboardConfig } from "../runtimeConfig.ts";
import { absoluteUrl } from "./indexer.ts";

/** Longest prompt shown inline; longer ones are cut with a note. */
export const PROMPT_PREVIEW_BYTES = 8192;

/** Raw bytes of a CID from the configured gateway (`${ipfsGatewayUrl}/<cid>`); errors in one sentence. */
export async function fetchCid(config: Pick<DashboardConfig, "ipfsGatewayUrl">, cid: string): Promise<Uint8Array> {
  if (!config.ipfsGatewayUrl) throw new Error("This deployment has no IPFS gateway configured (ipfsGatewayUrl).");
  let res: Response;
  try {
    res = await fetch(`${absoluteUrl(config.ipfsGatewayUrl)}/${encodeURIComponent(cid)}`);
  } catch (err) {
    throw new Error(`The IPFS gateway does not answer (${(err as Error).message}).`);
  }
  if (!res.ok) {
    const body = (await res.json().catch(() => null)) as { error?: { message?: string } } | null;
    throw new Error(`IPFS gateway: ${body?.error?.message ?? `HTTP ${res.status}`}`);
  }
  return new Uint8Array(await res.arrayBuffer());
}
