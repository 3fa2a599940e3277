import type { Logger } from "./logger.ts";

/** Runs `stop` once on SIGTERM/SIGINT, then exits 0 (or 1 if stopping failed or took over 10 s). */
export const onShutdown = (logger: Logger, stop: () => Promise<void>): void => {
  let stopping = false;
  const handler = (signal: string) => {
    if (stopping) return;
    stopping = true;
    logger.info(`Stopping on ${signal}`);
    const timer = setTimeout(() => process.exit(1), 10_000);
    timer.unref();
    stop()
      .then(() => process.exit(0))
      .catch((err) => {
        logger.error({ err }, "Stop failed");
        process.exit(1);
      });
  };
  // `on`, not `once`: a library using signal-exit (loaded with node-llama-cpp) re-raises the signal when it sees
  // no other listener left, which killed the process before open streams got their error event and [DONE].
  process.on("SIGTERM", () => handler("SIGTERM"));
  process.on("SIGINT", () => handler("SIGINT"));
  // Last line of defence: a stray rejection is a bug to log, not a reason to drop every client; an uncaught
  // exception may have left state half-updated, so the process exits and its supervisor restarts it.
  process.on("unhandledRejection", (err) => logger.error({ err: String(err) }, "Unhandled rejection"));
  process.once("uncaughtException", (err) => {
    logger.fatal({ err: String(err), stack: err.stack }, "Uncaught exception; exiting for a clean restart");
    setTimeout(() => process.exit(1), 100).unref();
  });
};
