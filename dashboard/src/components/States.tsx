/**
 * Loading, empty and error states: every data view renders through <QueryState>, so a down indexer, a down
 * chain or an unknown id shows a sentence and a way forward, never a blank page or a stack trace.
 */
import type { UseQueryResult } from "@tanstack/react-query";
import type { ReactNode } from "react";
import { Link } from "react-router";
import { IndexerError } from "../lib/indexer.ts";

export function Loading({ what }: { what: string }) {
  return (
    <div className="state loading" role="status" data-state="loading">
      <span className="spinner" aria-hidden /> Loading {what}…
    </div>
  );
}

export function Empty({ children }: { children: ReactNode }) {
  return (
    <div className="state empty" data-state="empty">
      {children}
    </div>
  );
}

/** A readable sentence for any error (no stack traces). */
export function describeError(err: unknown, source: string): { title: string; detail: string } {
  if (err instanceof IndexerError) {
    if (err.kind === "unreachable")
      return {
        title: "The indexer is unreachable",
        detail: `${source} come from the indexer, which does not answer right now. The page retries on its own. (${err.message})`,
      };
    if (err.kind === "http") return { title: "The indexer refused the request", detail: err.message };
    return { title: "The indexer could not answer this query", detail: err.message };
  }
  const e = err as { shortMessage?: string; message?: string; name?: string };
  const message = e?.shortMessage ?? e?.message ?? String(err);
  if (/fetch|network|HTTP request failed|Failed to fetch|unreachable/i.test(message))
    return {
      title: "The chain RPC is unreachable",
      detail: `${source} need the chain, which does not answer: ${message.split("\n")[0]}`,
    };
  return { title: `Could not load ${source.toLowerCase()}`, detail: message.split("\n")[0] };
}

export function ErrorState({ error, source, retry }: { error: unknown; source: string; retry?: () => void }) {
  const { title, detail } = describeError(error, source);
  return (
    <div className="state error" role="alert" data-state="error">
      <strong>{title}</strong>
      <p>{detail}</p>
      {retry && (
        <button type="button" onClick={retry}>
          Retry now
        </button>
      )}
    </div>
  );
}

export function NotFound({ what, children }: { what: string; children?: ReactNode }) {
  return (
    <div className="state empty" data-state="not-found" role="alert">
      <strong>{what} not found.</strong>
      <p>{children ?? "It may not exist yet, or the indexer has not reached its block."}</p>
      <p>
        <Link to="/">Back to the overview</Link>
      </p>
    </div>
  );
}

/** Renders loading / error / data for one query. Stale data stays on screen while a refetch fails. */
export function QueryState<T>({
  query,
  source,
  children,
}: {
  query: UseQueryResult<T>;
  source: string;
  children: (data: T) => ReactNode;
}) {
  if (query.data !== undefined) {
    return (
      <>
        {query.isRefetchError && (
          <div className="state stale" role="status" data-state="stale">
            Showing the last figures: {describeError(query.error, source).title.toLowerCase()}.
          </div>
        )}
        {children(query.data)}
      </>
    );
  }
  if (query.isError) return <ErrorState error={query.error} source={source} retry={() => void query.refetch()} />;
  return <Loading what={source.toLowerCase()} />;
}
