import { execFile } from "node:child_process";
import { fileURLToPath } from "node:url";
import { promisify } from "node:util";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createInferenceEngine, EngineClosedError, type InferenceEngine } from "./engine.ts";
import { findRepoRoot, ModelNotFoundError, resolveModelPath } from "./model.ts";

const execFileAsync = promisify(execFile);

const LILY = "Once upon a time, there was a little girl named Lily. She";
const STORIES_SHA256 = "270cba1bd5109f42d03350f60406024560464db173c0e387d91f0426d3bd256d";

let modelPath: string;
let engine: InferenceEngine;

beforeAll(async () => {
  modelPath = await resolveModelPath();
  engine = await createInferenceEngine({ modelPath, threads: 1 });
});

afterAll(async () => {
  await engine?.close();
});

describe("createInferenceEngine", () => {
  it("loads stories260K with explicit threads and exposes file identity", () => {
    expect(engine.modelFile).toBe("stories260K.gguf");
    expect(engine.sha256).toBe(STORIES_SHA256);
    expect(engine.threads).toBe(1);
    expect(engine.maxConcurrency).toBe(1);
    expect(engine.contextSize).toBe(2048);
  });

  it("requires threads explicitly", async () => {
    await expect(createInferenceEngine({ modelPath, threads: undefined as unknown as number })).rejects.toThrow(
      /threads must be a positive integer/,
    );
    await expect(createInferenceEngine({ modelPath, threads: 0 })).rejects.toThrow(TypeError);
  });

  it("fails clearly for a missing model file", async () => {
    const missing = "/nonexistent/dir/missing-model.gguf";
    const err = await createInferenceEngine({ modelPath: missing, threads: 1 }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(ModelNotFoundError);
    expect((err as Error).message).toContain(missing);
    expect((err as Error).message).toContain("COR_MODEL");
  });
});

describe("generate", () => {
  it("produces the known greedy completion", async () => {
    const r = await engine.generate({ prompt: LILY, maxTokens: 64 });
    expect(r.text.startsWith(" loved to play outside in the park")).toBe(true);
    expect(r.text).toContain("One day, she saw a big, red ball.");
    expect(r.tokens).toBe(64);
    expect(r.promptTokens).toBe(19); // BOS + 18
    expect(r.stopReason).toBe("maxTokens");
    expect(r.ms).toBeGreaterThan(0);
    expect(r.firstTokenMs).toBeGreaterThan(0);
    expect(r.firstTokenMs).toBeLessThanOrEqual(r.ms);
  });

  it("is deterministic across calls", async () => {
    const a = await engine.generate({ prompt: "The little dog", maxTokens: 48 });
    await engine.generate({ prompt: "Tom and Sue went to the beach.", maxTokens: 20 }); // different state in between
    const b = await engine.generate({ prompt: "The little dog", maxTokens: 48 });
    expect(b.text).toBe(a.text);
    expect(b.tokens).toBe(a.tokens);
  });

  it("respects maxTokens", async () => {
    for (const maxTokens of [1, 5, 17]) {
      const r = await engine.generate({ prompt: LILY, maxTokens });
      expect(r.tokens).toBeGreaterThan(0);
      expect(r.tokens).toBeLessThanOrEqual(maxTokens);
      expect(r.text.length).toBeGreaterThan(0);
    }
    const one = await engine.generate({ prompt: LILY, maxTokens: 1 });
    expect(one.text).toBe(" lo"); // the vocabulary has 512 pieces: " loved" is " lo" + "ved"
    await expect(engine.generate({ prompt: LILY, maxTokens: 0 })).rejects.toThrow(TypeError);
  });

  it("streams pieces whose concatenation is the final text", async () => {
    const pieces: string[] = [];
    const r = await engine.generate({ prompt: LILY, maxTokens: 80, onToken: (p) => pieces.push(p) });
    expect(pieces.length).toBeGreaterThan(10);
    expect(pieces.join("")).toBe(r.text);
    expect(pieces[0]).toBe(" lo"); // the leading space survives streaming
  });

  it("generates from an empty prompt (BOS only)", async () => {
    const r = await engine.generate({ prompt: "", maxTokens: 8 });
    expect(r.promptTokens).toBe(1);
    expect(r.text.startsWith("Once upon a time")).toBe(true);
  });

  it("stops when the context is full instead of shifting it", async () => {
    const small = await createInferenceEngine({ modelPath, threads: 1, contextSize: 256 });
    try {
      expect(small.contextSize).toBe(256);
      const r = await small.generate({ prompt: LILY, maxTokens: 1000 });
      expect(r.stopReason).toBe("contextFull");
      expect(r.promptTokens + r.tokens).toBeLessThanOrEqual(256);
      const full = await engine.generate({ prompt: LILY, maxTokens: r.tokens });
      expect(full.text).toBe(r.text); // context size does not change the text while it fits
    } finally {
      await small.close();
    }
  });

  it("is byte-identical in a second process", async () => {
    const local = await engine.generate({ prompt: LILY, maxTokens: 64 });
    const script = fileURLToPath(new URL("./generate.script.ts", import.meta.url));
    const { stdout } = await execFileAsync(
      process.execPath,
      [
        "--conditions=cor-source",
        "--import",
        "tsx",
        script,
        JSON.stringify({ prompt: LILY, maxTokens: 64, threads: 1, modelPath }),
      ],
      { cwd: findRepoRoot(), timeout: 60_000 },
    );
    const remote = JSON.parse(stdout.trim().split("\n").at(-1) as string) as {
      text: string;
      tokens: number;
      sha256: string;
    };
    expect(remote.text).toBe(local.text);
    expect(remote.tokens).toBe(local.tokens);
    expect(remote.sha256).toBe(STORIES_SHA256);
  });

  it("gives the same text with 2 threads", async () => {
    // Kept short: 2 threads on a busy 2-core host is very slow (llama.cpp threads spin-wait).
    const two = await createInferenceEngine({ modelPath, threads: 2 });
    try {
      expect(two.threads).toBe(2);
      const a = await two.generate({ prompt: LILY, maxTokens: 12 });
      const b = await engine.generate({ prompt: LILY, maxTokens: 12 });
      expect(a.text).toBe(b.text);
    } finally {
      await two.close();
    }
  });
});

describe("concurrency", () => {
  it("runs one generation at a time with maxConcurrency 1, FIFO", async () => {
    const t0 = performance.now();
    const order: string[] = [];
    const run = (name: string, prompt: string) =>
      engine.generate({ prompt, maxTokens: 48 }).then((r) => {
        order.push(name);
        const start = t0 + r.queueMs;
        return { ...r, start, end: start + r.ms };
      });
    // A call's interval is measured after it leaves the queue; allow sub-ms timer skew.
    const pa = run("a", "The little dog");
    const pb = run("b", "Tom had a red car.");
    const pc = run("c", "Sue was sad.");
    expect(engine.active).toBe(1);
    expect(engine.queued).toBe(2);
    const [a, b, c] = await Promise.all([pa, pb, pc]);
    expect(order).toEqual(["a", "b", "c"]);
    expect(b.start).toBeGreaterThanOrEqual(a.end - 1);
    expect(c.start).toBeGreaterThanOrEqual(b.end - 1);
    expect(b.queueMs).toBeGreaterThan(a.queueMs);
    expect(engine.active).toBe(0);
    expect(engine.queued).toBe(0);
  });

  it("lets a queued call be aborted", async () => {
    const first = engine.generate({ prompt: LILY, maxTokens: 32 });
    const ac = new AbortController();
    const second = engine.generate({ prompt: LILY, maxTokens: 32, signal: ac.signal });
    expect(engine.queued).toBe(1);
    ac.abort(new Error("client went away"));
    await expect(second).rejects.toThrow("client went away");
    expect(engine.queued).toBe(0);
    await expect(first).resolves.toMatchObject({ tokens: 32 });
  });

  it("aborts a running generation and stays usable", async () => {
    const ac = new AbortController();
    let pieces = 0;
    const aborted = engine.generate({
      prompt: LILY,
      maxTokens: 500,
      signal: ac.signal,
      onToken: () => {
        if (++pieces === 3) ac.abort(new Error("stop now"));
      },
    });
    await expect(aborted).rejects.toThrow("stop now");
    expect(pieces).toBeLessThan(10);
    const r = await engine.generate({ prompt: LILY, maxTokens: 12 });
    expect(r.text.startsWith(" loved to play")).toBe(true);
  });

  it("runs maxConcurrency generations in parallel with the same output as sequential ones", async () => {
    const prompts = ["The little dog", "Tom had a red car.", LILY];
    const sequential = [];
    for (const prompt of prompts) sequential.push((await engine.generate({ prompt, maxTokens: 40 })).text);
    const par = await createInferenceEngine({ modelPath, threads: 1, maxConcurrency: 2 });
    try {
      const pending = prompts.map((prompt) => par.generate({ prompt, maxTokens: 40 }));
      expect(par.active).toBe(2);
      expect(par.queued).toBe(1);
      const results = await Promise.all(pending);
      expect(results.map((r) => r.text)).toEqual(sequential);
    } finally {
      await par.close();
    }
  });

  it("rejects calls after close", async () => {
    const e = await createInferenceEngine({ modelPath, threads: 1 });
    const running = e.generate({ prompt: LILY, maxTokens: 16 });
    const queued = e.generate({ prompt: LILY, maxTokens: 16 });
    const closing = e.close();
    await expect(queued).rejects.toBeInstanceOf(EngineClosedError);
    await expect(running).resolves.toMatchObject({ tokens: 16 }); // running calls finish
    await closing;
    await expect(e.generate({ prompt: LILY, maxTokens: 4 })).rejects.toBeInstanceOf(EngineClosedError);
  });
});
