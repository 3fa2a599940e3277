/** An OpenAI-shaped HTTP error: `{ error: { message, type, param, code } }` with the status and extra headers. */
export class GatewayError extends Error {
  override readonly name = "GatewayError";
  constructor(
    readonly status: 400 | 401 | 403 | 404 | 405 | 409 | 413 | 429 | 500 | 502 | 503 | 504,
    message: string,
    readonly type: string,
    readonly code: string,
    readonly headers: Record<string, string> = {},
    readonly param: string | null = null,
  ) {
    super(message);
  }
  body() {
    return { error: { message: this.message, type: this.type, param: this.param, code: this.code } };
  }
}

export const badRequest = (message: string, code = "invalid_request", param: string | null = null) =>
  new GatewayError(400, message, "invalid_request_error", code, {}, param);
