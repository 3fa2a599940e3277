/**
 * Test helper: a real IPFS daemon speaking the Kubo RPC API, on loopback, offline.
 *
 * It runs the js-ipfs 0.66 daemon of the npm package `ipfs` (a dev dependency), in a fresh repo
 * with no bootstrap peers, no MDNS, no swarm listeners and every listener on 127.0.0.1 with a
 * port chosen by the OS.
 */
import { type ChildProcess, spawn } from "node:child_process";
import { existsSync } from "node:fs";
import { mkdtemp, readFile, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";

export interface StartIpfsDaemonOptions {
  /** Repo directory (kept by `stop`); a temporary one, removed by `stop`, when omitted. Initialised if it has no config. */
  repoDir?: string;
  /** Path of the js-ipfs CLI (`ipfs/src/cli.js`); found in the nearest node_modules when omitted. */
  cliPath?: string;
  /** How long init + start may take, in ms. Default 60 000. */
  startTimeoutMs?: number;
}

export interface IpfsDaemon {
  /** Base URL of the RPC API, e.g. `http://127.0.0.1:40349`. */
  apiUrl: string;
  repoDir: string;
  pid: number;
  /** Every address the daemon reported listening on (API, gateway, gRPC). */
  listenAddresses: string[];
  /** SIGTERM, SIGKILL after 5 s if still alive; removes the repo if it was a temporary one. Idempotent. */
  stop(): Promise<void>;
}

const LOOPBACK = "127.0.0.1";
const OUTPUT_LIMIT = 64 * 1024;

function findCli(): string {
  let dir = dirname(fileURLToPath(import.meta.url));
  for (;;) {
    const candidate = join(dir, "node_modules", "ipfs", "src", "cli.js");
    if (existsSync(candidate)) return candidate;
    const parent = dirname(dir);
    if (parent === dir) throw new Error("js-ipfs CLI not found: install the npm package `ipfs` (0.66)");
    dir = parent;
  }
}

function daemonEnv(repoDir: string): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = {};
  for (const [key, value] of Object.entries(process.env)) {
    if (!key.startsWith("IPFS_") && key !== "DEBUG") env[key] = value;
  }
  env.IPFS_PATH = repoDir;
  return env;
}

/** Keeps the last OUTPUT_LIMIT characters of a child's stdout + stderr for diagnostics. */
function capture(child: ChildProcess, onLine?: (line: string) => void): () => string {
  let output = "";
  let pending = "";
  const onData = (chunk: Buffer) => {
    const text = chunk.toString("utf8");
    output = (output + text).slice(-OUTPUT_LIMIT);
    if (onLine) {
      pending += text;
      const lines = pending.split("\n");
      pending = lines.pop() ?? "";
      for (const line of lines) onLine(line);
    }
  };
  child.stdout?.on("data", onData);
  child.stderr?.on("data", onData);
  return () => output;
}

function waitForExit(child: ChildProcess, timeoutMs: number): Promise<boolean> {
  if (child.exitCode !== null || child.signalCode !== null) return Promise.resolve(true);
  return new Promise((resolve) => {
    const timer = setTimeout(() => {
      child.off("exit", onExit);
      resolve(false);
    }, timeoutMs);
    const onExit = () => {
      clearTimeout(timer);
      resolve(true);
    };
    child.once("exit", onExit);
  });
}

/** Offline, loopback only, OS-chosen ports, nobody to dial. Merged over js-ipfs's defaults. */
const CONFIG = {
  Addresses: {
    API: `/ip4/${LOOPBACK}/tcp/0`,
    Gateway: `/ip4/${LOOPBACK}/tcp/0`,
    RPC: `/ip4/${LOOPBACK}/tcp/0`,
    Swarm: [],
    Announce: [],
    NoAnnounce: [],
    Delegates: [],
  },
  Bootstrap: [],
  Discovery: { MDNS: { Enabled: false, Interval: 10 }, webRTCStar: { Enabled: false } },
};

/** Applies CONFIG to an existing repo's config file. */
async function configureRepo(repoDir: string): Promise<void> {
  const path = join(repoDir, "config");
  const config = JSON.parse(await readFile(path, "utf8")) as Record<string, unknown>;
  await writeFile(path, `${JSON.stringify({ ...config, ...CONFIG }, null, 2)}\n`);
}

/** `/ip4/127.0.0.1/tcp/40349/http` → `http://127.0.0.1:40349`. */
function multiaddrToUrl(addr: string): string {
  const match = /^\/ip4\/([\d.]+)\/tcp\/(\d+)(?:\/http)?$/.exec(addr);
  if (!match) throw new Error(`unexpected API address ${addr}`);
  return `http://${match[1]}:${match[2]}`;
}

async function apiAnswers(apiUrl: string): Promise<boolean> {
  try {
    const res = await fetch(`${apiUrl}/api/v0/id`, { method: "POST", signal: AbortSignal.timeout(2_000) });
    await res.arrayBuffer();
    return res.ok;
  } catch {
    return false;
  }
}

export async function startIpfsDaemon(options: StartIpfsDaemonOptions = {}): Promise<IpfsDaemon> {
  const deadline = Date.now() + (options.startTimeoutMs ?? 60_000);
  const cli = options.cliPath ?? findCli();
  // Scratch directory: the init config, and the repo itself unless the caller gave one.
  const scratch = await mkdtemp(join(tmpdir(), "cor-ipfs-"));
  const repoDir = options.repoDir ?? join(scratch, "repo");
  const initConfig = join(scratch, "init-config.json");
  const cleanup = () => rm(scratch, { recursive: true, force: true });

  let child: ChildProcess | undefined;
  const killOnExit = () => child?.kill("SIGKILL");
  try {
    // A new repo is initialised by the daemon itself with CONFIG (one process instead of
    // `jsipfs init` + `jsipfs daemon`); an existing one gets CONFIG written into its config.
    await writeFile(initConfig, JSON.stringify(CONFIG));
    if (existsSync(join(repoDir, "config"))) await configureRepo(repoDir);

    const listenAddresses: string[] = [];
    let apiAddress: string | undefined;
    const started = spawn(
      process.execPath,
      [cli, "daemon", "--offline", "--enable-preload=false", "--init-config", initConfig],
      {
        env: daemonEnv(repoDir),
        stdio: ["ignore", "pipe", "pipe"],
      },
    );
    child = started;
    process.once("exit", killOnExit);
    const output = capture(started, (line) => {
      const listening = /listening on (\/\S+)/.exec(line);
      if (listening?.[1]) listenAddresses.push(listening[1]);
      const api = /HTTP API listening on (\/\S+)/.exec(line);
      if (api?.[1]) apiAddress = api[1];
    });

    let apiUrl: string | undefined;
    while (apiUrl === undefined) {
      if (started.exitCode !== null || started.signalCode !== null) {
        throw new Error(`jsipfs daemon exited (${started.exitCode ?? started.signalCode})\n${output()}`);
      }
      if (Date.now() > deadline) throw new Error(`jsipfs daemon did not start in time\n${output()}`);
      if (apiAddress !== undefined) {
        const url = multiaddrToUrl(apiAddress);
        if (await apiAnswers(url)) apiUrl = url;
      }
      if (apiUrl === undefined) await new Promise((resolve) => setTimeout(resolve, 100));
    }
    const exposed = listenAddresses.filter((addr) => !addr.startsWith(`/ip4/${LOOPBACK}/`));
    if (exposed.length > 0) throw new Error(`jsipfs daemon listens beyond loopback: ${exposed.join(", ")}`);

    let stopping: Promise<void> | undefined;
    return {
      apiUrl,
      repoDir,
      pid: started.pid ?? -1,
      listenAddresses,
      stop() {
        stopping ??= (async () => {
          if (!(await waitForExit(started, 0))) {
            started.kill("SIGTERM");
            if (!(await waitForExit(started, 5_000))) {
              started.kill("SIGKILL");
              await waitForExit(started, 5_000);
            }
          }
          process.off("exit", killOnExit);
          await cleanup();
        })();
        return stopping;
      },
    };
  } catch (err) {
    if (child) {
      child.kill("SIGKILL");
      await waitForExit(child, 5_000);
      process.off("exit", killOnExit);
    }
    await cleanup();
    throw err;
  }
}
