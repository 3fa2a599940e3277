/**
 * The runtime configuration the app reads from `config.json` next to index.html, so one build works against any
 * deployment. Shared by the browser app (validates what it fetched) and the Node server (validates what it
 * serves). URLs may be relative to the page (`/rpc`, the server's same-origin proxies) or absolute (a
 * deployment whose RPC, indexer and router send CORS headers).
 */

export type Address = `0x${string}`;
export type Hex = `0x${string}`;

export type DashboardConfig = {
  /** Chain id of the deployment. */
  chainId: number;
  /** Display name of the chain. */
  chainName: string;
  /** JSON-RPC endpoint (HTTP). */
  rpcUrl: string;
  /** Ponder indexer base URL (serves /graphql, /sql/db, /stats). */
  indexerUrl: string;
  /** Router base URL (OpenAI + Cortensor-style API); null = "Try it" is unavailable. */
  routerUrl: string | null;
  /** HTTP route that returns the raw bytes of a CID: `${ipfsGatewayUrl}/<cid>`; null = no "verify". */
  ipfsGatewayUrl: string | null;
  deployment: {
    network: Address;
    token: Address;
    modelId: Hex;
    modelName: string;
    startBlock: number;
  };
  /**
   * Unlocked accounts of a development chain (anvil) offered as wallets next to an injected wallet; the RPC
   * signs for them (eth_sendTransaction). Empty on public chains.
   */
  devAccounts: Address[];
  /** How often live views refetch, in ms. */
  refreshMs: number;
};

const isAddress = (v: unknown): v is Address => typeof v === "string" && /^0x[0-9a-fA-F]{40}$/.test(v);
const isHex32 = (v: unknown): v is Hex => typeof v === "string" && /^0x[0-9a-fA-F]{64}$/.test(v);
const isUrl = (v: unknown): v is string => typeof v === "string" && /^(https?:\/\/|\/)/.test(v);

/** Checks a parsed config.json; throws one readable message listing every bad field. */
export function parseDashboardConfig(raw: unknown): DashboardConfig {
  const problems: string[] = [];
  const o = (raw ?? {}) as Record<string, unknown>;
  const d = (o.deployment ?? {}) as Record<string, unknown>;
  if (typeof raw !== "object" || raw === null) throw new Error("config.json must be a JSON object");
  if (!Number.isInteger(o.chainId) || (o.chainId as number) <= 0) problems.push("chainId must be a positive integer");
  if (!isUrl(o.rpcUrl)) problems.push("rpcUrl must be an http(s) URL or a path");
  if (!isUrl(o.indexerUrl)) problems.push("indexerUrl must be an http(s) URL or a path");
  if (o.routerUrl != null && !isUrl(o.routerUrl)) problems.push("routerUrl must be an http(s) URL, a path or null");
  if (o.ipfsGatewayUrl != null && !isUrl(o.ipfsGatewayUrl))
    problems.push("ipfsGatewayUrl must be a URL, a path or null");
  if (!isAddress(d.network)) problems.push("deployment.network must be an address");
  if (!isAddress(d.token)) problems.push("deployment.token must be an address");
  if (!isHex32(d.modelId)) problems.push("deployment.modelId must be a 32-byte hex");
  const devAccounts = o.devAccounts ?? [];
  if (!Array.isArray(devAccounts) || !devAccounts.every(isAddress))
    problems.push("devAccounts must be a list of addresses");
  if (problems.length) throw new Error(`config.json: ${problems.join("; ")}`);
  return {
    chainId: o.chainId as number,
    chainName: typeof o.chainName === "string" ? o.chainName : `chain ${o.chainId}`,
    rpcUrl: o.rpcUrl as string,
    indexerUrl: o.indexerUrl as string,
    routerUrl: (o.routerUrl as string | undefined) ?? null,
    ipfsGatewayUrl: (o.ipfsGatewayUrl as string | undefined) ?? null,
    deployment: {
      network: d.network as Address,
      token: d.token as Address,
      modelId: d.modelId as Hex,
      modelName: typeof d.modelName === "string" ? d.modelName : "model",
      startBlock: Number(d.startBlock ?? 0),
    },
    devAccounts: devAccounts as Address[],
    refreshMs: Number.isInteger(o.refreshMs) && (o.refreshMs as number) >= 500 ? (o.refreshMs as number) : 3000,
  };
}
