/**
 * Typed access to the Ponder indexer: GraphQL documents carry their result and variable types
 * (`TypedQuery<Result, Variables>`), SQL over HTTP queries carry their row type. Every failure becomes an
 * IndexerError whose `kind` the UI turns into a readable state (unreachable, HTTP error, query error).
 */
import type { DashboardConfig } from "../runtimeConfig.ts";

export type IndexerErrorKind = "unreachable" | "http" | "query";

export class IndexerError extends Error {
  override name = "IndexerError";
  constructor(
    readonly kind: IndexerErrorKind,
    message: string,
    readonly status?: number,
  ) {
    super(message);
  }
}

/** A GraphQL document tagged with its result and variables types. */
export type TypedQuery<Result, Variables extends Record<string, unknown> = Record<string, never>> = string & {
  readonly __result?: Result;
  readonly __variables?: Variables;
};

export const graphql = <Result, Variables extends Record<string, unknown> = Record<string, never>>(
  document: string,
): TypedQuery<Result, Variables> => document as TypedQuery<Result, Variables>;

/** A SQL over HTTP query tagged with its row type; `$1…` parameters. */
export type TypedSql<Row> = { text: string; readonly __row?: Row };
export const sql = <Row>(text: string): TypedSql<Row> => ({ text });

export const absoluteUrl = (url: string): string => new URL(url, window.location.origin).toString().replace(/\/+$/, "");

const request = async (url: string, init?: RequestInit): Promise<unknown> => {
  let res: Response;
  try {
    res = await fetch(url, init);
  } catch (err) {
    throw new IndexerError("unreachable", `The indexer does not answer (${(err as Error).message}).`);
  }
  const text = await res.text();
  let body: unknown;
  try {
    body = JSON.parse(text);
  } catch {
    body = undefined;
  }
  if (res.status === 502 || res.status === 503 || res.status === 504) {
    const message = (body as { error?: { message?: string } })?.error?.message;
    throw new IndexerError("unreachable", message ?? `The indexer does not answer (HTTP ${res.status}).`, res.status);
  }
  if (!res.ok && !(body as { errors?: unknown })?.errors) {
    const message = (body as { error?: string | { message?: string } })?.error;
    const detail = typeof message === "string" ? message : (message?.message ?? text.slice(0, 200));
    throw new IndexerError("http", `The indexer answered HTTP ${res.status}: ${detail}`, res.status);
  }
  return body;
};

export async function runQuery<Result, Variables extends Record<string, unknown>>(
  config: Pick<DashboardConfig, "indexerUrl">,
  query: TypedQuery<Result, Variables>,
  variables?: Variables,
): Promise<Result> {
  const body = (await request(`${absoluteUrl(config.indexerUrl)}/graphql`, {
    method: "POST",
    headers: { "content-type": "application/json", accept: "application/json" },
    body: JSON.stringify({ query, variables }),
  })) as { data?: Result; errors?: { message: string }[] };
  if (body?.errors?.length) throw new IndexerError("query", `GraphQL: ${body.errors.map((e) => e.message).join("; ")}`);
  if (!body?.data) throw new IndexerError("query", "GraphQL: the answer has no data");
  return body.data;
}

/** SQL over HTTP, the way @ponder/client sends it: GET /sql/db?sql=<superjson {sql, params}>. */
export async function runSql<Row>(
  config: Pick<DashboardConfig, "indexerUrl">,
  query: TypedSql<Row>,
  params: (string | number | boolean | null)[] = [],
): Promise<Row[]> {
  const payload = JSON.stringify({ json: { sql: query.text, params } });
  const body = (await request(`${absoluteUrl(config.indexerUrl)}/sql/db?sql=${encodeURIComponent(payload)}`)) as {
    rows?: Row[];
  };
  if (!Array.isArray(body?.rows)) throw new IndexerError("query", "SQL over HTTP: the answer has no rows");
  return body.rows;
}

/** GET a JSON route of the indexer (/stats, /status). */
export async function getJson<T>(config: Pick<DashboardConfig, "indexerUrl">, path: string): Promise<T> {
  return (await request(`${absoluteUrl(config.indexerUrl)}${path}`)) as T;
}
