import { Link, useParams, useSearchParams } from "react-router";
import { Chart, line, timeAxisBase, twoAxes } from "../components/Chart.tsx";
import { type Column, DataTable } from "../components/DataTable.tsx";
import { AddressLink, NodeLink, StatusBadge, TaskLink } from "../components/Links.tsx";
import { Stat } from "../components/Stat.tsx";
import { Empty, NotFound, QueryState } from "../components/States.tsx";
import { bps, cor, int, time } from "../lib/format.ts";
import { useGraphql } from "../lib/hooks.ts";
import {
  LEADERBOARD_ORDERS,
  type LeaderboardOrder,
  leaderboardQuery,
  type NodeRow,
  nodeQuery,
  type ReputationRow,
  type SlashingRow,
} from "../lib/queries.ts";

type LeaderRow = NodeRow & { slashings: { totalCount: number }; rank: number };

const leaderboardColumns: Column<LeaderRow>[] = [
  { label: "#", render: (n) => n.rank },
  { label: "Miner", render: (n) => <NodeLink id={n.id} /> },
  { label: "Account", render: (n) => <AddressLink address={n.account} /> },
  { label: "Status", render: (n) => <StatusBadge status={n.status} /> },
  { label: "Reputation", num: true, raw: ["score", (n) => n.score], render: (n) => bps(n.score) },
  { label: "Speed (tok/s)", num: true, raw: ["speed", (n) => n.speed], render: (n) => int(n.speed) },
  { label: "Accepted", num: true, raw: ["accepted", (n) => n.accepted], render: (n) => int(n.accepted) },
  { label: "Rejected", num: true, raw: ["rejected", (n) => n.rejected], render: (n) => int(n.rejected) },
  { label: "Timed out", num: true, raw: ["timedOut", (n) => n.timedOut], render: (n) => int(n.timedOut) },
  {
    label: "Slashes",
    num: true,
    raw: ["slashes", (n) => n.slashings.totalCount],
    render: (n) => int(n.slashings.totalCount),
  },
  { label: "Stake", num: true, raw: ["stake", (n) => n.stake], render: (n) => cor(n.stake, 2) },
  { label: "Earnings", num: true, raw: ["rewardsEarned", (n) => n.rewardsEarned], render: (n) => cor(n.rewardsEarned) },
];

const historyColumns: Column<ReputationRow>[] = [
  { label: "When", render: (e) => time(e.time) },
  { label: "Task", render: (e) => <TaskLink id={e.taskId} /> },
  { label: "Slot", render: (e) => (e.slot === 255 ? "validator" : e.slot) },
  { label: "Outcome", render: (e) => <StatusBadge status={e.outcome} /> },
  { label: "Tokens", num: true, render: (e) => int(e.tokens) },
  { label: "Payout", num: true, raw: ["payout", (e) => e.payout], render: (e) => cor(e.payout) },
  { label: "Score after", num: true, render: (e) => bps(e.score) },
];

const slashingColumns: Column<SlashingRow>[] = [
  { label: "When", render: (x) => time(x.time) },
  { label: "Task", render: (x) => <TaskLink id={x.taskId} /> },
  { label: "Reason", render: (x) => x.reason },
  { label: "Amount", num: true, render: (x) => cor(x.amount) },
  { label: "Stake after", num: true, render: (x) => cor(x.stakeAfter, 2) },
];

const ORDER_LABELS: Record<LeaderboardOrder, string> = {
  score: "reputation",
  speed: "speed",
  accepted: "accepted",
  tokensServed: "tokens served",
  rewardsEarned: "earnings",
  stake: "stake",
};

export function Leaderboard() {
  const [params] = useSearchParams();
  const by = params.get("by");
  const orderBy: LeaderboardOrder = LEADERBOARD_ORDERS.find((o) => o === by) ?? "score";
  const board = useGraphql(leaderboardQuery, { limit: 200, orderBy });
  return (
    <div className="page">
      <h1>Miner leaderboard</h1>
      <p className="hint">
        Registered miners ranked by {ORDER_LABELS[orderBy]}. Reputation is an exponentially weighted score (0–100 %),
        speed output tokens per second.
      </p>
      <nav className="tabs" aria-label="Rank by">
        {LEADERBOARD_ORDERS.map((o) => (
          <Link
            key={o}
            to={o === "score" ? "/miners" : `/miners?by=${o}`}
            className={o === orderBy ? "active" : undefined}
          >
            {ORDER_LABELS[o]}
          </Link>
        ))}
      </nav>
      <QueryState query={board} source="The leaderboard">
        {(data) =>
          data.nodes.items.length === 0 ? (
            <Empty>No miner is registered on this network yet.</Empty>
          ) : (
            <DataTable
              testId="leaderboard"
              rows={data.nodes.items.map((n, i) => ({ ...n, rank: i + 1 }))}
              columns={leaderboardColumns}
              rowKey={(n) => n.id}
              rowData={(n) => ({ "data-node-id": n.id, "data-account": n.account })}
            />
          )
        }
      </QueryState>
    </div>
  );
}

export function MinerPage() {
  const { id } = useParams();
  const nodeId = Number(id);
  const valid = Number.isInteger(nodeId) && nodeId > 0 && nodeId < 2 ** 31;
  const q = useGraphql(nodeQuery, { id: nodeId }, { enabled: valid });
  if (!valid) return <NotFound what={`Node "${id}"`}>Node ids are positive integers.</NotFound>;
  return (
    <div className="page">
      <QueryState query={q} source="The node">
        {({ node }) => {
          if (!node) return <NotFound what={`Node ${nodeId}`} />;
          const history = [...node.reputationEvents.items].reverse();
          return (
            <>
              <h1>
                {node.role} node {node.id} <StatusBadge status={node.status} />
              </h1>
              <p className="mono">
                <AddressLink address={node.account} /> {node.endpoint && <span>· {node.endpoint}</span>} · registered{" "}
                {time(node.registeredTime)}
              </p>
              <div className="stats">
                <Stat id="score" label="Reputation" value={node.score} text={bps(node.score)} />
                <Stat id="speed" label="Speed (tok/s)" value={node.speed} />
                <Stat id="accepted" label="Accepted" value={node.accepted} />
                <Stat id="rejected" label="Rejected" value={node.rejected} />
                <Stat id="timed-out" label="Timed out" value={node.timedOut} />
                <Stat id="slashes" label="Slashes" value={node.slashings.totalCount} />
                <Stat id="tokens" label="Tokens served" value={node.tokensServed} />
                <Stat id="stake" label="Stake" value={node.stake} text={cor(node.stake, 2)} />
                <Stat id="earned" label="Earned" value={node.rewardsEarned} text={cor(node.rewardsEarned)} />
                <Stat
                  id="unclaimed"
                  label="Unclaimed"
                  value={node.rewardsUnclaimed}
                  text={cor(node.rewardsUnclaimed)}
                />
                <Stat id="slashed" label="Slashed" value={node.slashed} text={cor(node.slashed)} />
                {node.unverified !== undefined && (
                  <Stat id="unverified" label="Paid unverified" value={node.unverified} />
                )}
                {node.open !== undefined && <Stat id="open" label="Open work" value={node.open} />}
                {node.offerMinPrice !== undefined && (
                  <Stat
                    id="offer-price"
                    label="Asks at least"
                    value={node.offerMinPrice}
                    text={`${cor(node.offerMinPrice, 8)}/token`}
                  />
                )}
                {node.offerCapacity !== undefined && (
                  <Stat id="offer-capacity" label="Capacity" value={node.offerCapacity} />
                )}
                {node.routerFeesEarned !== undefined && node.role === "Router" && (
                  <Stat
                    id="router-fees"
                    label="Router fees"
                    value={node.routerFeesEarned}
                    text={cor(node.routerFeesEarned)}
                  />
                )}
              </div>
              <section className="panel wide">
                <h2>Reputation and speed over time</h2>
                {history.length === 0 ? (
                  <Empty>No settled work yet.</Empty>
                ) : (
                  <Chart
                    label="reputation history"
                    option={{
                      ...timeAxisBase,
                      yAxis: twoAxes("score %", "tok/s", { max: 100 }),
                      series: [
                        line(
                          "reputation",
                          history.map((e) => [Number(e.time) * 1000, e.score / 100]),
                          0,
                          { step: "end" },
                        ),
                        line(
                          "speed",
                          history.map((e) => [Number(e.time) * 1000, e.speed]),
                        ),
                      ],
                    }}
                  />
                )}
              </section>
              <section className="panel wide">
                <h2>Work history</h2>
                {node.reputationEvents.items.length === 0 ? (
                  <Empty>No settled work yet.</Empty>
                ) : (
                  <DataTable
                    testId="work-history"
                    rows={node.reputationEvents.items}
                    columns={historyColumns}
                    rowKey={(e) => `${e.taskId}-${e.slot}-${e.time}`}
                  />
                )}
              </section>
              {node.slashings.items.length > 0 && (
                <section className="panel wide">
                  <h2>Slashings</h2>
                  <DataTable
                    rows={node.slashings.items}
                    columns={slashingColumns}
                    rowKey={(x) => `${x.taskId}-${x.time}`}
                  />
                </section>
              )}
            </>
          );
        }}
      </QueryState>
    </div>
  );
}
