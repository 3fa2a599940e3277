import { useQuery } from "@tanstack/react-query";
import { type FormEvent, type ReactNode, useState } from "react";
import { NavLink, useNavigate } from "react-router";
import { useBlockNumber } from "wagmi";
import { useApp, useIndexerJson } from "../lib/hooks.ts";
import { absoluteUrl } from "../lib/indexer.ts";
import type { StatusResponse } from "../lib/queries.ts";
import { searchTarget } from "../lib/search.ts";

function Health() {
  const { config } = useApp();
  const block = useBlockNumber({ watch: true, query: { refetchInterval: config.refreshMs, retry: 1 } });
  const status = useIndexerJson<StatusResponse>("/status");
  const router = useQuery({
    queryKey: ["router-health"],
    enabled: config.routerUrl !== null,
    refetchInterval: config.refreshMs * 2,
    retry: 1,
    queryFn: async () => {
      const res = await fetch(`${absoluteUrl(config.routerUrl ?? "")}/health`);
      if (!res.ok) throw new Error(`HTTP ${res.status}`);
      return (await res.json()) as { miners: number };
    },
  });
  const indexed = status.data ? Math.min(...Object.values(status.data).map((s) => s.block?.number ?? -1)) : undefined;
  const chainBlock = block.data === undefined ? undefined : Number(block.data);
  return (
    <section className="health" aria-label="Service health">
      <span className={`pill ${block.isError ? "down" : block.data !== undefined ? "up" : ""}`} data-health="chain">
        chain {block.isError ? "unreachable" : chainBlock !== undefined ? `#${chainBlock}` : "…"}
      </span>
      <span className={`pill ${status.isError ? "down" : indexed !== undefined ? "up" : ""}`} data-health="indexer">
        indexer{" "}
        {status.isError
          ? "unreachable"
          : indexed !== undefined
            ? `#${indexed}${chainBlock !== undefined && chainBlock > indexed ? ` (${chainBlock - indexed} behind)` : ""}`
            : "…"}
      </span>
      {config.routerUrl !== null && (
        <span className={`pill ${router.isError ? "down" : router.data ? "up" : ""}`} data-health="router">
          router {router.isError ? "unreachable" : router.data ? `${router.data.miners} miners` : "…"}
        </span>
      )}
    </section>
  );
}

function Search() {
  const navigate = useNavigate();
  const [value, setValue] = useState("");
  const [problem, setProblem] = useState<string | null>(null);
  const submit = (e: FormEvent) => {
    e.preventDefault();
    const target = searchTarget(value);
    if ("error" in target) return setProblem(target.error);
    setProblem(null);
    navigate(target.path);
  };
  return (
    <search className="search-bar">
      <form className="search" onSubmit={submit}>
        <input
          aria-label="Search by task id, session or address"
          placeholder="task id, session/index, session, or 0x address"
          value={value}
          onChange={(e) => setValue(e.target.value)}
        />
        <button type="submit">Search</button>
        {problem && (
          <span className="search-problem" role="alert">
            {problem}
          </span>
        )}
      </form>
    </search>
  );
}

const NAV: [string, string][] = [
  ["/", "Network"],
  ["/miners", "Miners"],
  ["/tasks", "Tasks"],
  ["/sessions", "Sessions"],
  ["/try", "Try it"],
];

export function Layout({ children }: { children: ReactNode }) {
  const { config } = useApp();
  return (
    <div className="app">
      <header>
        <div className="brand">
          <NavLink to="/">COR network</NavLink> <small>{config.chainName}</small>
        </div>
        <nav>
          {NAV.map(([to, label]) => (
            <NavLink key={to} to={to} end={to === "/"}>
              {label}
            </NavLink>
          ))}
        </nav>
        <Health />
      </header>
      <Search />
      <main>{children}</main>
      <footer>
        Figures come from the indexer ({config.indexerUrl}); verification reads the chain ({config.rpcUrl}).
      </footer>
    </div>
  );
}
