/**
 * Adversarial end to end (issue 9): anvil + the forge-deployed contracts, the real agents (miners on
 * node-llama-cpp/stories260K, a staked validator replaying results, the oracle expiring deadlines), R = 3 with two
 * honest miners and one cheater per task. The cheater is a real miner whose committed result is transformed by a
 * strategy (agents/test/cheaters/strategies.ts). For every strategy and validation mode it records whether the
 * cheater was paid (WorkSettled Accepted/Unverified), whether it was slashed, whether an honest miner was penalized,
 * and whether the honest result became final; then prints one table per mode.
 *
 * Replay mode (the default for sessions on a model validators run) must leave every cheater unpaid and every
 * honest miner unpenalized, also when two colluding cheaters face one honest miner. Embedding mode (offline word vectors) is measured for comparison; only its provable
 * cases (garbage, no-show, withhold, inflated count) are asserted there, see docs/verification.md.
 */
import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import {
  assignTask,
  type ContentStore,
  createSession,
  getTask,
  iCorNetworkAbi,
  Outcome,
  parseCor,
  submitTask,
} from "@cor-network/sdk";
import { anvilKey, type CorTestNetwork, setupNetwork, tempContentStore } from "@cor-network/sdk/testing";
import { privateKeyToAccount } from "viem/accounts";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startMiner } from "../src/miner/index.ts";
import { startOracle } from "../src/oracle/index.ts";
import { startValidator } from "../src/validator/index.ts";
import { copierStrategy, type StrategyName, switchableStrategy } from "./cheaters/strategies.ts";

const WINDOW = 20; // seconds: precommit, reveal and attest windows
const MAX_TOKENS = 48;
const PROMPTS = [
  "Tom had a red ball. He",
  "One day, a little dog",
  "The sun was hot and",
  "Sam and Mia went to the park. They",
  "Anna found a small box.",
  "There was a big tree in the garden.",
];
/** Anvil accounts: 1..3 honest miners, 4 cheater, 5 validator, 6 oracle, 7 client. */
const ACCOUNTS = { honest: [1, 2, 3], cheater: 4, validator: 5, oracle: 6, client: 7, accomplice: 8 } as const;
const TRIALS = { Replay: 5, Embedding: 2 } as const;
const STRATEGY_NAMES: StrategyName[] = [
  "lazy",
  "truncated",
  "perturbed",
  "sampled",
  "garbage",
  "inflated",
  "noShow",
  "withhold",
  "copier",
];
/** Two cheaters with one honest miner: identical lazy answers outvote a medoid; replay judges each result alone. */
const COLLUSION: StrategyName[] = ["lazy", "sampled"];
/** Strategies Embedding mode is expected to catch (the rest are measured, not asserted). */
const EMBEDDING_CATCHES = new Set<StrategyName>(["garbage", "noShow", "withhold", "copier"]);

type Trial = {
  cheaterPaid: boolean;
  cheaterSlashed: boolean;
  honestPenalized: boolean;
  honestFinal: boolean;
  ms: number;
};

let net: CorTestNetwork;
let store: ContentStore & { directory: string };
const stops: (() => Promise<void>)[] = [];
const honestIds: number[] = [];
let cheaterId = 0;
let accompliceId = 0;
const honestEndpoints: string[] = [];
const copier = copierStrategy({
  endpoints: () => honestEndpoints,
  account: privateKeyToAccount(anvilKey(ACCOUNTS.cheater)),
  nodeId: () => cheaterId,
});
const cheater = switchableStrategy(copier.strategy);

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const waitFor = async <T>(fn: () => Promise<T | undefined>, what: string, timeoutMs = 60_000): Promise<T> => {
  const started = Date.now();
  for (;;) {
    const v = await fn();
    if (v !== undefined) return v;
    if (Date.now() - started > timeoutMs) throw new Error(`Timed out waiting for ${what}`);
    await sleep(100);
  }
};
const task = (taskId: bigint) => getTask(net.publicClient, { network: net.deployment.network, taskId });
const events = async (eventName: "WorkSettled" | "NodeSlashed", taskId: bigint) =>
  (await net.publicClient.getContractEvents({
    address: net.deployment.network,
    abi: iCorNetworkAbi,
    eventName,
    args: { taskId },
    fromBlock: 0n,
  })) as unknown as { args: { nodeId: number; outcome?: number } }[];

const openSession = async (
  validation: "Replay" | "Embedding",
  sampling?: { temperature: number; topK: number; topP: number },
) => {
  const { sessionId } = await createSession(net.client(ACCOUNTS.client), {
    network: net.deployment.network,
    modelId: net.deployment.modelId,
    deposit: parseCor("100"),
    redundancy: 3,
    validation,
    pricePerToken: parseCor("0.0001"),
    maxTokens: MAX_TOKENS,
    quorum: 1,
    retryLimit: 2,
    windows: { precommit: WINDOW, reveal: WINDOW, attest: WINDOW },
    ...(sampling ? { sampling } : {}),
  });
  return sessionId;
};

/**
 * One task with miners [h0, h1, cheater] in rotating slots (with `colluding`: [h0, cheater, accomplice], both
 * playing the strategy, so one honest miner faces two identical cheats); drives the clock for no-show / withhold.
 */
const runTrial = async (
  sessionId: number,
  trial: number,
  strategy: StrategyName | undefined,
  colluding = false,
): Promise<Trial> => {
  const started = Date.now();
  cheater.set(strategy);
  const network = net.deployment.network;
  const { taskId } = await submitTask(net.client(ACCOUNTS.client), {
    network,
    sessionId,
    prompt: `${PROMPTS[trial % PROMPTS.length]}`,
    store,
  });
  const [h0, h1, spare] = honestIds;
  const lineup = colluding ? [h0, cheaterId, accompliceId] : strategy ? [h0, h1, cheaterId] : [h0, h1, spare];
  const cheaters = colluding ? [cheaterId, accompliceId] : strategy ? [cheaterId] : [];
  const rotated = [...lineup.slice(trial % 3), ...lineup.slice(0, trial % 3)];
  await assignTask(net.client(ACCOUNTS.client), { network, taskId, nodeIds: rotated });
  const honestSlots = rotated.map((id, i) => (cheaters.includes(id) ? -1 : i)).filter((i) => i >= 0);
  const bits = (mask: (s: { committed: boolean; revealed: boolean }) => boolean, t: Awaited<ReturnType<typeof task>>) =>
    honestSlots.every((i) => mask(t.slots[i]));
  if (strategy === "noShow") {
    await waitFor(async () => (bits((s) => s.committed, await task(taskId)) ? true : undefined), "honest commits");
    await net.increaseTime(WINDOW + 1); // the oracle expires the cheater's slot; the owner refills it
    await waitFor(async () => ((await task(taskId)).status === "Queued" ? true : undefined), "expiry of the no-show");
    await assignTask(net.client(ACCOUNTS.client), { network, taskId, nodeIds: [spare] });
  } else if (strategy === "withhold") {
    await waitFor(async () => (bits((s) => s.revealed, await task(taskId)) ? true : undefined), "honest reveals");
    await net.increaseTime(WINDOW + 1); // the oracle drops the withheld reveal
  }
  const final = await waitFor(
    async () => {
      const t = await task(taskId);
      return t.status === "Finalized" || t.status === "Failed" ? t : undefined;
    },
    `task ${taskId} settled (${strategy ?? "honest"})`,
    90_000,
  );
  const settled = await events("WorkSettled", taskId);
  const slashed = await events("NodeSlashed", taskId);
  const paid = (id: number) =>
    settled.some(
      (e) =>
        Number(e.args.nodeId) === id &&
        [Outcome.Accepted, Outcome.Unverified].includes(Number(e.args.outcome) as 0 | 3),
    );
  const penalized = (id: number) =>
    settled.some(
      (e) =>
        Number(e.args.nodeId) === id && [Outcome.Rejected, Outcome.TimedOut].includes(Number(e.args.outcome) as 1 | 2),
    ) || slashed.some((e) => Number(e.args.nodeId) === id);
  const honestFinal =
    final.status === "Finalized" && final.winnerNodeId !== undefined && honestIds.includes(final.winnerNodeId);
  return {
    cheaterPaid: cheaters.some(paid),
    cheaterSlashed: cheaters.length > 0 && cheaters.every((id) => slashed.some((e) => Number(e.args.nodeId) === id)),
    honestPenalized: honestIds.some(penalized),
    honestFinal,
    ms: Date.now() - started,
  };
};

type Row = { name: string; trials: Trial[] };
const pct = (n: number, d: number) => (d === 0 ? "-" : `${Math.round((100 * n) / d)}%`);
const printTable = (title: string, rows: Row[]) => {
  const lines = [
    "",
    title,
    "| strategy | trials | cheater unpaid | cheater slashed | honest penalized | honest result final | s/trial |",
    "|---|---|---|---|---|---|---|",
    ...rows.map(({ name, trials }) => {
      const n = trials.length;
      const c = (f: (t: Trial) => boolean) => trials.filter(f).length;
      const avg = trials.reduce((s, t) => s + t.ms, 0) / Math.max(n, 1) / 1000;
      return `| ${name} | ${n} | ${
        name === "honest (sampled)"
          ? "-"
          : pct(
              c((t) => !t.cheaterPaid),
              n,
            )
      } | ${
        name === "honest (sampled)"
          ? "-"
          : pct(
              c((t) => t.cheaterSlashed),
              n,
            )
      } | ${pct(
        c((t) => t.honestPenalized),
        n,
      )} | ${pct(
        c((t) => t.honestFinal),
        n,
      )} | ${avg.toFixed(1)} |`;
    }),
  ];
  process.stdout.write(`${lines.join("\n")}\n`);
};

beforeAll(async () => {
  process.env.COR_LOG_LEVEL ??= "warn";
  net = await setupNetwork();
  store = await tempContentStore();
  const root = mkdtempSync(join(tmpdir(), "cor-cheaters-"));
  const deploymentFile = join(root, "deployment.json");
  writeFileSync(deploymentFile, JSON.stringify(net.deployment));
  const common = { rpcUrl: net.rpcUrl, deployment: deploymentFile, ipfsDir: store.directory };
  for (const i of [
    ...ACCOUNTS.honest,
    ACCOUNTS.cheater,
    ACCOUNTS.accomplice,
    ACCOUNTS.validator,
    ACCOUNTS.oracle,
    ACCOUNTS.client,
  ]) {
    await net.fund(i, parseCor(i === ACCOUNTS.cheater || i === ACCOUNTS.accomplice ? "500000" : "20000"));
  }
  const key = (i: number): string => anvilKey(i);
  for (const i of ACCOUNTS.honest) {
    const m = await startMiner({ ...common, privateKey: key(i), dataDir: join(root, `honest-${i}`) });
    honestIds.push(m.nodeId);
    honestEndpoints.push(m.endpoint);
    stops.push(m.stop);
  }
  // The cheater stakes more, so ~70 slashes of 10% do not jail it between trials.
  const c = await startMiner(
    { ...common, privateKey: key(ACCOUNTS.cheater), dataDir: join(root, "cheater"), stake: "400000" },
    { result: cheater.hook },
  );
  cheaterId = c.nodeId;
  stops.push(c.stop);
  const a = await startMiner(
    { ...common, privateKey: key(ACCOUNTS.accomplice), dataDir: join(root, "accomplice"), stake: "400000" },
    { result: cheater.hook },
  );
  accompliceId = a.nodeId;
  stops.push(a.stop);
  const v = await startValidator({ ...common, privateKey: key(ACCOUNTS.validator), dataDir: join(root, "validator") });
  stops.push(v.stop);
  const o = await startOracle({ ...common, privateKey: key(ACCOUNTS.oracle), intervalMs: "200" });
  stops.push(o.stop);
}, 180_000);

afterAll(async () => {
  for (const stop of stops.reverse()) await stop().catch(() => undefined);
  await store?.close();
  await net?.stop();
});

describe("cheating miners are never paid", () => {
  it("Replay mode: every strategy unpaid, provable faults slashed, honest miners never penalized", async () => {
    const sessionId = await openSession("Replay");
    const rows: Row[] = [];
    for (const name of STRATEGY_NAMES) {
      const trials: Trial[] = [];
      for (let k = 0; k < TRIALS.Replay; k++) trials.push(await runTrial(sessionId, k, name));
      rows.push({ name, trials });
    }
    for (const name of COLLUSION) {
      const trials: Trial[] = [];
      for (let k = 0; k < TRIALS.Embedding; k++) trials.push(await runTrial(sessionId, k, name, true));
      rows.push({ name: `2 colluding: ${name}`, trials });
    }
    const sampled = await openSession("Replay", { temperature: 0.8, topK: 40, topP: 0.95 });
    const honest: Trial[] = [];
    for (let k = 0; k < TRIALS.Replay; k++) honest.push(await runTrial(sampled, k, undefined));
    rows.push({ name: "honest (sampled)", trials: honest });
    // Private streams: the copier was refused by every honest miner it asked and never saw a token.
    expect(copier.stats.copiedPieces).toBe(0);
    expect(copier.stats.refusals).toBeGreaterThan(0);
    printTable(
      `Replay mode (bar = params.replayBarBps), R=3: 2 honest + 1 cheater, ${TRIALS.Replay} trials each`,
      rows,
    );
    for (const { name, trials } of rows) {
      for (const t of trials) {
        expect(t.honestPenalized, `${name}: honest penalized`).toBe(false);
        expect(t.honestFinal, `${name}: honest result final`).toBe(true);
        if (name === "honest (sampled)") continue;
        expect(t.cheaterPaid, `${name}: cheater paid`).toBe(false);
        // Rejected results and withheld reveals are provable: slashed. A no-show only loses reputation.
        expect(t.cheaterSlashed, `${name}: cheater slashed`).toBe(name !== "noShow");
      }
    }
  }, 300_000);

  it("Embedding mode (offline word vectors): provable faults caught, the rest measured", async () => {
    const sessionId = await openSession("Embedding");
    const rows: Row[] = [];
    for (const name of STRATEGY_NAMES) {
      const trials: Trial[] = [];
      for (let k = 0; k < TRIALS.Embedding; k++) trials.push(await runTrial(sessionId, k, name));
      rows.push({ name, trials });
    }
    for (const name of COLLUSION) {
      const trials: Trial[] = [];
      for (let k = 0; k < TRIALS.Embedding; k++) trials.push(await runTrial(sessionId, k, name, true));
      rows.push({ name: `2 colluding: ${name}`, trials });
    }
    printTable(
      `Embedding mode (wink word vectors, bar = params.embeddingBarBps), ${TRIALS.Embedding} trial each`,
      rows,
    );
    for (const { name, trials } of rows) {
      // Colluding cheaters own the medoid here: measured, not asserted (that is what Replay fixes).
      if (name.startsWith("2 colluding")) continue;
      for (const t of trials) {
        expect(t.honestPenalized, `${name}: honest penalized`).toBe(false);
        if (EMBEDDING_CATCHES.has(name as StrategyName)) expect(t.cheaterPaid, `${name}: cheater paid`).toBe(false);
      }
    }
  }, 240_000);
});
