/**
 * Where the miner's GGUF model comes from.
 *
 * `resolveModelPath(input?)` picks, in order: the explicit `input`, the `COR_MODEL` environment
 * variable, then the bundled default `../shared/models/stories260K.gguf` relative to the repository
 * root (the nearest ancestor of this file holding `foundry.toml` or a `package.json` with
 * `workspaces`).
 *
 * - A relative explicit/env path is tried against the current directory first, then against the
 *   repository root.
 * - `hf:<user>/<repo>/<file>.gguf` (or `hf:<user>/<repo>:<quant>`) and `http(s)://` URIs are handed
 *   to node-llama-cpp's `resolveModelFile`, which downloads into `~/.node-llama-cpp/models` (or
 *   `modelsDir`) on first use and reuses the file afterwards. This needs network access on first
 *   use and is not covered by the offline tests.
 * - A missing file throws `ModelNotFoundError`, whose message names the path(s) tried and how to
 *   override.
 */
import { existsSync, readFileSync, statSync } from "node:fs";
import { dirname, isAbsolute, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";

/** The default model, relative to the repository root. */
export const DEFAULT_MODEL_RELATIVE = "../shared/models/stories260K.gguf";

/** Environment variable that overrides the model path. */
export const MODEL_ENV = "COR_MODEL";

export class ModelNotFoundError extends Error {
  override readonly name = "ModelNotFoundError";
  /** Absolute paths that were checked. */
  readonly tried: readonly string[];
  /** Where the model reference came from. */
  readonly source: "argument" | "env" | "default";

  constructor(path: string, tried: readonly string[], source: "argument" | "env" | "default") {
    const from = source === "argument" ? "given explicitly" : source === "env" ? `from ${MODEL_ENV}` : "default model";
    const where = tried.length > 1 ? ` (looked at ${tried.join(", ")})` : "";
    super(
      `Model file not found: ${tried[0] ?? path} [${from}]${where}. ` +
        `Pass the path of an existing .gguf file (modelPath / --model), set ${MODEL_ENV}=/path/to/model.gguf, ` +
        `or use ${MODEL_ENV}=hf:<user>/<repo>/<file>.gguf to download one.`,
    );
    this.tried = tried;
    this.source = source;
  }
}

/** True when `ref` is a remote model URI that node-llama-cpp must resolve (and maybe download). */
export function isRemoteModelRef(ref: string): boolean {
  return /^hf:/i.test(ref) || /^https?:\/\//i.test(ref);
}

let repoRootCache: string | undefined;

/**
 * The repository root: the nearest ancestor of this file (or of `from`) holding `foundry.toml` or
 * a `package.json` declaring `workspaces`. Throws if none is found.
 */
export function findRepoRoot(from?: string): string {
  const useCache = from === undefined;
  if (useCache && repoRootCache) return repoRootCache;
  const start = from ?? dirname(fileURLToPath(import.meta.url));
  let dir = resolve(start);
  for (;;) {
    if (existsSync(join(dir, "foundry.toml")) || hasWorkspaces(join(dir, "package.json"))) {
      if (useCache) repoRootCache = dir;
      return dir;
    }
    const parent = dirname(dir);
    if (parent === dir) throw new Error(`Could not find the repository root above ${start}`);
    dir = parent;
  }
}

function hasWorkspaces(pkgPath: string): boolean {
  if (!existsSync(pkgPath)) return false;
  try {
    const pkg = JSON.parse(readFileSync(pkgPath, "utf8")) as { workspaces?: unknown };
    return pkg.workspaces !== undefined;
  } catch {
    return false;
  }
}

function isFile(p: string): boolean {
  try {
    return statSync(p).isFile();
  } catch {
    return false;
  }
}

export interface ResolveModelOptions {
  /** Environment to read `COR_MODEL` from (default `process.env`). */
  env?: Readonly<Record<string, string | undefined>>;
  /** Base directory for relative paths (default `process.cwd()`). */
  cwd?: string;
  /** Download directory for `hf:`/URL models (default node-llama-cpp's `~/.node-llama-cpp/models`). */
  modelsDir?: string;
  /** Progress lines for downloads (default: written to stderr, at most one per 10%). */
  onLog?: (message: string) => void;
  /** Cancels a download. */
  signal?: AbortSignal;
}

/**
 * Resolves the miner's model to an absolute path of an existing GGUF file (see the module doc for
 * the order of sources). Throws `ModelNotFoundError` when the file does not exist.
 */
export async function resolveModelPath(input?: string, options: ResolveModelOptions = {}): Promise<string> {
  const env = options.env ?? process.env;
  const explicit = input?.trim() || undefined;
  const fromEnv = env[MODEL_ENV]?.trim() || undefined;
  const source = explicit ? "argument" : fromEnv ? "env" : "default";
  const ref = explicit ?? fromEnv;

  if (ref && isRemoteModelRef(ref)) return resolveRemoteModel(ref, options);

  const root = findRepoRoot();
  const tried: string[] = [];
  if (!ref) {
    tried.push(resolve(root, DEFAULT_MODEL_RELATIVE));
  } else if (isAbsolute(ref)) {
    tried.push(ref);
  } else {
    tried.push(resolve(options.cwd ?? process.cwd(), ref));
    const fromRoot = resolve(root, ref);
    if (fromRoot !== tried[0]) tried.push(fromRoot);
  }
  const found = tried.find(isFile);
  if (!found) throw new ModelNotFoundError(ref ?? DEFAULT_MODEL_RELATIVE, tried, source);
  return found;
}

async function resolveRemoteModel(ref: string, options: ResolveModelOptions): Promise<string> {
  const { resolveModelFile } = await import("node-llama-cpp");
  const log = options.onLog ?? ((m: string) => void process.stderr.write(`${m}\n`));
  let lastDecile = -1;
  log(`resolving model ${ref}`);
  const path = await resolveModelFile(ref, {
    ...(options.modelsDir ? { directory: options.modelsDir } : {}),
    cli: false,
    ...(options.signal ? { signal: options.signal } : {}),
    onProgress: ({ totalSize, downloadedSize }) => {
      if (totalSize <= 0) return;
      const decile = Math.floor((downloadedSize / totalSize) * 10);
      if (decile === lastDecile) return;
      lastDecile = decile;
      const mb = (n: number) => (n / 1e6).toFixed(1);
      log(`downloading ${ref}: ${decile * 10}% (${mb(downloadedSize)} / ${mb(totalSize)} MB)`);
    },
  });
  log(`model ${ref} → ${path}`);
  return path;
}
