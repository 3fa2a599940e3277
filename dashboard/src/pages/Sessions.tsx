import { useParams } from "react-router";
import { type Column, DataTable } from "../components/DataTable.tsx";
import { AddressLink, NodeLink, SessionLink, StatusBadge } from "../components/Links.tsx";
import { Stat } from "../components/Stat.tsx";
import { Empty, NotFound, QueryState } from "../components/States.tsx";
import { cor, int, time } from "../lib/format.ts";
import { useGraphql } from "../lib/hooks.ts";
import { addressQuery, type SessionRow, sessionQuery, sessionsQuery } from "../lib/queries.ts";
import { TaskTable } from "./Tasks.tsx";

const sessionColumns: Column<SessionRow>[] = [
  { label: "Session", render: (s) => <SessionLink id={s.id} /> },
  { label: "Owner", render: (s) => <AddressLink address={s.owner} /> },
  { label: "Status", render: (s) => <StatusBadge status={s.status} /> },
  { label: "Mode", render: (s) => `R=${s.redundancy} ${s.validation} · ${s.assignment}` },
  { label: "Deposited", num: true, raw: ["deposited", (s) => s.deposited], render: (s) => cor(s.deposited, 2) },
  { label: "Free", num: true, raw: ["deposit", (s) => s.deposit], render: (s) => cor(s.deposit, 2) },
  { label: "Escrowed", num: true, raw: ["escrowed", (s) => s.escrowed], render: (s) => cor(s.escrowed) },
  { label: "Spent", num: true, raw: ["spent", (s) => s.spent], render: (s) => cor(s.spent) },
  { label: "Refunded", num: true, raw: ["refunded", (s) => s.refunded], render: (s) => cor(s.refunded, 2) },
  { label: "Tasks", num: true, raw: ["taskCount", (s) => s.taskCount], render: (s) => int(s.taskCount) },
];

/** The declared sampling of a v2 session: "greedy", or temperature / top-k / top-p. */
const sampling = (s: SessionRow): string => {
  if (!s.temperature) return "greedy sampling";
  const parts = [`temperature ${(s.temperature / 1000).toFixed(2)}`];
  if (s.topK) parts.push(`top-k ${s.topK}`);
  if (s.topP) parts.push(`top-p ${(s.topP / 10000).toFixed(2)}`);
  return parts.join(", ");
};

function SessionTable({ sessions }: { sessions: SessionRow[] }) {
  return (
    <DataTable
      testId="sessions"
      rows={sessions}
      columns={sessionColumns}
      rowKey={(s) => s.id}
      rowData={(s) => ({ "data-session-id": s.id })}
    />
  );
}

export function Sessions() {
  const q = useGraphql(sessionsQuery, { limit: 200 });
  return (
    <div className="page">
      <h1>Sessions</h1>
      <QueryState query={q} source="Sessions">
        {(data) =>
          data.sessions.items.length === 0 ? (
            <Empty>No session was created yet.</Empty>
          ) : (
            <SessionTable sessions={data.sessions.items} />
          )
        }
      </QueryState>
    </div>
  );
}

export function SessionPage() {
  const { id } = useParams();
  const sessionId = Number(id);
  const valid = Number.isInteger(sessionId) && sessionId > 0 && sessionId <= 0xffffffff;
  const q = useGraphql(sessionQuery, { id: sessionId }, { enabled: valid });
  if (!valid) return <NotFound what={`Session "${id}"`}>Session ids are positive integers.</NotFound>;
  return (
    <div className="page">
      <QueryState query={q} source="The session">
        {({ session: s }) =>
          !s ? (
            <NotFound what={`Session ${sessionId}`} />
          ) : (
            <>
              <h1>
                Session {s.id} <StatusBadge status={s.status} />
              </h1>
              <p className="small">
                owner <AddressLink address={s.owner} /> · R={s.redundancy}, {s.validation}, {s.assignment} assignment ·
                router {s.routerId ? <NodeLink id={s.routerId} /> : "none"} · {cor(s.pricePerToken, 8)}/token · max{" "}
                {s.maxTokens} tokens · created {time(s.createdTime)}
                {s.temperature !== undefined && <> · {sampling(s)}</>}
                {s.encrypted && (
                  <>
                    {" "}
                    · <span className="badge">end-to-end encrypted</span>
                  </>
                )}
              </p>
              <div className="stats">
                <Stat id="session-deposited" label="Deposited" value={s.deposited} text={cor(s.deposited, 2)} />
                <Stat id="session-deposit" label="Free deposit" value={s.deposit} text={cor(s.deposit, 2)} />
                <Stat id="session-escrowed" label="Escrowed" value={s.escrowed} text={cor(s.escrowed)} />
                <Stat id="session-spent" label="Spent" value={s.spent} text={cor(s.spent)} />
                <Stat id="session-refunded" label="Refunded" value={s.refunded} text={cor(s.refunded, 2)} />
                <Stat id="session-tasks" label="Tasks" value={s.taskCount} />
                <Stat id="session-finalized" label="Finalized" value={s.tasksFinalized} />
                <Stat id="session-failed" label="Failed" value={s.tasksFailed} />
              </div>
              <section className="panel wide">
                <h2>Tasks</h2>
                {s.tasks.items.length === 0 ? (
                  <Empty>No task in this session yet.</Empty>
                ) : (
                  <TaskTable tasks={s.tasks.items} testId="session-tasks" />
                )}
              </section>
            </>
          )
        }
      </QueryState>
    </div>
  );
}

export function AddressPage() {
  const { address = "" } = useParams();
  const valid = /^0x[0-9a-f]{40}$/i.test(address);
  const q = useGraphql(addressQuery, { address: address.toLowerCase() }, { enabled: valid });
  if (!valid) return <NotFound what={`Address "${address}"`}>An address is 0x followed by 40 hex digits.</NotFound>;
  return (
    <div className="page">
      <h1 className="mono break">{address}</h1>
      <QueryState query={q} source="The address">
        {(data) =>
          data.nodes.items.length + data.sessions.items.length + data.tasks.items.length === 0 ? (
            <Empty>This address has no node, session or submitted task on this network.</Empty>
          ) : (
            <>
              {data.nodes.items.length > 0 && (
                <section className="panel wide">
                  <h2>Nodes</h2>
                  <ul>
                    {data.nodes.items.map((n) => (
                      <li key={n.id}>
                        <NodeLink id={n.id} /> {n.role} <StatusBadge status={n.status} /> stake {cor(n.stake, 2)}
                      </li>
                    ))}
                  </ul>
                </section>
              )}
              {data.sessions.items.length > 0 && (
                <section className="panel wide">
                  <h2>Sessions owned</h2>
                  <SessionTable sessions={data.sessions.items} />
                </section>
              )}
              {data.tasks.items.length > 0 && (
                <section className="panel wide">
                  <h2>Tasks submitted</h2>
                  <TaskTable tasks={data.tasks.items} />
                </section>
              )}
            </>
          )
        }
      </QueryState>
    </div>
  );
}
