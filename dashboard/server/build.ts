/**
 * Builds the app with Vite when dashboard/dist is missing or older than its sources (the app, its config, and
 * the SDK modules it bundles), so `npm start` serves a current build without rebuilding every time (~2 s).
 */
import { existsSync, readdirSync, statSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";

export const dashboardDir = (): string => dirname(dirname(fileURLToPath(import.meta.url)));
export const distDir = (): string => join(dashboardDir(), "dist");

const newest = (path: string): number => {
  if (!existsSync(path)) return 0;
  const st = statSync(path);
  if (!st.isDirectory()) return st.mtimeMs;
  let max = 0;
  for (const name of readdirSync(path)) {
    if (name === "node_modules" || name.endsWith(".test.ts")) continue;
    max = Math.max(max, newest(join(path, name)));
  }
  return max;
};

/** True when dist/index.html is missing or older than any source the bundle is made of. */
export const buildIsStale = (): boolean => {
  const built = join(distDir(), "index.html");
  if (!existsSync(built)) return true;
  const root = dashboardDir();
  const sdk = join(root, "..", "sdk", "src");
  const sources = [join(root, "src"), join(root, "index.html"), join(root, "vite.config.ts"), sdk];
  return Math.max(...sources.map(newest)) > statSync(built).mtimeMs;
};

/** Runs `vite build` in-process into `outDir` (default dashboard/dist). */
export async function buildDashboard(outDir: string = distDir()): Promise<void> {
  const { build } = await import("vite");
  await build({
    configFile: join(dashboardDir(), "vite.config.ts"),
    logLevel: "warn",
    build: { outDir, emptyOutDir: true },
  });
}

/** Builds dashboard/dist when it is stale (or always with `force`). Returns whether it built. */
export async function ensureDashboardBuilt(opts: { force?: boolean } = {}): Promise<boolean> {
  if (!opts.force && !buildIsStale()) return false;
  await buildDashboard();
  return true;
}
