/** The miner's inference engine, chat prompt rendering and model resolution. */

export { ASSISTANT_CUE, type ChatContentPart, type ChatMessage, renderChatPrompt } from "./chat.ts";
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
export { getSharedLlama, type SharedLlamaOptions, sha256File } from "./llama.ts";
export {
  DEFAULT_MODEL_RELATIVE,
  findRepoRoot,
  isRemoteModelRef,
  MODEL_ENV,
  ModelNotFoundError,
  type ResolveModelOptions,
  resolveModelPath,
} from "./model.ts";
export {
  createReplayScorer,
  ModelIdMismatchError,
  type ReplayFault,
  type ReplayRequest,
  type ReplayScorer,
  type ReplayScorerOptions,
  type ReplayVerdict,
} from "./replay.ts";
export { GREEDY, isGreedy, type SamplingParams, samplingFromConfig } from "./sampling.ts";
export { committedTokenCount, outputTokensOf, promptTokensOf } from "./tokens.ts";
