import { Link } from "react-router";
import { shortHex, taskLabel } from "../lib/format.ts";

export const TaskLink = ({ id }: { id: string }) => (
  <Link to={`/tasks/${id}`} title={`task ${id}`}>
    {taskLabel(id)}
  </Link>
);
export const SessionLink = ({ id }: { id: number }) => <Link to={`/sessions/${id}`}>#{id}</Link>;
export const NodeLink = ({ id }: { id: number | null | undefined }) =>
  id === null || id === undefined ? <span>—</span> : <Link to={`/miners/${id}`}>node {id}</Link>;
export const AddressLink = ({ address }: { address: string }) => (
  <Link to={`/address/${address.toLowerCase()}`} title={address} className="mono">
    {shortHex(address)}
  </Link>
);
export const StatusBadge = ({ status }: { status: string | null | undefined }) => (
  <span className={`badge badge-${(status ?? "none").toLowerCase()}`}>{status ?? "—"}</span>
);
