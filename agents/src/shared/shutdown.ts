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
  process.once("SIGTERM", () => handler("SIGTERM"));
  process.once("SIGINT", () => handler("SIGINT"));
};
