import { useParams } from "react-router";
import { Chart, timeAxisBase } from "../components/Chart.tsx";
import { AddressLink, NodeLink, StatusBadge, TaskLink } from "../components/Links.tsx";
import { Stat } from "../components/Stat.tsx";
import { Empty, NotFound, QueryState } from "../components/States.tsx";
import { bps, cor, int, time } from "../lib/format.ts";
import { useGraphql } from "../lib/hooks.ts";
import { leaderboardQuery, nodeQuery } from "../lib/queries.ts";

export function Leaderboard() {
  const board = useGraphql(leaderboardQuery, { limit: 200 });
  return (
    <div className="page">
      <h1>Miner leaderboard</h1>
      <p className="hint">
        Registered miners ranked by reputation score (exponentially weighted, 0–100 %); speed is output tokens per
        second.
      </p>
      <QueryState query={board} source="The leaderboard">
        {(data) =>
          data.nodes.items.length === 0 ? (
            <Empty>No miner is registered on this network yet.</Empty>
          ) : (
            <div className="table-wrap">
              <table className="table" data-testid="leaderboard">
                <thead>
                  <tr>
                    <th>#</th>
                    <th>Miner</th>
                    <th>Account</th>
                    <th>Status</th>
                    <th className="num">Reputation</th>
                    <th className="num">Speed (tok/s)</th>
                    <th className="num">Accepted</th>
                    <th className="num">Rejected</th>
                    <th className="num">Timed out</th>
                    <th className="num">Slashes</th>
                    <th className="num">Stake</th>
                    <th className="num">Earnings</th>
                  </tr>
                </thead>
                <tbody>
                  {data.nodes.items.map((n, i) => (
                    <tr key={n.id} data-node-id={n.id} data-account={n.account}>
                      <td>{i + 1}</td>
                      <td>
                        <NodeLink id={n.id} />
                      </td>
                      <td>
                        <AddressLink address={n.account} />
                      </td>
                      <td>
                        <StatusBadge status={n.status} />
                      </td>
                      <td className="num" data-col="score" data-value={n.score}>
                        {bps(n.score)}
                      </td>
                      <td className="num" data-col="speed" data-value={n.speed}>
                        {int(n.speed)}
                      </td>
                      <td className="num" data-col="accepted" data-value={n.accepted}>
                        {int(n.accepted)}
                      </td>
                      <td className="num" data-col="rejected" data-value={n.rejected}>
                        {int(n.rejected)}
                      </td>
                      <td className="num" data-col="timedOut" data-value={n.timedOut}>
                        {int(n.timedOut)}
                      </td>
                      <td className="num" data-col="slashes" data-value={n.slashings.totalCount}>
                        {int(n.slashings.totalCount)}
                      </td>
                      <td className="num" data-col="stake" data-value={n.stake}>
                        {cor(n.stake, 2)}
                      </td>
                      <td className="num" data-col="rewardsEarned" data-value={n.rewardsEarned}>
                        {cor(n.rewardsEarned)}
                      </td>
                    </tr>
                  ))}
                </tbody>
              </table>
            </div>
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
                      yAxis: [
                        { type: "value", name: "score %", max: 100 },
                        { type: "value", name: "tok/s" },
                      ],
                      series: [
                        {
                          name: "reputation",
                          type: "line",
                          step: "end",
                          data: history.map((e) => [Number(e.time) * 1000, e.score / 100]),
                        },
                        {
                          name: "speed",
                          type: "line",
                          yAxisIndex: 1,
                          data: history.map((e) => [Number(e.time) * 1000, e.speed]),
                        },
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
                  <div className="table-wrap">
                    <table className="table" data-testid="work-history">
                      <thead>
                        <tr>
                          <th>When</th>
                          <th>Task</th>
                          <th>Slot</th>
                          <th>Outcome</th>
                          <th className="num">Tokens</th>
                          <th className="num">Payout</th>
                          <th className="num">Score after</th>
                        </tr>
                      </thead>
                      <tbody>
                        {node.reputationEvents.items.map((e) => (
                          <tr key={`${e.taskId}-${e.slot}-${e.time}`}>
                            <td>{time(e.time)}</td>
                            <td>
                              <TaskLink id={e.taskId} />
                            </td>
                            <td>{e.slot === 255 ? "validator" : e.slot}</td>
                            <td>
                              <StatusBadge status={e.outcome} />
                            </td>
                            <td className="num">{int(e.tokens)}</td>
                            <td className="num">{cor(e.payout)}</td>
                            <td className="num">{bps(e.score)}</td>
                          </tr>
                        ))}
                      </tbody>
                    </table>
                  </div>
                )}
              </section>
              {node.slashings.items.length > 0 && (
                <section className="panel wide">
                  <h2>Slashings</h2>
                  <div className="table-wrap">
                    <table className="table">
                      <thead>
                        <tr>
                          <th>When</th>
                          <th>Task</th>
                          <th>Reason</th>
                          <th className="num">Amount</th>
                          <th className="num">Stake after</th>
                        </tr>
                      </thead>
                      <tbody>
                        {node.slashings.items.map((s) => (
                          <tr key={`${s.taskId}-${s.time}`}>
                            <td>{time(s.time)}</td>
                            <td>
                              <TaskLink id={s.taskId} />
                            </td>
                            <td>{s.reason}</td>
                            <td className="num">{cor(s.amount)}</td>
                            <td className="num">{cor(s.stakeAfter, 2)}</td>
                          </tr>
                        ))}
                      </tbody>
                    </table>
                  </div>
                </section>
              )}
            </>
          );
        }}
      </QueryState>
    </div>
  );
}
