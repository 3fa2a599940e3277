/**
 * @cor-network/sdk/testing: local-network helpers for tests (Node only). `startAnvil` and `deployCore` run the
 * real anvil and `forge script` of the COR network repository (they find it through its foundry.toml),
 * `setupNetwork` caches a deployed state, the flow helpers register miners and open sessions.
 */
export { deterministicBytes, deterministicChunks, fingerprint } from "../storage/testing/deterministic.ts";
export { type IpfsDaemon, type StartIpfsDaemonOptions, startIpfsDaemon } from "../storage/testing/ipfsDaemon.ts";
export { ANVIL_MNEMONIC, type Anvil, anvilKey, deployCore, freePort, repoRoot, startAnvil } from "./anvil.ts";
export { type CorTestNetwork, setupNetwork, type TestClient, tempContentStore } from "./fixture.ts";
export { openSession, type PlayedMiner, playMiners, registerMiners, submitAssigned } from "./flow.ts";
