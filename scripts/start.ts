// `npm start`: `cor network` (agents/src/network), then the dashboard and the API gateway next to it.
import { runNetwork } from "../agents/src/network/index.ts";

await runNetwork(process.argv.slice(2));

// --- dashboard (issue 13): builds (if stale) and serves the web dashboard next to the network, prints its URL ---
const { startDashboardForNetwork } = await import("../dashboard/server/network.ts");
await startDashboardForNetwork(process.argv.slice(2));
// --- end dashboard ---

// --- gateway (issue 11): a second router and the API gateway over both (nginx in front when installed) ---
const { startGatewayForNetwork } = await import("../agents/src/network/gateway.ts");
await startGatewayForNetwork(process.argv.slice(2));
// --- end gateway ---
