import type { ReactNode } from "react";

/**
 * One column of a table: how a cell renders, and optionally its raw value, exposed as `data-col`/`data-value`
 * on the cell so tests and scrapers read exact figures (wei, counts) instead of the formatted text.
 */
export type Column<T> = {
  label: string;
  render: (row: T) => ReactNode;
  /** Right-aligned numeric column. */
  num?: boolean;
  /** Name + raw value for data-col / data-value. */
  raw?: [name: string, value: (row: T) => string | number | null];
};

export function DataTable<T>({
  rows,
  columns,
  rowKey,
  rowData,
  testId,
}: {
  rows: T[];
  columns: Column<T>[];
  rowKey: (row: T) => string | number;
  /** data-* attributes of a row (e.g. { "data-task-id": id }). */
  rowData?: (row: T) => Record<`data-${string}`, string | number>;
  testId?: string | undefined;
}) {
  return (
    <div className="table-wrap">
      <table className="table" data-testid={testId}>
        <thead>
          <tr>
            {columns.map((c) => (
              <th key={c.label} className={c.num ? "num" : undefined}>
                {c.label}
              </th>
            ))}
          </tr>
        </thead>
        <tbody>
          {rows.map((row) => (
            <tr key={rowKey(row)} {...rowData?.(row)}>
              {columns.map((c) => (
                <td
                  key={c.label}
                  className={c.num ? "num" : undefined}
                  data-col={c.raw?.[0]}
                  data-value={c.raw ? (c.raw[1](row) ?? "") : undefined}
                >
                  {c.render(row)}
                </td>
              ))}
            </tr>
          ))}
        </tbody>
      </table>
    </div>
  );
}
