import { readFileSync } from "node:fs";
import { dirname, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { expect, test } from "vitest";

const here = dirname(fileURLToPath(import.meta.url));

/** Runtime (non-type) import specifiers of a TypeScript file. */
const runtimeImports = (file: string): string[] => {
  const source = readFileSync(file, "utf8");
  const specs: string[] = [];
  for (const m of source.matchAll(/^(?:import|export)\s+(type\s+)?(?:[^;]*?\sfrom\s+)?["']([^"']+)["']/gms)) {
    if (!m[1]) specs.push(m[2]);
  }
  return specs;
};

test("the wagmi entry never reaches node: built-ins (it must bundle for browsers)", () => {
  const seen = new Set<string>();
  const offenders: string[] = [];
  const visit = (file: string) => {
    if (seen.has(file)) return;
    seen.add(file);
    for (const spec of runtimeImports(file)) {
      if (spec.startsWith("node:") || ["fs", "path", "crypto", "os", "child_process"].includes(spec)) {
        offenders.push(`${file} imports ${spec}`);
      } else if (spec.startsWith(".")) {
        visit(resolve(dirname(file), spec));
      }
    }
  };
  visit(join(here, "index.ts"));
  expect(offenders).toEqual([]);
  expect(seen.size).toBeGreaterThan(10);
});
