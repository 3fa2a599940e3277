// Builds @cor-network/sdk into dist/: JavaScript + declarations (tsc, tsconfig.build.json), declaration imports
// rewritten from .ts to .js, and every generated ABI as JSON (dist/abis/<name>.json, export "./abis/*.json").
// Run: npm run build -w @cor-network/sdk (prepack regenerates the ABIs first).
import { execFileSync } from "node:child_process";
import { mkdirSync, readdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import * as abis from "../src/generated/abis.ts";

const root = join(dirname(fileURLToPath(import.meta.url)), "..");
const dist = join(root, "dist");
const tsc = join(root, "..", "node_modules", "typescript", "bin", "tsc");

rmSync(dist, { recursive: true, force: true });
execFileSync(process.execPath, [tsc, "-p", join(root, "tsconfig.build.json")], { stdio: "inherit" });

// tsc rewrites .ts specifiers in JavaScript but keeps them in declarations (`import type … from "./x.ts"`),
// which consumers without allowImportingTsExtensions reject.
const relativeTs = /((?:from|import)\s*\(?\s*["'])(\.{1,2}\/[^"']*?)\.ts(["'])/g;
const walk = (dir: string): string[] =>
  readdirSync(dir, { withFileTypes: true }).flatMap((e) =>
    e.isDirectory() ? walk(join(dir, e.name)) : [join(dir, e.name)],
  );
let rewritten = 0;
for (const file of walk(dist).filter((f) => f.endsWith(".d.ts"))) {
  const text = readFileSync(file, "utf8");
  const next = text.replace(relativeTs, "$1$2.js$3");
  if (next !== text) {
    writeFileSync(file, next);
    rewritten += 1;
  }
}

mkdirSync(join(dist, "abis"), { recursive: true });
const entries = Object.entries(abis);
for (const [name, abi] of entries) {
  writeFileSync(join(dist, "abis", `${name}.json`), `${JSON.stringify(abi, null, 2)}\n`);
}
const names = entries.map(([name]) => name);
process.stdout.write(`dist/ built: ${rewritten} declaration files rewritten, ABIs ${names.join(", ")}\n`);
