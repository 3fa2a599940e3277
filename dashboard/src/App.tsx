import { QueryClient, QueryClientProvider } from "@tanstack/react-query";
import { lazy, Suspense, useMemo } from "react";
import { BrowserRouter, Route, Routes } from "react-router";
import { WagmiProvider } from "wagmi";
import { Layout } from "./components/Layout.tsx";
import { Loading, NotFound } from "./components/States.tsx";
import { AppContextValue } from "./lib/hooks.ts";
import { createWallets } from "./lib/wallet.ts";
import { AddressPage, SessionPage, Sessions } from "./pages/Sessions.tsx";
import { TaskExplorer, TaskPage } from "./pages/Tasks.tsx";
import type { DashboardConfig } from "./runtimeConfig.ts";

// Pages with charts load echarts on demand (a separate chunk), so a task link opens without it.
const Overview = lazy(() => import("./pages/Overview.tsx").then((m) => ({ default: m.Overview })));
const Leaderboard = lazy(() => import("./pages/Miners.tsx").then((m) => ({ default: m.Leaderboard })));
const MinerPage = lazy(() => import("./pages/Miners.tsx").then((m) => ({ default: m.MinerPage })));
const TryIt = lazy(() => import("./pages/TryIt.tsx").then((m) => ({ default: m.TryIt })));

const queryClient = new QueryClient({
  defaultOptions: {
    queries: {
      // Keep showing the last good figures while a refetch fails; retry quickly, then let the interval retry.
      retry: 1,
      retryDelay: 500,
      staleTime: 1000,
    },
  },
});

export function App({ config }: { config: DashboardConfig }) {
  const cor = useMemo(() => createWallets(config), [config]);
  const context = useMemo(() => ({ config, cor }), [config, cor]);
  return (
    <AppContextValue.Provider value={context}>
      <WagmiProvider config={cor.config}>
        <QueryClientProvider client={queryClient}>
          <BrowserRouter>
            <Layout>
              <Suspense fallback={<Loading what="the page" />}>
                <Routes>
                  <Route path="/" element={<Overview />} />
                  <Route path="/miners" element={<Leaderboard />} />
                  <Route path="/miners/:id" element={<MinerPage />} />
                  <Route path="/tasks" element={<TaskExplorer />} />
                  <Route path="/tasks/:id" element={<TaskPage />} />
                  <Route path="/sessions" element={<Sessions />} />
                  <Route path="/sessions/:id" element={<SessionPage />} />
                  <Route path="/address/:address" element={<AddressPage />} />
                  <Route path="/try" element={<TryIt />} />
                  <Route
                    path="*"
                    element={<NotFound what="This page">There is no such page in the dashboard.</NotFound>}
                  />
                </Routes>
              </Suspense>
            </Layout>
          </BrowserRouter>
        </QueryClientProvider>
      </WagmiProvider>
    </AppContextValue.Provider>
  );
}
