/**
 * Safe JSON for everything an agent sends: bigints become decimal strings, cycles are cut, and serialization
 * never throws (a payload that cannot be serialized becomes an OpenAI-shaped error object instead), so one
 * odd value can never break the caller, e.g. the chain event reader that emits it.
 */
export const safeStringify = (value: unknown): string => {
  const seen = new WeakSet<object>();
  try {
    return (
      JSON.stringify(value, (_key, v: unknown) => {
        if (typeof v === "bigint") return v.toString();
        if (v instanceof Error) return { name: v.name, message: v.message };
        if (v instanceof Map) return Object.fromEntries(v);
        if (v instanceof Set) return [...v];
        if (v && typeof v === "object") {
          if (seen.has(v)) return "[Circular]";
          seen.add(v);
        }
        return v;
      }) ?? "null"
    );
  } catch (err) {
    return JSON.stringify({
      error: {
        message: `Unserializable payload: ${(err as Error).message}`,
        type: "server_error",
        code: "serialization_failed",
      },
    });
  }
};

/** A JSON-safe deep copy (bigints → strings), for APIs that serialize themselves (e.g. `c.json`). */
export const jsonSafe = (value: unknown): unknown => JSON.parse(safeStringify(value));
