import { existsSync, mkdirSync, readFileSync, renameSync, writeFileSync } from "node:fs";
import { dirname } from "node:path";

/**
 * A tiny crash-safe key/value journal (JSON file, atomic rename on every write). Miners keep the salt and
 * result of each commitment here before the commit transaction is sent, so a restart can still reveal.
 */
export type Journal<T> = {
  get(key: string): T | undefined;
  set(key: string, value: T): void;
  delete(key: string): void;
  entries(): [string, T][];
};

export const openJournal = <T>(file: string): Journal<T> => {
  mkdirSync(dirname(file), { recursive: true });
  const data: Record<string, T> = existsSync(file) ? JSON.parse(readFileSync(file, "utf8")) : {};
  const flush = () => {
    const tmp = `${file}.tmp`;
    writeFileSync(
      tmp,
      JSON.stringify(data, (_k, v) => (typeof v === "bigint" ? v.toString() : v)),
    );
    renameSync(tmp, file);
  };
  return {
    get: (key) => data[key],
    set: (key, value) => {
      data[key] = value;
      flush();
    },
    delete: (key) => {
      delete data[key];
      flush();
    },
    entries: () => Object.entries(data),
  };
};
