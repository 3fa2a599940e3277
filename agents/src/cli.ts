// cor: run any COR network role against any RPC URL, or talk to a router from the terminal.
//   cor miner|router|validator|oracle [flags]   start one agent (flags override the COR_ env vars)
//   cor network [flags]                         start a whole local network (npm start adds dashboard + gateway)
//   cor gateway [flags] | cor keys <cmd>        the API gateway and its keys (gateway/cli.ts)
//   cor submit "prompt" [--router URL]          stream a completion through a router
import { parseArgs } from "node:util";

const ROLE_FLAGS = {
  "rpc-url": "rpcUrl",
  "private-key": "privateKey",
  deployment: "deployment",
  model: "model",
  threads: "threads",
  concurrency: "concurrency",
  port: "port",
  host: "host",
  "data-dir": "dataDir",
  "ipfs-api": "ipfsApi",
  "ipfs-dir": "ipfsDir",
  stake: "stake",
  "min-price": "minPrice",
  capacity: "capacity",
  modes: "modes",
  behavior: "behavior",
  redundancy: "redundancy",
  validation: "validation",
  "embed-model": "embedModel",
  replay: "replay",
  "healthcheck-seconds": "healthCheckSeconds",
  "encryption-key": "encryptionKey",
  "key-wait-ms": "keyWaitMs",
  encrypted: "encrypted",
  "batch-ms": "batchMs",
  "dispatch-per-router": "dispatchPerRouter",
  "dispatch-ttl-ms": "dispatchTtlMs",
  deposit: "deposit",
  price: "price",
  "max-tokens": "maxTokens",
  "max-prompt-bytes": "maxPromptBytes",
  "window-seconds": "windowSeconds",
  "final-timeout-ms": "finalTimeoutMs",
  "interval-ms": "intervalMs",
  "healthcheck-budget": "healthCheckBudget",
} as const;

const HELP: Record<string, string> = {
  main: `Usage: cor <command> [flags]

Commands:
  miner       run a miner (node-llama-cpp on a GGUF model)
  router      run a router (OpenAI-compatible + Cortensor-style HTTP API, SSE, WebSocket)
  validator   run a validator (replays results through the model; embedding similarity elsewhere)
  oracle      run the oracle/keeper (expiries, finalization, health checks)
  network     start a complete local network (anvil, contracts, IPFS, agents, indexer)
  gateway     run the API gateway (keys, quotas, metering) in front of router pools behind nginx
  keys        create, list, revoke API keys of the gateway; show a key's usage
  submit      send a prompt to a router and stream the answer

Run 'cor <command> --help' for the flags of a command. Every flag also reads a COR_* env var.`,
  role: `Flags (each also read from the env var in brackets):
  --rpc-url URL          chain JSON-RPC            [COR_RPC_URL, default http://127.0.0.1:8545]
  --private-key HEX      the node's account key    [COR_PRIVATE_KEY, required]
  --deployment FILE|ID   deployment JSON or chain  [COR_DEPLOYMENT, default 31337]
  --port N               HTTP port (/health; router API)            [COR_PORT]
  --data-dir DIR         journal and keys                            [COR_DATA_DIR]
  --ipfs-api URL         use a Kubo daemon instead of the embedded store [COR_IPFS_API]
  --ipfs-dir DIR         embedded IPFS block directory               [COR_IPFS_DIR]
  --stake COR            stake when registering                      [COR_STAKE, default 1000]
  --encryption-key HEX   X25519 secret key (default: keyring in the data dir; docs/privacy.md) [COR_ENCRYPTION_KEY]
miner:     --model PATH|hf:URI [COR_MODEL]  --threads N [COR_THREADS=1]  --concurrency N  --behavior honest|garbage|silent
           offer: --min-price COR [COR_MIN_PRICE=0]  --capacity N [COR_CAPACITY=32]  --modes Router,Claim,Dedicated [COR_MODES]
miner:     --key-wait-ms N [COR_KEY_WAIT_MS=20000]: how long an encrypted task waits for its key grant
           --batch-ms N [COR_BATCH_MS=250, 0 = off]: commits/reveals collected into one commitMany/revealMany
           --dispatch-per-router N [COR_DISPATCH_PER_ROUTER=2, 0 = off]  --dispatch-ttl-ms N [COR_DISPATCH_TTL_MS=20000]
router:    --redundancy R [COR_REDUNDANCY=1]  --validation None|ExactMatch|Embedding|Replay  --encrypted true|false [COR_ENCRYPTED=false]
           house sessions: --deposit COR [COR_ROUTER_DEPOSIT=1000]  --price WEI [COR_PRICE_WEI=1000000000000]
           --window-seconds N [COR_WINDOW_SECONDS=30]  --max-tokens N [COR_MAX_TOKENS=512]
           --max-prompt-bytes N [COR_MAX_PROMPT_BYTES=16384]  --final-timeout-ms N [COR_FINAL_TIMEOUT_MS=120000]
validator: --model PATH [COR_MODEL: replays Replay sessions on this GGUF's sha256]  --replay on|off [COR_REPLAY=on]
           --embed-model GGUF [COR_EMBED_MODEL, default: wink word vectors]  --threads N [COR_THREADS=1]
oracle:    --healthcheck-seconds N [COR_HEALTHCHECK_SECONDS, 0 = off]  --healthcheck-budget COR [COR_HEALTHCHECK_BUDGET=100]
           --interval-ms N [COR_ORACLE_INTERVAL_MS=1000]: deadline scan period`,
  network: `Usage: cor network [--automine] [--no-indexer] [--miners N] [--model PATH] [--rpc-port N] [--router-port N]
Starts anvil (1-second blocks, or --automine) on --rpc-port (8545), deploys the contracts with the forge script,
and runs N miners (3; health on 8091..), a router on --router-port (8080), a validator (8094), the oracle (8095)
and the Ponder indexer (42069) on 127.0.0.1, each restarted by a supervisor when it crashes or hangs; logs in
.data/logs/. Ctrl-C stops everything. \`npm start\` runs this plus the dashboard and the API gateway.`,
  submit: `Usage: cor submit "<prompt>" [--router URL] [--model NAME] [--max-tokens N] [--session ID]
Streams the answer token by token, then prints the task id, result CID and on-chain result hash.
With --session the Cortensor-style API is used (the session must authorize the router).`,
};

const fail = (message: string): never => {
  process.stderr.write(`cor: ${message}\n`);
  process.exit(1);
};

const main = async () => {
  const [command, ...rest] = process.argv.slice(2);
  if (!command || command === "--help" || command === "-h" || command === "help") {
    process.stdout.write(`${HELP.main}\n`);
    return;
  }
  if (["miner", "router", "validator", "oracle"].includes(command)) {
    const options = Object.fromEntries(Object.keys(ROLE_FLAGS).map((k) => [k, { type: "string" as const }]));
    let parsed: ReturnType<typeof parseArgs>;
    try {
      parsed = parseArgs({ args: rest, options: { ...options, help: { type: "boolean" } }, strict: true });
    } catch (err) {
      return fail(`${(err as Error).message} (see 'cor ${command} --help')`);
    }
    if (parsed.values.help) {
      process.stdout.write(`Usage: cor ${command} [flags]\n${HELP.role}\n`);
      return;
    }
    const overrides: Record<string, string> = {};
    for (const [flag, key] of Object.entries(ROLE_FLAGS)) {
      const v = parsed.values[flag];
      if (typeof v === "string") overrides[key] = v;
    }
    const { onShutdown } = await import("./shared/shutdown.ts");
    const { createLogger } = await import("./shared/logger.ts");
    const logger = createLogger(command);
    try {
      const mod =
        command === "miner"
          ? await (await import("./miner/index.ts")).startMiner(overrides)
          : command === "router"
            ? await (await import("./router/index.ts")).startRouter(overrides)
            : command === "validator"
              ? await (await import("./validator/index.ts")).startValidator(overrides)
              : await (await import("./oracle/index.ts")).startOracle(overrides);
      onShutdown(logger, mod.stop);
    } catch (err) {
      const e = err as { shortMessage?: string; message?: string };
      return fail(String(e.shortMessage ?? e.message).split("\n")[0]);
    }
    return;
  }
  if (command === "gateway" || command === "keys") {
    const gw = await import("./gateway/cli.ts");
    const out = (s: string) => process.stdout.write(s);
    try {
      if (command === "keys") return await gw.runKeys(rest, out, (s) => process.stderr.write(s));
      const overrides = gw.gatewayOverrides(rest, out);
      if (!overrides) return;
      const { onShutdown } = await import("./shared/shutdown.ts");
      const { createLogger } = await import("./shared/logger.ts");
      const gateway = await (await import("./gateway/index.ts")).startGateway(overrides);
      onShutdown(createLogger("gateway"), gateway.stop);
    } catch (err) {
      const hint = command === "keys" ? " (see 'cor keys --help')" : "";
      return fail(`${String((err as Error).message).split("\n")[0]}${hint}`);
    }
    return;
  }
  if (command === "network") {
    if (rest.includes("--help")) {
      process.stdout.write(`${HELP.network}\n`);
      return;
    }
    const { runNetwork } = await import("./network/index.ts");
    try {
      await runNetwork(rest);
    } catch (err) {
      return fail(`${String((err as Error).message).split("\n")[0]} (see 'cor network --help')`);
    }
    return;
  }
  if (command === "submit") {
    let parsed: ReturnType<typeof parseArgs>;
    try {
      parsed = parseArgs({
        args: rest,
        allowPositionals: true,
        options: {
          router: { type: "string", default: process.env.COR_ROUTER_URL ?? "http://127.0.0.1:8080" },
          model: { type: "string", default: "stories260K" },
          "max-tokens": { type: "string", default: "64" },
          session: { type: "string" },
          help: { type: "boolean" },
        },
      });
    } catch (err) {
      return fail(`${(err as Error).message} (see 'cor submit --help')`);
    }
    if (parsed.values.help || !parsed.positionals[0]) {
      if (!parsed.values.help) return fail(`a prompt is required\n${HELP.submit}`);
      process.stdout.write(`${HELP.submit}\n`);
      return;
    }
    const maxTokens = Number(parsed.values["max-tokens"]);
    if (!Number.isInteger(maxTokens) || maxTokens < 1) return fail("--max-tokens must be a positive integer");
    const routerUrl = String(parsed.values.router);
    const base = routerUrl.endsWith("/") ? routerUrl.slice(0, -1) : routerUrl;
    const url = parsed.values.session ? `${base}/api/v1/completions` : `${base}/v1/completions`;
    const body = parsed.values.session
      ? {
          session_id: Number(parsed.values.session),
          prompt: parsed.positionals[0],
          max_tokens: maxTokens,
          stream: true,
        }
      : { model: parsed.values.model, prompt: parsed.positionals[0], max_tokens: maxTokens, stream: true };
    let res: Response;
    try {
      res = await fetch(url, {
        method: "POST",
        headers: { "content-type": "application/json" },
        body: JSON.stringify(body),
      });
    } catch (err) {
      return fail(`cannot reach router at ${base}: ${(err as Error).message}`);
    }
    if (!res.ok || !res.body) {
      const text = await res.text();
      let message = text;
      try {
        message = JSON.parse(text).error.message;
      } catch {}
      return fail(`router answered ${res.status}: ${message}`);
    }
    const decoder = new TextDecoder();
    let buf = "";
    let info: Record<string, unknown> | undefined;
    for await (const part of res.body as unknown as AsyncIterable<Uint8Array>) {
      buf += decoder.decode(part, { stream: true });
      let i = buf.indexOf("\n\n");
      while (i >= 0) {
        const raw = buf.slice(0, i);
        const line = raw.startsWith("data: ") ? raw.slice(6) : raw;
        buf = buf.slice(i + 2);
        i = buf.indexOf("\n\n");
        if (line === "[DONE]") continue;
        const chunk = JSON.parse(line);
        if (chunk.error) return fail(chunk.error.message);
        process.stdout.write(chunk.choices?.[0]?.text ?? chunk.choices?.[0]?.delta?.content ?? "");
        if (chunk.cor) info = chunk.cor;
      }
    }
    process.stdout.write("\n");
    if (info)
      process.stderr.write(
        `task=${info.task_id} cid=${info.result_cid} resultHash=${info.result_hash} (${info.status})\n`,
      );
    return;
  }
  fail(`unknown command '${command}' (see 'cor --help')`);
};

main().catch((err) => fail(String(err?.message ?? err)));
