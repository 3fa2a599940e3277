/**
 * What the search box understands: a task id (decimal, sessionId << 32 | index), "session/index", a session id
 * (a decimal below 2^32), or an address (0x + 40 hex: its nodes, sessions and submitted tasks).
 */
export type SearchTarget = { path: string } | { error: string };

export function searchTarget(input: string): SearchTarget {
  const q = input.trim();
  if (/^0x[0-9a-fA-F]{40}$/.test(q)) return { path: `/address/${q.toLowerCase()}` };
  const pair = /^(\d+)\s*\/\s*(\d+)$/.exec(q);
  if (pair) {
    const [session, index] = [BigInt(pair[1] as string), BigInt(pair[2] as string)];
    if (session < 1n || session > 0xffffffffn || index < 1n || index > 0xffffffffn)
      return { error: "session/index: both must be between 1 and 4294967295" };
    return { path: `/tasks/${(session << 32n) | index}` };
  }
  if (/^\d+$/.test(q)) {
    const n = BigInt(q);
    if (n === 0n) return { error: "Ids start at 1" };
    if (n <= 0xffffffffn) return { path: `/sessions/${n}` };
    if (n < 1n << 64n) return { path: `/tasks/${n}` };
    return { error: "That number is too large for a task id" };
  }
  return { error: "Enter a task id, session/index, a session id, or a 0x address" };
}
