import { useMutation, useQuery } from "@tanstack/react-query";
import { useParams } from "react-router";
import { verifyResultWagmi } from "../../../sdk/src/wagmi/index.ts";
import { type Column, DataTable } from "../components/DataTable.tsx";
import { AddressLink, NodeLink, SessionLink, StatusBadge, TaskLink } from "../components/Links.tsx";
import { Stat } from "../components/Stat.tsx";
import { describeError, Empty, Loading, NotFound, QueryState } from "../components/States.tsx";
import { bps, cor, int, seconds, shortHex, taskLabel, time } from "../lib/format.ts";
import { useApp, useGraphql } from "../lib/hooks.ts";
import { fetchCid, PROMPT_PREVIEW_BYTES } from "../lib/ipfs.ts";
import {
  type AssignmentRow,
  type AttestationRow,
  recentTasksQuery,
  type TaskRow,
  type TaskSummaryRow,
  taskQuery,
} from "../lib/queries.ts";

const taskColumns: Column<TaskSummaryRow>[] = [
  { label: "Task", render: (t) => <TaskLink id={t.id} /> },
  { label: "Session", render: (t) => <SessionLink id={t.sessionId} /> },
  {
    label: "Status",
    raw: ["status", (t) => t.status],
    render: (t) => (
      <>
        <StatusBadge status={t.status} />
        {t.failReason && <small> {t.failReason}</small>}
      </>
    ),
  },
  { label: "Submitted", render: (t) => time(t.submittedTime) },
  { label: "Tokens", num: true, raw: ["outputTokens", (t) => t.outputTokens], render: (t) => int(t.outputTokens) },
  { label: "Paid", num: true, raw: ["paid", (t) => t.paid], render: (t) => cor(t.paid) },
  { label: "Finality", num: true, render: (t) => seconds(t.finalitySeconds) },
];

export function TaskTable({ tasks, testId }: { tasks: TaskSummaryRow[]; testId?: string }) {
  return (
    <DataTable
      testId={testId}
      rows={tasks}
      columns={taskColumns}
      rowKey={(t) => t.id}
      rowData={(t) => ({ "data-task-id": t.id })}
    />
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
  const ev: TimelineEvent[] = [];
  const at = (
    block: string | null,
    order: number,
    time: string | null,
    what: string,
    extra: Partial<TimelineEvent> = {},
  ) => {
    if (block !== null) ev.push({ block: BigInt(block), order, time, what, ...extra });
  };
  at(task.submittedBlock, 0, task.submittedTime, "Submitted", {
    detail: `max ${task.maxTokens} tokens, R=${task.redundancy}, escrow ${cor(task.escrow)}`,
  });
  for (const a of assignments) {
    const slot = `slot ${a.slot}${a.attempt > 0 ? ` (attempt ${a.attempt + 1})` : ""}`;
    const node = { node: a.nodeId };
    at(a.assignedBlock, 1, a.assignedTime, `Assigned ${slot}`, {
      ...node,
      ...(a.assigner ? { detail: `by ${shortHex(a.assigner)}` } : {}),
    });
    at(a.committedBlock, 2, a.committedTime, `Committed ${slot}`, node);
    at(a.revealedBlock, 4, a.revealedTime, `Revealed ${slot}`, {
      ...node,
      detail: `${a.tokens} tokens, ${shortHex(a.resultHash)}`,
    });
    const by = a.expiredBy ? { detail: `expired by ${shortHex(a.expiredBy)}` } : {};
    if (a.outcome === "Expired")
      at(a.settledBlock, 5, null, `Expired ${slot}: missed the precommit window`, { ...node, ...by });
    if (a.outcome === "Dropped")
      at(a.settledBlock, 5, null, `Dropped ${slot}: missed the reveal window`, { ...node, ...by });
  }
  at(task.revealingBlock, 3, task.revealingTime, "All committed: reveal phase");
  at(task.validatingBlock, 5, task.validatingTime, "Results differ: validation phase");
  for (const v of attestations) {
    at(v.block, 6, v.time, `Attested by validator ${v.validatorId}`, {
      detail: `scores ${v.scores.map((x) => bps(x)).join(", ")}`,
    });
  }
  at(task.finalizedBlock, 7, task.finalizedTime, "Finalized", {
    detail: `winner node ${task.winnerNodeId}, paid ${cor(task.paid)}, ${seconds(task.finalitySeconds)} after submit`,
  });
  at(task.failedBlock, 7, task.failedTime, `Failed: ${task.failReason}`, { detail: `refund ${cor(task.refund)}` });
  return ev.sort((a, b) => (a.block === b.block ? a.order - b.order : a.block < b.block ? -1 : 1));
}

function Prompt({ cid }: { cid: string }) {
  const { config } = useApp();
  const prompt = useQuery({
    queryKey: ["ipfs", cid],
    enabled: config.ipfsGatewayUrl !== null,
    staleTime: Number.POSITIVE_INFINITY,
    retry: 1,
    queryFn: () => fetchCid(config, cid),
  });
  if (config.ipfsGatewayUrl === null) return null;
  return (
    <section className="panel wide">
      <h2>Prompt</h2>
      {prompt.isError ? (
        <p className="hint">The prompt could not be fetched: {(prompt.error as Error).message}</p>
      ) : prompt.data === undefined ? (
        <Loading what="the prompt from IPFS" />
      ) : (
        <pre className="result-text" data-testid="prompt-text">
          {new TextDecoder().decode(prompt.data.slice(0, PROMPT_PREVIEW_BYTES))}
          {prompt.data.byteLength > PROMPT_PREVIEW_BYTES && `\n… (${prompt.data.byteLength} bytes in all)`}
        </pre>
      )}
    </section>
  );
}

function Verify({ task, encrypted }: { task: TaskRow; encrypted: boolean }) {
  const { config, cor: wagmi } = useApp();
  const verify = useMutation({
    mutationFn: async () => {
      if (!task.resultCid) throw new Error("The task has no result CID.");
      const bytes = await fetchCid(config, task.resultCid);
      // keccak256 of the bytes (the SDK's contentHashOf) against the finalized resultHash read from the chain.
      const check = await verifyResultWagmi(wagmi, { taskId: BigInt(task.id), result: bytes });
      return { ...check, text: new TextDecoder().decode(bytes), size: bytes.byteLength };
    },
  });
  if (task.status !== "Finalized") return null;
  if (encrypted) {
    return (
      <section className="panel wide">
        <h2>Verify the result</h2>
        <p className="hint" data-testid="verify-encrypted">
          This session is end-to-end encrypted: IPFS holds an encrypted envelope and the chain the hash of the
          plaintext, so only a holder of the session's key can check the result (the SDK's fetchResult does, with the
          key).
        </p>
      </section>
    );
  }
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

type MinerRow = AssignmentRow & { node: { account: string } | null };

const minerColumns = (task: TaskRow): Column<MinerRow>[] => [
  {
    label: "Slot",
    render: (a) => (
      <>
        {a.slot}
        {a.attempt > 0 && <small> attempt {a.attempt + 1}</small>}
        {task.winnerSlot === a.slot && a.outcome === "Accepted" && task.winnerNodeId === a.nodeId && (
          <small> winner</small>
        )}
      </>
    ),
  },
  {
    label: "Miner",
    render: (a) => (
      <>
        <NodeLink id={a.nodeId} /> {a.node && <AddressLink address={a.node.account} />}
      </>
    ),
  },
  { label: "Outcome", render: (a) => <StatusBadge status={a.outcome} /> },
  { label: "Tokens", num: true, render: (a) => int(a.tokens) },
  { label: "Result", render: (a) => <span className="mono">{shortHex(a.resultHash)}</span> },
  { label: "Payout", num: true, render: (a) => cor(a.payout) },
];

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
                {task.minersPaid !== undefined && (
                  <Stat id="task-miners-paid" label="To miners" value={task.minersPaid} text={cor(task.minersPaid)} />
                )}
                <Stat
                  id="task-finality"
                  label="Time to finality"
                  value={task.finalitySeconds}
                  text={seconds(task.finalitySeconds)}
                />
                <Stat id="task-retries" label="Retries" value={task.retries} />
                <Stat id="task-router-fee" label="Router fee" value={task.routerFee} text={cor(task.routerFee)} />
              </div>
              {task.session?.encrypted ? null : <Prompt cid={task.promptCid} />}
              <Verify task={task} encrypted={task.session?.encrypted === true} />
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
                  <Empty>{task.status === "Failed" ? "No miner was assigned." : "No miner was assigned yet."}</Empty>
                ) : (
                  <DataTable
                    testId="task-miners"
                    rows={assignments}
                    columns={minerColumns(task)}
                    rowKey={(a) => `${a.slot}-${a.attempt}`}
                    rowData={(a) => ({ "data-node-id": a.nodeId, "data-outcome": a.outcome, "data-payout": a.payout })}
                  />
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
