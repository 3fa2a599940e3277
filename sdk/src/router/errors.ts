import { BaseError } from "../errors/base.ts";

/** The OpenAI error body routers and the gateway answer with: `{ error: { message, type, code } }`. */
export type OpenAIErrorBody = {
  error: { message: string; type?: string | null; code?: string | number | null; param?: string | null };
};

export type RouterHttpErrorType = RouterHttpError & { name: "RouterHttpError" };

/** A router answered with an error status (or an error event mid-stream). Retryable for 408, 429 and 5xx. */
export class RouterHttpError extends BaseError {
  override name = "RouterHttpError" as const;
  /** HTTP status (200 for an error sent inside a stream). */
  status: number;
  /** OpenAI error type, e.g. "invalid_request_error", "rate_limit_error". */
  type: string | undefined;
  /** OpenAI error code, e.g. "insufficient_deposit". */
  code: string | number | undefined;
  /** The x-request-id of the response, to quote when asking the operator. */
  requestId: string | undefined;
  url: string;
  /** The raw body when it was not OpenAI-shaped. */
  body: string | undefined;

  constructor(p: {
    status: number;
    url: string;
    message: string;
    type?: string | null | undefined;
    code?: string | number | null | undefined;
    requestId?: string | null | undefined;
    body?: string | undefined;
  }) {
    super(p.message, {
      metaMessages: [
        `Status: ${p.status}${p.type ? ` (${p.type}${p.code !== undefined && p.code !== null ? `, ${p.code}` : ""})` : ""}`,
        `URL: ${p.url}`,
        ...(p.requestId ? [`Request id: ${p.requestId}`] : []),
      ],
      docsSlug: "router-client",
      retryable: p.status === 408 || p.status === 429 || p.status >= 500,
    });
    this.status = p.status;
    this.type = p.type ?? undefined;
    this.code = p.code ?? undefined;
    this.requestId = p.requestId ?? undefined;
    this.url = p.url;
    this.body = p.body;
  }
}

export type RouterConnectionErrorType = RouterConnectionError & { name: "RouterConnectionError" };

/** The router could not be reached at all (refused, reset, DNS). Retryable. */
export class RouterConnectionError extends BaseError {
  override name = "RouterConnectionError" as const;
  url: string;
  constructor(p: { url: string; cause: unknown }) {
    super(`Could not reach the router at ${p.url}.`, { cause: p.cause, retryable: true, docsSlug: "router-client" });
    this.url = p.url;
  }
}
