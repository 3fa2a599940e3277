export {
  collectStream,
  corTaskId,
  createRouterClient,
  type RequestOptions,
  type RouterClient,
  type RouterClientOptions,
  type RouterStream,
} from "./client.ts";
export {
  type OpenAIErrorBody,
  RouterConnectionError,
  type RouterConnectionErrorType,
  RouterHttpError,
  type RouterHttpErrorType,
} from "./errors.ts";
export { parseServerSentEvents, type ServerSentEvent } from "./sse.ts";
export type * from "./types.ts";
