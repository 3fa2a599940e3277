import { type QueryClient, type UseQueryResult, useQuery, useQueryClient } from "@tanstack/react-query";
import { createContext, useContext } from "react";
import type { CorConfig } from "../../../sdk/src/wagmi/index.ts";
import type { DashboardConfig } from "../runtimeConfig.ts";
import { getJson, runQuery, runSql, type TypedQuery, type TypedSql } from "./indexer.ts";
import { type Optional, optionalFields, type QueryBuilder, type SchemaFields, schemaQuery } from "./queries.ts";

export type AppContext = { config: DashboardConfig; cor: CorConfig };
export const AppContextValue = createContext<AppContext | null>(null);

export const useApp = (): AppContext => {
  const ctx = useContext(AppContextValue);
  if (!ctx) throw new Error("useApp outside <AppContextValue.Provider>");
  return ctx;
};

const EMPTY_OPTIONAL: Optional = { session: "", node: "", task: "", assignment: "" };

/** The indexer's GraphQL types and fields (introspected once per page load, retried until it answers). */
const schemaOf = (config: DashboardConfig, qc: QueryClient): Promise<SchemaFields> =>
  qc.fetchQuery({
    queryKey: ["graphql-schema", config.indexerUrl],
    staleTime: Number.POSITIVE_INFINITY,
    queryFn: async () => {
      const { __schema } = await runQuery(config, schemaQuery);
      return new Map(__schema.types.map((t) => [t.name, new Set((t.fields ?? []).map((f) => f.name))]));
    },
  });

/**
 * A live GraphQL query (refetched every config.refreshMs). A QueryBuilder gets the optional (v2) fields the
 * indexer's schema has.
 */
export function useGraphql<Result, Variables extends Record<string, unknown>>(
  query: TypedQuery<Result, Variables> | QueryBuilder<Result, Variables>,
  variables: Variables,
  opts: { enabled?: boolean } = {},
): UseQueryResult<Result> {
  const { config } = useApp();
  const qc = useQueryClient();
  return useQuery({
    // The key names the query by its v1 text: one cache entry whatever the schema adds.
    queryKey: ["graphql", typeof query === "function" ? query(EMPTY_OPTIONAL) : query, variables],
    queryFn: async () => {
      const doc = typeof query === "function" ? query(optionalFields(await schemaOf(config, qc))) : query;
      return runQuery(config, doc, variables);
    },
    refetchInterval: config.refreshMs,
    enabled: opts.enabled ?? true,
  });
}

export function useSql<Row>(query: TypedSql<Row>, params: (string | number)[] = []): UseQueryResult<Row[]> {
  const { config } = useApp();
  return useQuery({
    queryKey: ["sql", query.text, params],
    queryFn: () => runSql(config, query, params),
    refetchInterval: config.refreshMs,
  });
}

export function useIndexerJson<T>(path: string): UseQueryResult<T> {
  const { config } = useApp();
  return useQuery({
    queryKey: ["indexer-json", path],
    queryFn: () => getJson<T>(config, path),
    refetchInterval: config.refreshMs,
  });
}
