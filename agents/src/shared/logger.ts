import pino, { type Logger } from "pino";

/** One structured logger per agent: `Revealed result task=12 cid=bafy… (84ms)`. Level from COR_LOG_LEVEL. */
export const createLogger = (role: string, bindings: Record<string, unknown> = {}): Logger =>
  pino({
    name: `cor-${role}`,
    level: process.env.COR_LOG_LEVEL ?? "info",
    base: { role, ...bindings },
    timestamp: pino.stdTimeFunctions.isoTime,
  });

export type { Logger };
