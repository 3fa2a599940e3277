import { type UseQueryResult, useQuery } from "@tanstack/react-query";
import { createContext, useContext } from "react";
import type { CorConfig } from "../../../sdk/src/wagmi/index.ts";
import type { DashboardConfig } from "../runtimeConfig.ts";
import { getJson, runQuery, runSql, type TypedQuery, type TypedSql } from "./indexer.ts";

export type AppContext = { config: DashboardConfig; cor: CorConfig };
export const AppContextValue = createContext<AppContext | null>(null);

export const useApp = (): AppContext => {
  const ctx = useContext(AppContextValue);
  if (!ctx) throw new Error("useApp outside <AppContextValue.Provider>");
  return ctx;
};

/** A live GraphQL query (refetched every config.refreshMs). */
export function useGraphql<Result, Variables extends Record<string, unknown>>(
  query: TypedQuery<Result, Variables>,
  variables: Variables,
  opts: { enabled?: boolean } = {},
): UseQueryResult<Result> {
  const { config } = useApp();
  return useQuery({
    queryKey: ["graphql", query, variables],
    queryFn: () => runQuery(config, query, variables),
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
