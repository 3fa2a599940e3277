/**
 * The one tokenization rule miners and validators share (a protocol convention, like chat.ts):
 *
 * - prompt: BOS (when the model wants one, as LlamaCompletion decides) + `tokenize(prompt)`, with
 *   the leading-space trim llama.cpp applies after BOS;
 * - output: `tokenize(output)` with the same trim, so the output's leading space stays part of its
 *   first token. Its length (capped at maxTokens) is the token count a miner commits and reveals for
 *   the result, and the count a validator re-derives: a function of the revealed text, never
 *   self-reported, so identical results are paid the same count.
 *
 * A greedy generation can occasionally pick a non-canonical split of a word (two short pieces where
 * the tokenizer would use one long piece); the text is still the same, the count may differ by one
 * from the number of sampling steps, and the replay scorer treats such a split as a match (see
 * replay.ts).
 */
import { type LlamaModel, LlamaVocabularyType, type Token } from "node-llama-cpp";

/** The token LlamaCompletion prepends to the prompt (mirrors node-llama-cpp's internal rule). */
export function beginningToken(model: LlamaModel): Token | null {
  const vocab = model.vocabularyType;
  if (vocab === LlamaVocabularyType.rwkv || vocab === LlamaVocabularyType.ugm) return null;
  if (vocab === LlamaVocabularyType.wpm) return model.tokens.bos;
  return model.tokens.shouldPrependBosToken ? model.tokens.bos : null;
}

/** The prompt exactly as the engine evaluates it: BOS (if any) + the prompt's tokens. */
export function promptTokensOf(model: LlamaModel, prompt: string): Token[] {
  const bos = beginningToken(model);
  return [
    ...(bos !== null ? [bos] : []),
    ...model.tokenize(prompt, false, bos !== null ? "trimLeadingSpace" : undefined),
  ];
}

/** The canonical tokens of a result text (what its committed token count counts). */
export function outputTokensOf(model: LlamaModel, output: string): Token[] {
  return model.tokenize(output, false, "trimLeadingSpace");
}

/**
 * The token count committed for a result: its canonical token count, capped at the task's
 * maxTokens (a sampled draw of maxTokens steps can re-tokenize to a few more canonical tokens; the
 * task never pays for more than maxTokens).
 */
export function committedTokenCount(model: LlamaModel, output: string, maxTokens: number): number {
  return Math.min(outputTokensOf(model, output).length, maxTokens);
}
