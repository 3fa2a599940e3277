/** The miner's inference engine, chat prompt rendering and model resolution. */
export {
  createInferenceEngine,
  EngineClosedError,
  type GenerateRequest,
  type GenerateResult,
  type InferenceEngine,
  type InferenceEngineOptions,
  PromptTooLongError,
  type StopReason,
} from "./engine.ts";
export { ASSISTANT_CUE, type ChatContentPart, type ChatMessage, renderChatPrompt } from "./chat.ts";
export {
  DEFAULT_MODEL_RELATIVE,
  findRepoRoot,
  isRemoteModelRef,
  MODEL_ENV,
  ModelNotFoundError,
  type ResolveModelOptions,
  resolveModelPath,
} from "./model.ts";
export { getSharedLlama, sha256File, type SharedLlamaOptions } from "./llama.ts";
