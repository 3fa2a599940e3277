import { defaultClientConditions, defaultServerConditions } from "vite";
import { defineConfig } from "vitest/config";

// One vitest run covers every workspace. Suites that start real processes (anvil, ponder,
// an IPFS daemon, llama.cpp) run in forked workers, one file at a time per worker.
export default defineConfig({
  // Workspace packages resolve to their TypeScript sources (the "cor-source" export condition): no build step.
  resolve: { conditions: ["cor-source", ...defaultClientConditions] },
  ssr: { resolve: { conditions: ["cor-source", ...defaultServerConditions] } },
  test: {
    include: [
      "sdk/src/**/*.test.ts",
      "sdk/test/**/*.test.ts",
      "agents/**/*.test.ts",
      "indexer/test/**/*.test.ts",
      "dashboard/test/**/*.test.ts",
    ],
    exclude: ["**/node_modules/**"],
    pool: "forks",
    maxWorkers: 2,
    testTimeout: 120_000,
    hookTimeout: 180_000,
  },
});
