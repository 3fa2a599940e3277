import react from "@vitejs/plugin-react";
import { defaultClientConditions, defineConfig } from "vite";

// `vite dev` forwards the runtime routes (config.json, proxies, IPFS) to a running dashboard server
// (`npm run serve -w @cor-network/dashboard`, or the one `npm start` prints): set COR_DASHBOARD_BACKEND to its URL.
const backend = process.env.COR_DASHBOARD_BACKEND ?? "http://127.0.0.1:5173";

export default defineConfig({
  root: import.meta.dirname,
  plugins: [react()],
  // @cor-network/sdk resolves to its TypeScript sources (the "cor-source" export condition): no SDK build needed.
  resolve: { conditions: ["cor-source", ...defaultClientConditions] },
  build: {
    outDir: "dist",
    emptyOutDir: true,
    chunkSizeWarningLimit: 1500,
    sourcemap: false,
  },
  server: {
    port: 5174,
    proxy: Object.fromEntries(["/config.json", "/rpc", "/indexer", "/router", "/ipfs"].map((p) => [p, backend])),
  },
});
