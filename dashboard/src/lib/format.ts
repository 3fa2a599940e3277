import { formatCor } from "../../../sdk/src/utils/units.ts";

/**
 * COR amount (wei as a decimal string or bigint) with at most `digits` decimals, e.g. "12.5 COR"; amounts below
 * 1 COR keep `digits` significant digits ("0.000048 COR"), so a small payout never reads as 0.
 */
export const cor = (wei: string | bigint | null | undefined, digits = 4): string => {
  if (wei === null || wei === undefined) return "—";
  const [int = "0", frac = ""] = formatCor(BigInt(wei)).replace("-", "").split(".");
  const sign = BigInt(wei) < 0n ? "-" : "";
  const leadingZeros = int === "0" ? (/^0*/.exec(frac)?.[0].length ?? 0) : 0;
  const trimmed = frac.slice(0, leadingZeros + digits).replace(/0+$/, "");
  return `${sign}${BigInt(int).toLocaleString("en-US")}${trimmed ? `.${trimmed}` : ""} COR`;
};

export const int = (n: number | string | bigint | null | undefined): string =>
  n === null || n === undefined ? "—" : BigInt(n).toLocaleString("en-US");

export const shortHex = (hex: string | null | undefined, head = 6, tail = 4): string =>
  !hex ? "—" : hex.length <= head + tail + 2 ? hex : `${hex.slice(0, head)}…${hex.slice(-tail)}`;

/** Unix seconds → "2026-11-29 19:45:05 UTC". */
export const time = (unix: string | number | null | undefined): string =>
  unix === null || unix === undefined || Number(unix) === 0
    ? "—"
    : `${new Date(Number(unix) * 1000).toISOString().slice(0, 19).replace("T", " ")} UTC`;

export const seconds = (s: number | null | undefined): string => {
  if (s === null || s === undefined) return "—";
  if (s < 120) return `${Number.isInteger(s) ? s : s.toFixed(1)} s`;
  if (s < 7200) return `${(s / 60).toFixed(1)} min`;
  return `${(s / 3600).toFixed(1)} h`;
};

/** Reputation score (0..10000 basis points) as a percentage. */
export const bps = (n: number | null | undefined): string =>
  n === null || n === undefined ? "—" : `${(n / 100).toFixed(2)} %`;

export const percent = (part: number, whole: number): string =>
  whole === 0 ? "—" : `${((100 * part) / whole).toFixed(1)} %`;

/** Task id (sessionId << 32 | index) as "session/index". */
export const taskLabel = (id: string | bigint): string => {
  const v = BigInt(id);
  return `${v >> 32n}/${v & 0xffffffffn}`;
};
