import { useMutation } from "@tanstack/react-query";
import { useParams } from "react-router";
import { verifyResultWagmi } from "../../../sdk/src/wagmi/index.ts";
import { AddressLink, NodeLink, SessionLink, StatusBadge, TaskLink } from "../components/Links.tsx";
import { Stat } from "../components/Stat.tsx";
import { describeError, Empty, NotFound, QueryState } from "../components/States.tsx";
import { bps, cor, int, seconds, shortHex, taskLabel, time } from "../lib/format.ts";
import { useApp, useGraphql } from "../lib/hooks.ts";
import { absoluteUrl } from "../lib/indexer.ts";
import {
  type AssignmentRow,
  type AttestationRow,
  recentTasksQuery,
  type TaskRow,
  type TaskSummaryRow,
  taskQuery,
} from "../lib/queries.ts";

export function TaskTable({ tasks, testId }: { tasks: TaskSummaryRow[]; testId?: string }) {
  return (
    <div className="table-wrap">
      <table className="table" data-testid={testId}>
        <thead>
          <tr>
            <th>Task</th>
            <th>Session</th>
            <th>Status</th>
            <th>Submitted</th>
            <th className="num">Tokens</th>
            <th className="num">Paid</th>
            <th className="num">Finality</th>
          </tr>
        </thead>
        <tbody>
          {tasks.map((t) => (
            <tr key={t.id} data-task-id={t.id}>
              <td>
                <TaskLink id={t.id} />
              </td>
              <td>
                <SessionLink id={t.sessionId} />
              </td>
              <td>
                <StatusBadge status={t.status} />
                {t.failReason && <small> {t.failReason}</small>}
              </td>
              <td>{time(t.submittedTime)}</td>
              <td className="num">{int(t.outputTokens)}</td>
              <td className="num">{cor(t.paid)}</td>
              <td className="num">{seconds(t.finalitySeconds)}</td>
            </tr>
          ))}
        </tbody>
      </table>
    </div>
  );
}

export function TaskExplorer() {
  const recent = useGraphql(recentTasksQuery, { limit: 100 });
  return (
    <div className="page">
      <h1>Task explorer</h1>
      <p className="hint">
        Search above by task id (or session/index), session id or address. The latest tasks, newest first:
      </p>
      <QueryState query={recent} source="Recent tasks">
        {(data) =>
          data.tasks.items.length === 0 ? (
            <Empty>No task was submitted yet.</Empty>
          ) : (
            <TaskTable tasks={data.tasks.items} testId="recent-tasks" />
          )
        }
      </QueryState>
    </div>
  );
}

type TimelineEvent = {
  block: bigint;
  order: number;
  time: string | null;
  what: string;
  node?: number | undefined;
  detail?: string;
};

/** Everything that happened to a task, in chain order (block, then protocol phase). */
function timelineOf(task: TaskRow, assignments: AssignmentRow[], attestations: AttestationRow[]): TimelineEvent[] {
  const ev: TimelineEvent[] = [
    {
      block: BigInt(task.submittedBlock),
      order: 0,
      time: task.submittedTime,
      what: "Submitted",
      detail: `max ${task.maxTokens} tokens, R=${task.redundancy}, escrow ${cor(task.escrow)}`,
    },
  ];
  for (const a of assignments) {
    const slot = `slot ${a.slot}${a.attempt > 0 ? ` (attempt ${a.attempt + 1})` : ""}`;
    ev.push({
      block: BigInt(a.assignedBlock),
      order: 1,
      time: a.assignedTime,
      what: `Assigned ${slot}`,
      node: a.nodeId,
    });
    if (a.committedBlock)
      ev.push({
        block: BigInt(a.committedBlock),
        order: 2,
        time: a.committedTime,
        what: `Committed ${slot}`,
        node: a.nodeId,
      });
    if (a.revealedBlock)
      ev.push({
        block: BigInt(a.revealedBlock),
        order: 4,
        time: a.revealedTime,
        what: `Revealed ${slot}`,
        node: a.nodeId,
        detail: `${a.tokens} tokens, ${shortHex(a.resultHash)}`,
      });
    if ((a.outcome === "Expired" || a.outcome === "Dropped") && a.settledBlock)
      ev.push({
        block: BigInt(a.settledBlock),
        order: 5,
        time: null,
        what:
          a.outcome === "Expired"
            ? `Expired ${slot}: missed the precommit window`
            : `Dropped ${slot}: missed the reveal window`,
        node: a.nodeId,
      });
  }
  if (task.revealingBlock)
    ev.push({
      block: BigInt(task.revealingBlock),
      order: 3,
      time: task.revealingTime,
      what: "All committed: reveal phase",
    });
  if (task.validatingBlock)
    ev.push({
      block: BigInt(task.validatingBlock),
      order: 5,
      time: task.validatingTime,
      what: "Results differ: validation phase",
    });
  for (const at of attestations)
    ev.push({
      block: BigInt(at.block),
      order: 6,
      time: at.time,
      what: `Attested by validator ${at.validatorId}`,
      detail: `scores ${at.scores.map((s) => bps(s)).join(", ")}`,
    });
  if (task.finalizedBlock)
    ev.push({
      block: BigInt(task.finalizedBlock),
      order: 7,
      time: task.finalizedTime,
      what: "Finalized",
      detail: `winner node ${task.winnerNodeId}, paid ${cor(task.paid)}, ${seconds(task.finalitySeconds)} after submit`,
    });
  if (task.failedBlock)
    ev.push({
      block: BigInt(task.failedBlock),
      order: 7,
      time: task.failedTime,
      what: `Failed: ${task.failReason}`,
      detail: `refund ${cor(task.refund)}`,
    });
  return ev.sort((a, b) => (a.block === b.block ? a.order - b.order : a.block < b.block ? -1 : 1));
}

function Verify({ task }: { task: TaskRow }) {
  const { config, cor: wagmi } = useApp();
  const verify = useMutation({
    mutationFn: async () => {
      if (!config.ipfsGatewayUrl) throw new Error("This deployment has no IPFS gateway configured (ipfsGatewayUrl).");
      if (!task.resultCid) throw new Error("The task has no result CID.");
      const res = await fetch(`${absoluteUrl(config.ipfsGatewayUrl)}/${encodeURIComponent(task.resultCid)}`);
      if (!res.ok) {
        const body = (await res.json().catch(() => null)) as { error?: { message?: string } } | null;
        throw new Error(`IPFS gateway: ${body?.error?.message ?? `HTTP ${res.status}`}`);
      }
      const bytes = new Uint8Array(await res.arrayBuffer());
      // keccak256 of the bytes (the SDK's contentHashOf) against the finalized resultHash read from the chain.
      const check = await verifyResultWagmi(wagmi, { taskId: BigInt(task.id), result: bytes });
      return { ...check, text: new TextDecoder().decode(bytes), size: bytes.byteLength };
    },
  });
  if (task.status !== "Finalized") return null;
  return (
    <section className="panel wide">
      <h2>Verify the result</h2>
      <p className="hint">
        Fetches the result <span className="mono">{task.resultCid}</span> over IPFS and checks its keccak256 in this
        browser against the result hash stored on chain.
      </p>
      <button type="button" onClick={() => verify.mutate()} disabled={verify.isPending} data-testid="verify-button">
        {verify.isPending ? "Verifying…" : "Verify"}
      </button>
      {verify.isError && (
        <div className="state error" role="alert" data-testid="verify-result" data-valid="error">
          <strong>Could not verify</strong>
          <p>{describeError(verify.error, "The result").detail}</p>
        </div>
      )}
      {verify.data && (
        <div
          className={`verify ${verify.data.valid ? "ok" : "bad"}`}
          data-testid="verify-result"
          data-valid={String(verify.data.valid)}
        >
          <strong>
            {verify.data.valid
              ? "✔ Verified: the bytes hash to the on-chain result hash"
              : "✘ Mismatch: these bytes are not the accepted result"}
          </strong>
          <dl>
            <dt>on chain</dt>
            <dd className="mono">{verify.data.expectedHash}</dd>
            <dt>computed</dt>
            <dd className="mono">{verify.data.actualHash}</dd>
            <dt>size</dt>
            <dd>{verify.data.size} bytes</dd>
          </dl>
          <pre className="result-text" data-testid="verified-text">
            {verify.data.text}
          </pre>
        </div>
      )}
    </section>
  );
}

export function TaskPage() {
  const { id = "" } = useParams();
  const valid = /^\d{1,20}$/.test(id) && BigInt(id) > 0xffffffffn;
  const q = useGraphql(taskQuery, { id }, { enabled: valid });
  if (!valid)
    return <NotFound what={`Task "${id}"`}>A task id is sessionId × 2³² + index (e.g. search "3/1").</NotFound>;
  return (
    <div className="page">
      <QueryState query={q} source="The task">
        {({ task }) => {
          if (!task) return <NotFound what={`Task ${taskLabel(id)} (${id})`} />;
          const assignments = task.assignments.items;
          return (
            <>
              <h1>
                Task {taskLabel(task.id)} <StatusBadge status={task.status} />
              </h1>
              <p className="mono small">
                id {task.id} · session <SessionLink id={task.sessionId} /> · submitter{" "}
                <AddressLink address={task.submitter} />
              </p>
              <div className="stats">
                <Stat id="task-status" label="Status" value={task.status} text={task.status} />
                <Stat id="task-tokens" label="Output tokens" value={task.outputTokens} />
                <Stat id="task-paid" label="Paid" value={task.paid} text={cor(task.paid)} />
                <Stat
                  id="task-finality"
                  label="Time to finality"
                  value={task.finalitySeconds}
                  text={seconds(task.finalitySeconds)}
                />
                <Stat id="task-retries" label="Retries" value={task.retries} />
                <Stat id="task-router-fee" label="Router fee" value={task.routerFee} text={cor(task.routerFee)} />
              </div>
              <Verify task={task} />
              <section className="panel wide">
                <h2>Timeline</h2>
                <ol className="timeline" data-testid="timeline">
                  {timelineOf(task, assignments, task.attestations.items).map((e) => (
                    <li key={`${e.block}-${e.order}-${e.what}-${e.node ?? ""}`}>
                      <span className="when">
                        #{e.block.toString()} {e.time ? time(e.time) : ""}
                      </span>
                      <span className="what">
                        {e.what} {e.node !== undefined && <NodeLink id={e.node} />}
                      </span>
                      {e.detail && <span className="detail">{e.detail}</span>}
                    </li>
                  ))}
                </ol>
              </section>
              <section className="panel wide">
                <h2>Miners</h2>
                {assignments.length === 0 ? (
                  <Empty>No miner was assigned yet.</Empty>
                ) : (
                  <div className="table-wrap">
                    <table className="table" data-testid="task-miners">
                      <thead>
                        <tr>
                          <th>Slot</th>
                          <th>Miner</th>
                          <th>Outcome</th>
                          <th className="num">Tokens</th>
                          <th>Result</th>
                          <th className="num">Payout</th>
                        </tr>
                      </thead>
                      <tbody>
                        {assignments.map((a) => (
                          <tr
                            key={`${a.slot}-${a.attempt}`}
                            data-node-id={a.nodeId}
                            data-outcome={a.outcome}
                            data-payout={a.payout}
                          >
                            <td>
                              {a.slot}
                              {a.attempt > 0 && <small> attempt {a.attempt + 1}</small>}
                              {task.winnerSlot === a.slot &&
                                a.outcome === "Accepted" &&
                                task.winnerNodeId === a.nodeId && <small> winner</small>}
                            </td>
                            <td>
                              <NodeLink id={a.nodeId} /> {a.node && <AddressLink address={a.node.account} />}
                            </td>
                            <td>
                              <StatusBadge status={a.outcome} />
                            </td>
                            <td className="num">{int(a.tokens)}</td>
                            <td className="mono">{shortHex(a.resultHash)}</td>
                            <td className="num">{cor(a.payout)}</td>
                          </tr>
                        ))}
                      </tbody>
                    </table>
                  </div>
                )}
              </section>
              <section className="panel wide">
                <h2>Hashes and money</h2>
                <dl className="facts">
                  <dt>Prompt</dt>
                  <dd className="mono">
                    {task.promptCid} · {shortHex(task.promptHash, 10, 8)}
                  </dd>
                  <dt>Result</dt>
                  <dd className="mono">
                    {task.resultCid ?? "—"} · {shortHex(task.resultHash, 10, 8)}
                  </dd>
                  <dt>Escrow</dt>
                  <dd>{cor(task.escrow)}</dd>
                  <dt>Refund</dt>
                  <dd>{cor(task.refund)}</dd>
                  <dt>Fees</dt>
                  <dd>
                    protocol {cor(task.protocolFee)} · validators {cor(task.validatorFee)} · router{" "}
                    {cor(task.routerFee)}
                  </dd>
                </dl>
              </section>
            </>
          );
        }}
      </QueryState>
    </div>
  );
}
