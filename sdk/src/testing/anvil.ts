import { type ChildProcess, execFile, spawn } from "node:child_process";
import { existsSync, mkdtempSync, readdirSync } from "node:fs";
import { createServer } from "node:net";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { promisify } from "node:util";
import { createPublicClient, type Hex, http } from "viem";
import { mnemonicToAccount } from "viem/accounts";
import type { Deployment } from "../deployments.ts";
import { deploymentsDir, loadDeployment } from "../node/deployments.ts";

const run = promisify(execFile);

/** anvil's default mnemonic: its accounts are funded with 10k ETH each. Local development only. */
export const ANVIL_MNEMONIC = "test test test test test test test test test test test junk";

/** Private key of anvil account `index` (0 deploys and holds the COR supply). */
export const anvilKey = (index: number): Hex => {
  const account = mnemonicToAccount(ANVIL_MNEMONIC, { addressIndex: index });
  return `0x${Buffer.from(account.getHdKey().privateKey as Uint8Array).toString("hex")}` as Hex;
};

export const repoRoot = (): string => dirname(deploymentsDir());

/**
 * The real foundry binary (node_modules/@foundry-rs/<tool>-<platform>/bin/<tool>) when present: the .bin shim is a
 * node wrapper that does not pass SIGTERM on, which would leave orphaned anvils behind.
 */
const bin = (name: string) => {
  const dir = join(repoRoot(), "node_modules", "@foundry-rs");
  const native = existsSync(dir) ? readdirSync(dir).find((d) => d.startsWith(`${name}-`)) : undefined;
  const path = native ? join(dir, native, "bin", name) : "";
  return path && existsSync(path) ? path : join(repoRoot(), "node_modules", ".bin", name);
};

/** A free TCP port on 127.0.0.1. */
export const freePort = (): Promise<number> =>
  new Promise((resolve, reject) => {
    const server = createServer();
    server.unref();
    server.on("error", reject);
    server.listen(0, "127.0.0.1", () => {
      const address = server.address();
      const port = typeof address === "object" && address ? address.port : 0;
      server.close(() => resolve(port));
    });
  });

export type Anvil = { rpcUrl: string; port: number; process: ChildProcess; stop: () => Promise<void> };

/** Starts a real anvil on 127.0.0.1 (automine unless blockTime is given) and waits until it answers. */
export const startAnvil = async (
  opts: { port?: number; blockTime?: number; accounts?: number } = {},
): Promise<Anvil> => {
  const port = opts.port ?? (await freePort());
  const args = ["--host", "127.0.0.1", "--port", String(port), "--accounts", String(opts.accounts ?? 20), "--silent"];
  if (opts.blockTime) args.push("--block-time", String(opts.blockTime));
  const child = spawn(bin("anvil"), args, { stdio: ["ignore", "ignore", "pipe"] });
  let stderr = "";
  child.stderr?.on("data", (d) => {
    stderr += d;
  });
  const rpcUrl = `http://127.0.0.1:${port}`;
  const client = createPublicClient({ transport: http(rpcUrl, { retryCount: 0 }) });
  const started = Date.now();
  for (;;) {
    try {
      if (child.exitCode !== null) throw new Error("exited");
      await client.getChainId();
      break;
    } catch {
      if (child.exitCode !== null) throw new Error(`anvil exited (${child.exitCode}): ${stderr}`);
      if (Date.now() - started > 20_000) throw new Error(`anvil did not answer on ${rpcUrl}: ${stderr}`);
      await new Promise((r) => setTimeout(r, 100));
    }
  }
  const stop = async () => {
    if (child.exitCode !== null) return;
    const exited = new Promise((r) => child.once("exit", r));
    child.kill("SIGTERM");
    await Promise.race([exited, new Promise((r) => setTimeout(r, 3000))]);
    if (child.exitCode === null) child.kill("SIGKILL");
  };
  return { rpcUrl, port, process: child, stop };
};

/**
 * Deploys COR token + network with the real forge script (script/01_DeployCore.s.sol) and returns the
 * deployment it wrote. `file` defaults to a fresh temp file so parallel tests never share addresses.
 */
export const deployCore = async (opts: {
  rpcUrl: string;
  privateKey?: Hex;
  file?: string;
  modelId?: Hex;
  modelName?: string;
}): Promise<Deployment> => {
  const file = opts.file ?? join(mkdtempSync(join(tmpdir(), "cor-deploy-")), "deployment.json");
  const env: NodeJS.ProcessEnv = { ...process.env, DEPLOYMENTS_FILE: file };
  if (opts.modelId) env.MODEL_ID = opts.modelId;
  if (opts.modelName) env.MODEL_NAME = opts.modelName;
  try {
    await run(
      bin("forge"),
      [
        "script",
        "script/01_DeployCore.s.sol:DeployCore",
        "--rpc-url",
        opts.rpcUrl,
        "--private-key",
        opts.privateKey ?? anvilKey(0),
        "--broadcast",
        "--slow",
        "--skip-simulation",
        // Only the contracts and the script: a deployment never waits for (or breaks on) the test tree.
        "--skip",
        "*/test/**",
      ],
      { cwd: repoRoot(), env, maxBuffer: 32 * 1024 * 1024 },
    );
  } catch (err) {
    const e = err as { stderr?: string; stdout?: string };
    throw new Error(`forge script failed: ${e.stderr || e.stdout || String(err)}`);
  }
  return loadDeployment(file);
};
