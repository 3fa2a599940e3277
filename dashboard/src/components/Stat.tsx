import { int } from "../lib/format.ts";
import { describeError } from "./States.tsx";

/**
 * One figure. `data-value` carries the raw value exactly as the indexer answered (wei, counts), so tests and
 * scrapers compare without parsing the formatted text.
 */
export function Stat({
  id,
  label,
  value,
  text,
  error,
}: {
  id: string;
  label: string;
  /** undefined = still loading; null = no value (shown as —). */
  value: string | number | null | undefined;
  /** Formatted value (default: the integer with separators). */
  text?: string | undefined;
  /** The query behind it failed and has no value to show. */
  error?: unknown;
}) {
  const failed = error !== undefined && error !== null && value === undefined;
  const shown = failed ? "unavailable" : (text ?? (value === undefined ? "…" : value === null ? "—" : int(value)));
  return (
    <div
      className="stat"
      data-testid={`stat-${id}`}
      data-value={value ?? ""}
      title={failed ? describeError(error, label).title : undefined}
    >
      <div className="stat-label">{label}</div>
      <div className="stat-value">{shown}</div>
    </div>
  );
}
