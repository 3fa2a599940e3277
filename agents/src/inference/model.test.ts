import { existsSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, relative } from "node:path";
import { describe, expect, it } from "vitest";
import { findRepoRoot, isRemoteModelRef, ModelNotFoundError, resolveModelPath } from "./model.ts";

const DEFAULT = join(findRepoRoot(), "..", "shared", "models", "stories260K.gguf");

describe("findRepoRoot", () => {
  it("finds the directory holding foundry.toml / the workspaces package.json", () => {
    const root = findRepoRoot();
    expect(existsSync(join(root, "foundry.toml")) || existsSync(join(root, "package.json"))).toBe(true);
    expect(existsSync(join(root, "agents", "src", "inference", "model.ts"))).toBe(true);
    expect(findRepoRoot(join(root, "agents", "src", "inference"))).toBe(root);
  });
});

describe("resolveModelPath", () => {
  it("defaults to ../shared/models/stories260K.gguf from the repository root", async () => {
    await expect(resolveModelPath(undefined, { env: {} })).resolves.toBe(DEFAULT);
  });

  it("prefers the explicit path, then COR_MODEL", async () => {
    const dir = mkdtempSync(join(tmpdir(), "cor-model-"));
    const a = join(dir, "a.gguf");
    const b = join(dir, "b.gguf");
    writeFileSync(a, "x");
    writeFileSync(b, "x");
    await expect(resolveModelPath(a, { env: { COR_MODEL: b } })).resolves.toBe(a);
    await expect(resolveModelPath(undefined, { env: { COR_MODEL: b } })).resolves.toBe(b);
    await expect(resolveModelPath("  ", { env: { COR_MODEL: b } })).resolves.toBe(b);
    rmSync(dir, { recursive: true, force: true });
  });

  it("resolves a relative path against cwd, then the repository root", async () => {
    const root = findRepoRoot();
    const rel = relative(root, DEFAULT); // ../shared/models/stories260K.gguf
    await expect(resolveModelPath(rel, { env: {}, cwd: root })).resolves.toBe(DEFAULT);
    await expect(resolveModelPath(rel, { env: {}, cwd: tmpdir() })).resolves.toBe(DEFAULT);
  });

  it("throws ModelNotFoundError naming the path and the override", async () => {
    const err = await resolveModelPath("/no/such/model.gguf", { env: {} }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(ModelNotFoundError);
    const e = err as ModelNotFoundError;
    expect(e.source).toBe("argument");
    expect(e.message).toContain("/no/such/model.gguf");
    expect(e.message).toContain("COR_MODEL=");

    const fromEnv = await resolveModelPath(undefined, { env: { COR_MODEL: "missing.gguf" }, cwd: "/tmp" }).catch(
      (x: unknown) => x as ModelNotFoundError,
    );
    expect(fromEnv).toBeInstanceOf(ModelNotFoundError);
    expect((fromEnv as ModelNotFoundError).source).toBe("env");
    expect((fromEnv as ModelNotFoundError).tried).toEqual(["/tmp/missing.gguf", join(findRepoRoot(), "missing.gguf")]);
    expect((fromEnv as Error).message).toMatch(/from COR_MODEL/);
  });

  it("rejects a directory", async () => {
    await expect(resolveModelPath(tmpdir(), { env: {} })).rejects.toBeInstanceOf(ModelNotFoundError);
  });

  it("recognises remote references (downloaded by node-llama-cpp, not tested offline)", () => {
    expect(isRemoteModelRef("hf:ggml-org/models/tinyllamas/stories260K.gguf")).toBe(true);
    expect(isRemoteModelRef("https://example.com/m.gguf")).toBe(true);
    expect(isRemoteModelRef("./hf/model.gguf")).toBe(false);
  });
});
