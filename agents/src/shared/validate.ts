import { z } from "zod";

/**
 * Parsing of untrusted input: bytes → strict UTF-8 → JSON → schema. Every failure is a value (never a throw)
 * with a one-line reason a client can act on.
 */
export type Parsed<T> =
  | { ok: true; value: T }
  | { ok: false; code: "invalid_utf8" | "invalid_json" | "invalid_message"; message: string };

const utf8 = new TextDecoder("utf-8", { fatal: true });

/** Decodes bytes as UTF-8, rejecting invalid sequences instead of replacing them with U+FFFD. */
export const decodeUtf8 = (bytes: Uint8Array): string | undefined => {
  try {
    return utf8.decode(bytes);
  } catch {
    return undefined;
  }
};

const toBytes = (raw: string | Uint8Array | ArrayBuffer | Uint8Array[]): Uint8Array | string => {
  if (typeof raw === "string") return raw;
  if (Array.isArray(raw)) return Buffer.concat(raw);
  return raw instanceof Uint8Array ? raw : new Uint8Array(raw);
};

/** Parses one message (a WebSocket frame, a request body) against `schema`. */
export const parseMessage = <S extends z.ZodType>(
  schema: S,
  raw: string | Uint8Array | ArrayBuffer | Uint8Array[],
): Parsed<z.infer<S>> => {
  const input = toBytes(raw);
  const text = typeof input === "string" ? input : decodeUtf8(input);
  if (text === undefined) return { ok: false, code: "invalid_utf8", message: "Message is not valid UTF-8" };
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch {
    return { ok: false, code: "invalid_json", message: "Message is not valid JSON" };
  }
  const result = schema.safeParse(json);
  if (!result.success) return { ok: false, code: "invalid_message", message: describeIssues(result.error) };
  return { ok: true, value: result.data };
};

/** "`subscribe`: expected string; …" — the first three problems, one line. */
export const describeIssues = (error: z.ZodError): string =>
  error.issues
    .slice(0, 3)
    .map((i) => (i.path.length ? `\`${i.path.join(".")}\`: ${i.message}` : i.message))
    .join("; ");

/** A task id on the wire: a decimal string (or a safe integer) of a uint256. */
export const taskIdSchema = z
  .union([
    z.string().regex(/^\d{1,78}$/, "must be a decimal task id"),
    z.number().int().nonnegative().max(Number.MAX_SAFE_INTEGER),
  ])
  .transform((v) => BigInt(v).toString())
  .refine((v) => BigInt(v) < 2n ** 256n, "must fit in uint256");

/** A JSON body's media type: `application/json` or `application/*+json`, any parameters (charset=utf-8 only). */
export const isJsonContentType = (header: string | undefined | null): boolean => {
  if (!header) return false;
  const [type, ...params] = header.split(";").map((s) => s.trim().toLowerCase());
  if (!/^application\/([a-z0-9.+-]+\+)?json$/.test(type)) return false;
  const charset = params.find((p) => p.startsWith("charset="));
  return !charset || /^charset="?utf-8"?$/.test(charset);
};

export { z };
