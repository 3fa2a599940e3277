import { type ChildProcess, spawn } from "node:child_process";
import { createWriteStream, mkdirSync, type WriteStream } from "node:fs";
import { dirname } from "node:path";
import pino, { type Logger } from "pino";

/**
 * A small process supervisor for `npm start` and the chaos tests: runs one component as a child process, sends
 * its stdout and stderr to a log file an operator can read (`tail -f .data/logs/miner-1.log`), restarts it with
 * exponential backoff when it exits unexpectedly, and (optionally) restarts it when its health check fails for
 * too long (a hung or stalled process). Every exit and restart is logged by the supervisor's own logger.
 */
export type ExitRecord = {
  code: number | null;
  signal: NodeJS.Signals | null;
  at: number;
  uptimeMs: number;
  /** Asked for: a stop, an injected kill, or the supervisor's own watchdog restart (see `cause`). */
  expected: boolean;
  cause?: "stop" | "injected" | "watchdog";
};

export type SuperviseOptions = {
  name: string;
  /** Command and arguments, spawned with `env` and `cwd`. */
  command: string;
  args: string[];
  cwd?: string;
  env?: NodeJS.ProcessEnv;
  logFile: string;
  logger: Logger;
  /** First restart delay; doubles per consecutive crash up to `maxBackoffMs`. */
  initialBackoffMs?: number;
  maxBackoffMs?: number;
  /** A run longer than this resets the backoff. */
  resetAfterMs?: number;
  /**
   * Restart when `unhealthy()` stays true for `afterMs` (checked every `everyMs`). A process that has not yet been
   * healthy since it started is left alone for `startupMs` (default: `afterMs`): killing a slow starter (Ponder
   * under load takes minutes; a kill during its PGlite setup leaves a database it can never migrate) turns a slow
   * start into a restart loop.
   */
  watchdog?: { unhealthy: () => Promise<boolean>; afterMs: number; everyMs?: number; startupMs?: number };
};

export type Supervised = {
  name: string;
  readonly process: ChildProcess;
  readonly restarts: number;
  readonly exits: readonly ExitRecord[];
  /** Exits nobody asked for (crashes, kills by anyone but `kill` with `expected`). */
  unexpectedExits: () => ExitRecord[];
  /** Sends `signal` to the current process; `expected` marks the exit as injected (a drill), not a crash. */
  kill: (signal: NodeJS.Signals, opts?: { expected?: boolean }) => void;
  /** Resolves when the current process has started again after an exit (restart count above `after`). */
  restarted: (after: number, timeoutMs?: number) => Promise<void>;
  /** Suspends automatic restarts (a component deliberately kept down). */
  hold: () => void;
  /** Resumes automatic restarts; starts the process now if it is down. */
  release: () => void;
  stop: () => Promise<void>;
};

export const supervisorLogger = (file: string): Logger => {
  mkdirSync(dirname(file), { recursive: true });
  return pino(
    { name: "cor-supervisor", base: { role: "supervisor" }, timestamp: pino.stdTimeFunctions.isoTime },
    pino.multistream([{ stream: process.stderr }, { stream: createWriteStream(file, { flags: "a" }) }]),
  );
};

export const supervise = (opts: SuperviseOptions): Supervised => {
  const { logger, name } = opts;
  mkdirSync(dirname(opts.logFile), { recursive: true });
  const log: WriteStream = createWriteStream(opts.logFile, { flags: "a" });
  const initial = opts.initialBackoffMs ?? 500;
  const max = opts.maxBackoffMs ?? 30_000;
  const resetAfter = opts.resetAfterMs ?? 60_000;
  const exits: ExitRecord[] = [];
  let child: ChildProcess;
  let startedAt = 0;
  let consecutive = 0;
  let restarts = 0;
  let stopping = false;
  let held = false;
  let down = false;
  let expectNext = false;
  let watchdogKill = false;
  let retry: NodeJS.Timeout | undefined;
  let watchdog: NodeJS.Timeout | undefined;
  let unhealthySince = 0;
  let healthySinceStart = false;
  const waiters: (() => void)[] = [];

  const start = () => {
    down = false;
    startedAt = Date.now();
    unhealthySince = 0;
    healthySinceStart = false;
    child = spawn(opts.command, opts.args, { cwd: opts.cwd, env: opts.env, stdio: ["ignore", "pipe", "pipe"] });
    child.stdout?.pipe(log, { end: false });
    child.stderr?.pipe(log, { end: false });
    child.on("error", (err) => logger.error({ component: name, err: String(err) }, `Could not start ${name}`));
    child.once("exit", (code, signal) => {
      const uptimeMs = Date.now() - startedAt;
      const cause = stopping ? "stop" : expectNext ? "injected" : watchdogKill ? "watchdog" : undefined;
      expectNext = false;
      watchdogKill = false;
      exits.push({ code, signal, at: Date.now(), uptimeMs, expected: cause !== undefined, cause });
      down = true;
      if (stopping) return;
      consecutive = uptimeMs > resetAfter ? 1 : consecutive + 1;
      const delay = Math.min(max, initial * 2 ** (consecutive - 1));
      const how = signal ? `signal ${signal}` : `code ${code}`;
      if (held) {
        logger.warn(
          { component: name, code, signal },
          `${name} exited (${how}) after ${(uptimeMs / 1000).toFixed(1)}s; held down`,
        );
        return;
      }
      logger.warn(
        { component: name, code, signal, restart: restarts + 1, backoffMs: delay, logFile: opts.logFile },
        `${name} exited (${how}) after ${(uptimeMs / 1000).toFixed(1)}s; restarting in ${delay}ms (restart ${restarts + 1}, log ${opts.logFile})`,
      );
      retry = setTimeout(() => {
        retry = undefined;
        if (stopping || held) return;
        restarts++;
        start();
        for (const w of waiters.splice(0)) w();
      }, delay);
    });
  };

  if (opts.watchdog) {
    const { unhealthy, afterMs, everyMs, startupMs = afterMs } = opts.watchdog;
    watchdog = setInterval(async () => {
      if (down || stopping || held) return;
      const bad = await unhealthy().catch(() => true);
      if (!bad) {
        unhealthySince = 0;
        healthySinceStart = true;
        return;
      }
      if (!healthySinceStart && Date.now() - startedAt < startupMs) return;
      unhealthySince ||= Date.now();
      if (Date.now() - unhealthySince >= afterMs) {
        logger.warn(
          { component: name, unhealthyMs: Date.now() - unhealthySince },
          `${name} unhealthy for ${Math.round((Date.now() - unhealthySince) / 1000)}s; restarting it`,
        );
        unhealthySince = 0;
        watchdogKill = true;
        void terminate(child);
      }
    }, everyMs ?? 5_000);
    watchdog.unref();
  }

  start();
  return {
    name,
    get process() {
      return child;
    },
    get restarts() {
      return restarts;
    },
    exits,
    unexpectedExits: () => exits.filter((e) => !e.expected),
    kill: (signal, o = {}) => {
      if (o.expected) expectNext = true;
      child.kill(signal);
    },
    restarted: (after, timeoutMs = 60_000) =>
      new Promise<void>((resolve, reject) => {
        if (restarts > after && !down) return resolve();
        const timer = setTimeout(() => reject(new Error(`${name} did not restart within ${timeoutMs} ms`)), timeoutMs);
        waiters.push(() => {
          clearTimeout(timer);
          resolve();
        });
      }),
    hold: () => {
      held = true;
    },
    release: () => {
      held = false;
      if (down && !retry && !stopping) {
        restarts++;
        start();
        for (const w of waiters.splice(0)) w();
      }
    },
    stop: async () => {
      stopping = true;
      clearTimeout(retry);
      clearInterval(watchdog);
      if (!down) await terminate(child);
      await new Promise<void>((r) => log.end(() => r()));
    },
  };
};

/** SIGTERM, then SIGKILL after `graceMs`; resolves when the process is gone. */
export const terminate = async (child: ChildProcess, graceMs = 10_000): Promise<void> => {
  if (child.exitCode !== null || child.signalCode !== null) return;
  const exited = new Promise((r) => child.once("exit", r));
  child.kill("SIGTERM");
  const timer = setTimeout(() => child.kill("SIGKILL"), graceMs);
  await exited;
  clearTimeout(timer);
};
