import pino, { type Logger } from "pino";

/**
 * One structured logger per agent: `Revealed result task=12 cid=bafy… (84ms)`. Level from COR_LOG_LEVEL; output to
 * stdout, or appended to COR_LOG_FILE when set (tests scan it, e.g. for leaked plaintext).
 */
export const createLogger = (role: string, bindings: Record<string, unknown> = {}): Logger =>
  pino(
    {
      name: `cor-${role}`,
      level: process.env.COR_LOG_LEVEL ?? "info",
      base: { role, ...bindings },
      timestamp: pino.stdTimeFunctions.isoTime,
    },
    process.env.COR_LOG_FILE
      ? pino.destination({ dest: process.env.COR_LOG_FILE, append: true, sync: true })
      : undefined,
  );

export type { Logger };
