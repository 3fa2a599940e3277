import { runNetwork } from "./network.ts";

await runNetwork(process.argv.slice(2));

// --- dashboard (issue 13): builds (if stale) and serves the web dashboard next to the network, prints its URL ---
const { startDashboardForNetwork } = await import("../dashboard/server/network.ts");
await startDashboardForNetwork(process.argv.slice(2));
// --- end dashboard ---
