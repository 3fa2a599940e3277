import { int } from "../lib/format.ts";

/**
 * One figure. `data-value` carries the raw value exactly as the indexer answered (wei, counts), so tests and
 * scrapers compare without parsing the formatted text.
 */
export function Stat({
  id,
  label,
  value,
  text,
}: {
  id: string;
  label: string;
  value: string | number | null | undefined;
  text?: string | undefined;
}) {
  const shown = value === undefined ? "…" : (text ?? (value === null ? "—" : int(value)));
  return (
    <div className="stat" data-testid={`stat-${id}`} data-value={value ?? ""}>
      <div className="stat-label">{label}</div>
      <div className="stat-value">{shown}</div>
    </div>
  );
}
