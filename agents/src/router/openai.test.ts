import { describe, expect, it } from "vitest";
import { createLogger } from "../shared/logger.ts";
import { createPromptCounter, createStopFilter, cutAtStop, finishReason, readCompletionOptions } from "./openai.ts";

const opts = { defaultMaxTokens: 128, maxTokensCap: 512, chat: true };

describe("readCompletionOptions", () => {
  it("accepts max_completion_tokens over max_tokens, stop as string or list, include_usage with stream", () => {
    expect(
      readCompletionOptions(
        { max_tokens: 5, max_completion_tokens: 7, stop: "\n", stream: true, stream_options: { include_usage: true } },
        opts,
      ),
    ).toEqual({
      maxTokens: 7,
      stop: ["\n"],
      stream: true,
      includeUsage: true,
    });
    expect(readCompletionOptions({ stop: ["a", "b"] }, opts)).toMatchObject({
      maxTokens: 128,
      stop: ["a", "b"],
      includeUsage: false,
    });
    expect(readCompletionOptions({ temperature: 0, top_p: 1, seed: 42, n: 1 }, opts)).toMatchObject({ maxTokens: 128 });
  });

  it.each([
    [{ n: 3 }, "n"],
    [{ logprobs: true }, "logprobs"],
    [{ top_logprobs: 2 }, "logprobs"],
    [{ tools: [] }, "tools"],
    [{ tool_choice: "auto" }, "tool_choice"],
    [{ temperature: 0.8 }, "temperature"],
    [{ temperature: "hot" }, "temperature"],
    [{ top_p: 0.9 }, "top_p"],
    [{ seed: -1 }, "seed"],
    [{ max_tokens: 0 }, "max_tokens"],
    [{ max_completion_tokens: 1000 }, "max_completion_tokens"],
    [{ stop: ["a", "b", "c", "d", "e"] }, "stop"],
    [{ stop: [""] }, "stop"],
    [{ stream_options: { include_usage: true } }, "stream_options"],
    [{ response_format: { type: "json_object" } }, "response_format"],
  ])("refuses %j with a 400 naming `%s`", (body, param) => {
    const r = readCompletionOptions(body as Record<string, unknown>, opts);
    expect(r).toMatchObject({ param });
    expect((r as { message: string }).message.length).toBeGreaterThan(10);
  });

  it("temperature/top_p must match the session's declared sampling (a sampled Cortensor-style session)", () => {
    const sampled = { ...opts, sampling: { temperature: 0.7, topP: 0.9 } };
    expect(readCompletionOptions({ temperature: 0.7, top_p: 0.9, seed: 1 }, sampled)).toMatchObject({ maxTokens: 128 });
    expect(readCompletionOptions({}, sampled)).toMatchObject({ maxTokens: 128 });
    const wrong = readCompletionOptions({ temperature: 0 }, sampled);
    expect(wrong).toMatchObject({ param: "temperature", code: "unsupported_sampling" });
    expect((wrong as { message: string }).message).toContain("temperature 0.7, top_p 0.9");
    expect(readCompletionOptions({ top_p: 1 }, sampled)).toMatchObject({ param: "top_p" });
    // top_p 0 on chain means off: a request's top_p 1 matches it.
    expect(readCompletionOptions({ top_p: 1 }, { ...opts, sampling: { temperature: 0.5, topP: 0 } })).toMatchObject({
      maxTokens: 128,
    });
  });

  it("completions-only parameters", () => {
    const text = { ...opts, chat: false };
    expect(readCompletionOptions({ echo: true }, text)).toMatchObject({ param: "echo" });
    expect(readCompletionOptions({ best_of: 2 }, text)).toMatchObject({ param: "best_of" });
    expect(readCompletionOptions({ suffix: "x" }, text)).toMatchObject({ param: "suffix" });
    expect(readCompletionOptions({ logprobs: 2 }, text)).toMatchObject({ param: "logprobs" });
    expect(readCompletionOptions({ logprobs: null }, text)).toMatchObject({ maxTokens: 128 });
  });
});

describe("stop sequences", () => {
  it("cutAtStop cuts at the earliest of several sequences", () => {
    expect(cutAtStop("one. two! three", [" three", "!"])).toEqual({ text: "one. two", stopped: true });
    expect(cutAtStop("no stop here", ["zz"])).toEqual({ text: "no stop here", stopped: false });
  });

  it("the stream filter holds back a possible stop prefix and never shows the stop or anything after it", () => {
    const f = createStopFilter(["END"]);
    const shown = ["Hello E", "N", "ough", " then E", "ND and more"].map((p) => f.push(p));
    expect(shown.join("")).toBe("Hello ENough then ");
    expect(f.stopped).toBe(true);
    expect(f.push("later")).toBe("");
    expect(f.end()).toBe("");
  });

  it("without a stop the held tail is released at the end", () => {
    const f = createStopFilter(["xyz"]);
    expect(f.push("abcx") + f.push("y")).toBe("abc");
    expect(f.end()).toBe("xy");
    expect(createStopFilter([]).push("as is")).toBe("as is");
  });

  it("finish_reason is length only when all max tokens were used and no stop cut the text", () => {
    expect(finishReason({ stopped: false, tokens: 16, maxTokens: 16 })).toBe("length");
    expect(finishReason({ stopped: false, tokens: 9, maxTokens: 16 })).toBe("stop");
    expect(finishReason({ stopped: true, tokens: 16, maxTokens: 16 })).toBe("stop");
  });
});

describe("prompt token counter (real GGUF tokenizer)", () => {
  it("counts BOS + prompt tokens of the bundled stories260K for its model id, nothing for another model", async () => {
    const { sha256File } = await import("../inference/llama.ts");
    const { resolveModelPath } = await import("../inference/model.ts");
    const path = await resolveModelPath(process.env.COR_MODEL ?? "/work/shared/models/stories260K.gguf");
    const id = `0x${await sha256File(path)}` as const;
    const count = createPromptCounter(createLogger("test"), path);
    const short = await count(id, "Once upon a time");
    const long = await count(id, "Once upon a time there was a little girl who loved to play outside.");
    expect(short).toBeGreaterThan(2);
    expect(long).toBeGreaterThan(short as number);
    expect(await count(`0x${"00".repeat(32)}`, "Once upon a time")).toBeUndefined();
  });
});
