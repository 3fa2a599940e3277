import { useMemo } from "react";
import { bars, Chart, type ChartOption, line, timeAxisBase, twoAxes } from "../components/Chart.tsx";
import { Stat } from "../components/Stat.tsx";
import { Empty, QueryState } from "../components/States.tsx";
import { cor, int, percent, seconds } from "../lib/format.ts";
import { useApp, useGraphql, useIndexerJson, useSql } from "../lib/hooks.ts";
import {
  failuresByReasonSql,
  finalityPointsQuery,
  overviewQuery,
  type StatsResponse,
  type StatusResponse,
  settlementPathSql,
  tasksPerHourSql,
  tasksSinceSql,
} from "../lib/queries.ts";

const HOURS_SHOWN = 48;

/** Start of the hour `hours` ago, unix seconds (stable for a minute so the query key does not churn). */
/**
 * "Now" in chain time: the timestamp of the block the indexer reached (the wall clock until /status answers), to
 * the minute so query keys stay stable. Windows like "last hour" are then right on chains whose clock drifts.
 */
function useChainNow(): number {
  const status = useIndexerJson<StatusResponse>("/status");
  const blockTime = status.data ? Math.max(...Object.values(status.data).map((s) => s.block?.timestamp ?? 0)) : 0;
  const now = blockTime > 0 ? blockTime : Date.now() / 1000;
  return Math.floor(now / 60) * 60;
}

function TasksPerHour() {
  const now = useChainNow();
  const since = now - HOURS_SHOWN * 3600;
  const rows = useSql(tasksPerHourSql, [since]);
  return (
    <section className="panel wide">
      <h2>Tasks per hour</h2>
      <QueryState query={rows} source="Hourly task counts">
        {(data) =>
          data.length === 0 ? (
            <Empty>No tasks in the last {HOURS_SHOWN} hours.</Empty>
          ) : (
            <Chart
              label="tasks per hour"
              option={{
                ...timeAxisBase,
                xAxis: { type: "time", min: since * 1000, max: (now + 3600) * 1000 },
                yAxis: twoAxes("tasks", "tokens"),
                series: [
                  bars(
                    "finalized",
                    data.map((r) => [Number(r.hour) * 1000, r.finalized]),
                    "t",
                  ),
                  bars(
                    "failed",
                    data.map((r) => [Number(r.hour) * 1000, r.failed]),
                    "t",
                  ),
                  bars(
                    "in progress",
                    data.map((r) => [Number(r.hour) * 1000, r.submitted - r.finalized - r.failed]),
                    "t",
                  ),
                  line(
                    "tokens paid",
                    data.map((r) => [Number(r.hour) * 1000, r.tokens]),
                  ),
                ],
              }}
            />
          )
        }
      </QueryState>
    </section>
  );
}

function FinalityChart() {
  const points = useGraphql(finalityPointsQuery, { limit: 500 });
  return (
    <section className="panel wide">
      <h2>Time to finality per task</h2>
      <QueryState query={points} source="Finality times">
        {(data) =>
          data.tasks.items.length === 0 ? (
            <Empty>No task has finalized yet.</Empty>
          ) : (
            <Chart
              label="time to finality"
              option={{
                ...timeAxisBase,
                tooltip: {
                  trigger: "item",
                  formatter: (p: { value: [number, number, string]; seriesName: string }) =>
                    `task ${p.value[2]}<br/>${p.seriesName}: ${p.value[1]} s<br/>${new Date(p.value[0]).toISOString().slice(0, 19)}Z`,
                },
                yAxis: { type: "value", name: "seconds" },
                series: (["fast path", "validated"] as const).map((name) => ({
                  name,
                  type: "scatter",
                  symbolSize: 7,
                  data: data.tasks.items
                    .filter((t) => (name === "validated") === (t.validatingTime !== null))
                    .map((t) => [Number(t.finalizedTime) * 1000, t.finalitySeconds, t.id]),
                })),
              }}
            />
          )
        }
      </QueryState>
    </section>
  );
}

const pieOption = (title: string, slices: { name: string; value: number }[]): ChartOption => ({
  tooltip: { trigger: "item", formatter: "{b}: {c} ({d}%)" },
  legend: { bottom: 0 },
  series: [
    {
      name: title,
      type: "pie",
      radius: ["35%", "62%"],
      center: ["50%", "45%"],
      data: slices.filter((s) => s.value > 0),
      label: { formatter: "{b}\n{c}" },
    },
  ],
});

function SettlementAndFailures() {
  const path = useSql(settlementPathSql);
  const failures = useSql(failuresByReasonSql);
  return (
    <>
      <section className="panel">
        <h2>Fast path vs validated</h2>
        <QueryState query={path} source="Settlement paths">
          {(rows) => {
            const r = rows[0] ?? { fast: 0, validated: 0 };
            return r.fast + r.validated === 0 ? (
              <Empty>No finalized task yet.</Empty>
            ) : (
              <>
                <p className="figure-line" data-testid="fast-share" data-value={r.fast}>
                  {percent(r.fast, r.fast + r.validated)} fast path ({int(r.fast)} of {int(r.fast + r.validated)})
                </p>
                <Chart
                  label="settlement path"
                  height={220}
                  option={pieOption("settlement", [
                    { name: "fast path", value: r.fast },
                    { name: "validated", value: r.validated },
                  ])}
                />
              </>
            );
          }}
        </QueryState>
      </section>
      <section className="panel">
        <h2>Failures by reason</h2>
        <QueryState query={failures} source="Failures">
          {(rows) =>
            rows.length === 0 ? (
              <Empty>No task has failed.</Empty>
            ) : (
              <Chart
                label="failures by reason"
                height={240}
                option={pieOption(
                  "failures",
                  rows.map((r) => ({ name: r.reason, value: r.n })),
                )}
              />
            )
          }
        </QueryState>
      </section>
    </>
  );
}

function DailyChart({
  days,
}: {
  days: { day: string; tasksSubmitted: number; tasksFinalized: number; tasksFailed: number; paid: string }[];
}) {
  const option = useMemo<ChartOption>(
    () => ({
      ...timeAxisBase,
      xAxis: {
        type: "time",
        min: (Number(days[0]?.day ?? 0) - 86_400) * 1000,
        max: (Number(days.at(-1)?.day ?? 0) + 86_400) * 1000,
      },
      yAxis: twoAxes("tasks", "COR paid"),
      series: [
        bars(
          "submitted",
          days.map((d) => [Number(d.day) * 1000, d.tasksSubmitted]),
        ),
        bars(
          "finalized",
          days.map((d) => [Number(d.day) * 1000, d.tasksFinalized]),
        ),
        bars(
          "failed",
          days.map((d) => [Number(d.day) * 1000, d.tasksFailed]),
        ),
        line(
          "COR paid",
          days.map((d) => [Number(d.day) * 1000, Number(BigInt(d.paid) / 10n ** 12n) / 1e6]),
        ),
      ],
    }),
    [days],
  );
  return <Chart label="tasks per day" option={option} />;
}

export function Overview() {
  const { config } = useApp();
  const overview = useGraphql(overviewQuery, { chainId: config.chainId });
  const stats = useIndexerJson<StatsResponse>("/stats");
  const now = useChainNow();
  const lastDay = useSql(tasksSinceSql, [now - 24 * 3600]);
  const lastHour = useSql(tasksSinceSql, [now - 3600]);
  return (
    <div className="page">
      <h1>Network</h1>
      <QueryState query={overview} source="Network figures">
        {({ networkStats, ...data }) => {
          // indexer: the network totals come from the network_stat view (one row per chain, or none yet)
          const network = networkStats.items[0];
          return network === undefined ? (
            <Empty>
              The indexer has no network row yet: the deployment block is not indexed. It appears within seconds of the
              indexer catching up.
            </Empty>
          ) : (
            <>
              <div className="stats">
                <Stat id="active-miners" label="Active miners" value={data.miners.totalCount} />
                <Stat id="active-validators" label="Active validators" value={data.validators.totalCount} />
                <Stat id="active-routers" label="Active routers" value={data.routers.totalCount} />
                <Stat id="tasks" label="Tasks" value={network.taskCount} />
                <Stat id="tasks-finalized" label="Finalized" value={network.tasksFinalized} />
                <Stat id="tasks-failed" label="Failed" value={network.tasksFailed} />
                <Stat id="tasks-hour" label="Tasks, last hour" value={lastHour.data?.[0]?.n} error={lastHour.error} />
                <Stat id="tasks-day" label="Tasks, last 24 h" value={lastDay.data?.[0]?.n} error={lastDay.error} />
                <Stat id="tokens-served" label="Tokens served" value={network.tokensServed} />
                <Stat id="cor-paid" label="COR paid out" value={network.paid} text={cor(network.paid)} />
                <Stat
                  id="finality-median"
                  label="Median time to finality"
                  value={stats.data?.medianTimeToFinalitySeconds}
                  text={stats.data ? seconds(stats.data.medianTimeToFinalitySeconds) : undefined}
                  error={stats.error}
                />
                <Stat
                  id="finality-p90"
                  label="p90 time to finality"
                  value={stats.data ? (stats.data.p90TimeToFinalitySeconds ?? null) : undefined}
                  text={stats.data ? seconds(stats.data.p90TimeToFinalitySeconds) : undefined}
                  error={stats.error}
                />
                <Stat id="escrowed" label="Escrowed now" value={network.escrowed} text={cor(network.escrowed)} />
                <Stat id="staked" label="Staked" value={network.stakes} text={cor(network.stakes)} />
                <Stat id="slashed" label="Slashed" value={network.slashed} text={cor(network.slashed)} />
              </div>
              <div className="grid">
                <TasksPerHour />
                <FinalityChart />
                <SettlementAndFailures />
                <section className="panel wide">
                  <h2>Tasks per day</h2>
                  {data.dailyStats.items.length === 0 ? (
                    <Empty>No activity recorded yet.</Empty>
                  ) : (
                    <DailyChart days={[...data.dailyStats.items].reverse()} />
                  )}
                </section>
              </div>
            </>
          );
        }}
      </QueryState>
    </div>
  );
}
