// Fast source-level checks of the package layout (the packed tarball is tested in package.test.ts):
// every export's "cor-source" file exists and comes first, and the browser entries bundle from sources for
// platform "browser" without reaching a Node built-in or the Node-only storage backends.
import { existsSync, readFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { build } from "esbuild";
import { expect, test } from "vitest";

const sdk = join(dirname(fileURLToPath(import.meta.url)), "..");
const pkg = JSON.parse(readFileSync(join(sdk, "package.json"), "utf8"));

test("every export has its source condition first, pointing at an existing .ts file", () => {
  const entries = Object.entries(pkg.exports as Record<string, string | Record<string, string>>).filter(
    (e): e is [string, Record<string, string>] => typeof e[1] !== "string",
  );
  expect(entries.map(([name]) => name)).toEqual([".", "./wagmi", "./storage", "./node", "./testing"]);
  for (const [name, conditions] of entries) {
    expect(Object.keys(conditions), name).toEqual(["cor-source", "types", "default"]);
    expect(existsSync(join(sdk, conditions["cor-source"])), conditions["cor-source"]).toBe(true);
    expect(conditions.types.replace(/^\.\/dist\/(.*)\.d\.ts$/, "./src/$1.ts"), name).toBe(conditions["cor-source"]);
  }
});

test.each([
  ["src/index.ts", "main entry"],
  ["src/wagmi/index.ts", "wagmi entry"],
])("%s (%s) bundles for the browser from sources", async (entry) => {
  const result = await build({
    entryPoints: [join(sdk, entry)],
    bundle: true,
    platform: "browser",
    format: "esm",
    write: false,
    metafile: true,
    logLevel: "silent",
  });
  const inputs = Object.keys(result.metafile.inputs);
  expect(
    inputs.filter((i) =>
      /^node:|blockstore-fs|kubo-rpc-client|sdk\/src\/(node|testing|storage\/(index|embedded|kubo|util))/.test(i),
    ),
  ).toEqual([]);
  expect(result.outputFiles[0].text).not.toMatch(/\bprocess\.(env|versions|platform|cwd|nextTick)\b/);
});

test("the Node-only entries do not bundle for the browser (the check above can fail)", async () => {
  await expect(
    build({
      entryPoints: [join(sdk, "src/node.ts")],
      bundle: true,
      platform: "browser",
      write: false,
      logLevel: "silent",
    }),
  ).rejects.toThrow(/node:/);
});
