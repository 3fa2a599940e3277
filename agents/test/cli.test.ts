import { spawnSync } from "node:child_process";
import { join } from "node:path";
import { repoRoot } from "@cor-network/sdk/testing";
import { describe, expect, it } from "vitest";

const cor = (...args: string[]) =>
  spawnSync(process.execPath, [join(repoRoot(), "agents/bin/cor.js"), ...args], {
    encoding: "utf8",
    env: { ...process.env, COR_PRIVATE_KEY: "" },
    timeout: 60_000,
  });

describe("cor CLI", () => {
  it("prints help for every command", () => {
    for (const args of [
      ["--help"],
      ["miner", "--help"],
      ["router", "--help"],
      ["validator", "--help"],
      ["oracle", "--help"],
      ["network", "--help"],
      ["submit", "--help"],
    ]) {
      const r = cor(...args);
      expect(r.status, args.join(" ")).toBe(0);
      expect(r.stdout).toMatch(/Usage: cor/);
    }
  });

  it("bad input: one-line message and a non-zero exit", () => {
    const cases: [string[], RegExp][] = [
      [["frobnicate"], /unknown command 'frobnicate'/],
      [["miner", "--bogus"], /Unknown option '--bogus'/],
      [["miner"], /COR_PRIVATE_KEY is required/],
      [
        ["router", "--private-key", "0x12", "--rpc-url", "not-a-url"],
        /COR_RPC_URL must be a URL, got "not-a-url"; COR_PRIVATE_KEY must be a 0x-prefixed 32-byte hex string/,
      ],
      [["network", "--bogus"], /Unknown option '--bogus'/],
      // Every config field has its flag (the help lists them): a bad value names its env var.
      [
        ["oracle", "--private-key", `0x${"1".repeat(64)}`, "--interval-ms", "soon"],
        /COR_ORACLE_INTERVAL_MS must be a whole number/,
      ],
      [["miner", "--private-key", `0x${"1".repeat(64)}`, "--batch-ms", "x"], /COR_BATCH_MS must be a whole number/],
      [["submit"], /a prompt is required/],
      [["submit", "hi", "--max-tokens", "zero"], /--max-tokens must be a positive integer/],
      [["submit", "hi", "--router", "http://127.0.0.1:9"], /cannot reach router/],
    ];
    for (const [args, message] of cases) {
      const r = cor(...args);
      expect(r.status, args.join(" ")).toBe(1);
      expect(r.stderr.trim().split("\n")[0]).toMatch(message);
      expect(r.stderr).toMatch(/^cor: /);
    }
  });
});
