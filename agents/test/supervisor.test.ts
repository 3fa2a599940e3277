import { mkdtempSync, readFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import pino from "pino";
import { afterEach, describe, expect, it } from "vitest";
import { type Supervised, supervise } from "../src/network/supervisor.ts";

// The supervisor `npm start` runs every component under, on real child processes.

const dir = mkdtempSync(join(tmpdir(), "cor-supervisor-"));
const lines: string[] = [];
const logger = pino({ level: "info" }, { write: (s: string) => lines.push(s) });
const running: Supervised[] = [];
const node = (name: string, script: string, extra: Partial<Parameters<typeof supervise>[0]> = {}) => {
  const s = supervise({
    name,
    command: process.execPath,
    args: ["-e", script],
    logFile: join(dir, `${name}.log`),
    logger,
    initialBackoffMs: 100,
    ...extra,
  });
  running.push(s);
  return s;
};
const until = async (check: () => boolean, timeoutMs = 10_000) => {
  const started = Date.now();
  while (!check()) {
    if (Date.now() - started > timeoutMs) throw new Error("condition not met");
    await new Promise((r) => setTimeout(r, 25));
  }
};

afterEach(async () => {
  for (const s of running.splice(0)) await s.stop();
});

describe("supervisor", () => {
  it("restarts a crashing process with exponential backoff, logs each restart, keeps its output in its log file", async () => {
    const s = node("crasher", "console.log('booted', process.pid); process.exit(3)");
    await until(() => s.restarts >= 3);
    const exits = s.unexpectedExits();
    expect(exits.length).toBeGreaterThanOrEqual(3);
    expect(exits.every((e) => e.code === 3)).toBe(true);
    // 100, 200, 400 ms: each gap is at least the previous backoff.
    const gaps = exits.slice(1, 3).map((e, i) => e.at - exits[i].at);
    expect(gaps[1]).toBeGreaterThan(gaps[0]);
    expect(readFileSync(join(dir, "crasher.log"), "utf8").match(/booted/g)?.length).toBeGreaterThanOrEqual(3);
    const restarts = lines.filter((l) => l.includes("crasher exited (code 3)"));
    expect(restarts.length).toBeGreaterThanOrEqual(3);
    expect(restarts[1]).toContain("restarting in 200ms");
  });

  it("an injected kill -9 is restarted and not counted as a crash; hold keeps a component down until release", async () => {
    const s = node("steady", "setInterval(() => {}, 1000)");
    const first = s.process.pid;
    s.kill("SIGKILL", { expected: true });
    await s.restarted(0);
    expect(s.process.pid).not.toBe(first);
    expect(s.exits[0]).toMatchObject({ signal: "SIGKILL", expected: true });
    expect(s.unexpectedExits()).toEqual([]);
    s.hold();
    s.kill("SIGKILL", { expected: true });
    await new Promise((r) => setTimeout(r, 400));
    expect(s.restarts).toBe(1);
    s.release();
    await s.restarted(1);
    expect(s.process.exitCode).toBe(null);
  });

  it("the watchdog restarts a process whose health check keeps failing", async () => {
    let healthy = true;
    const s = node("hung", "setInterval(() => {}, 1000)", {
      watchdog: { unhealthy: async () => !healthy, afterMs: 300, everyMs: 50 },
    });
    await new Promise((r) => setTimeout(r, 500));
    expect(s.restarts).toBe(0);
    healthy = false;
    await s.restarted(0, 5_000);
    expect(lines.some((l) => l.includes("hung unhealthy for"))).toBe(true);
  });

  it("a slow starter is not judged before startupMs; never healthy after it, it is restarted", async () => {
    const s = node("slow", "setInterval(() => {}, 1000)", {
      watchdog: { unhealthy: async () => true, afterMs: 100, everyMs: 50, startupMs: 1_500 },
    });
    await new Promise((r) => setTimeout(r, 1_000));
    expect(s.restarts).toBe(0);
    await s.restarted(0, 5_000);
    expect(lines.some((l) => l.includes("slow unhealthy for"))).toBe(true);
  });
});
