import { runNetwork } from "./network.ts";

await runNetwork(process.argv.slice(2));
