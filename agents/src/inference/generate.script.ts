/**
 * One-shot generation in a fresh process, printing the result as JSON on stdout.
 * Used by engine.test.ts to check cross-process determinism; also handy by hand:
 *
 *   node --conditions=cor-source --import tsx agents/src/inference/generate.script.ts \
 *     '{"prompt":"Once upon a time","maxTokens":32,"threads":1}'
 *
 * Input JSON fields: prompt (required), maxTokens (default 64), threads (default 1),
 * modelPath (default: resolveModelPath(), i.e. COR_MODEL or the bundled stories260K).
 */
import { createInferenceEngine } from "./engine.ts";
import { resolveModelPath } from "./model.ts";

interface Input {
  prompt: string;
  maxTokens?: number;
  threads?: number;
  modelPath?: string;
}

const input = JSON.parse(process.argv[2] ?? "{}") as Input;
if (typeof input.prompt !== "string") {
  process.stderr.write('usage: generate.script.ts \'{"prompt":"...","maxTokens":64,"threads":1}\'\n');
  process.exit(2);
}
const engine = await createInferenceEngine({
  modelPath: await resolveModelPath(input.modelPath),
  threads: input.threads ?? 1,
});
try {
  const r = await engine.generate({ prompt: input.prompt, maxTokens: input.maxTokens ?? 64 });
  process.stdout.write(
    `${JSON.stringify({ text: r.text, tokens: r.tokens, promptTokens: r.promptTokens, sha256: engine.sha256, threads: engine.threads })}\n`,
  );
} finally {
  await engine.close();
}
