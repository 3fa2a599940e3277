// The SDK as a dapp developer gets it: built (tsc), packed (npm pack), installed from the tarball into a fresh app,
// type-checked under a default strict tsconfig (`tsc --init` of TypeScript 5.9, library checks on) with
// moduleResolution bundler and NodeNext, bundled for the browser (esbuild, platform browser, no polyfills), and run
// by plain `node`. Every ```ts snippet of docs/sdk.md, sdk/README.md and README.md compiles against the package.
import { execFile } from "node:child_process";
import { cpSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, symlinkSync, writeFileSync } from "node:fs";
import { createServer } from "node:http";
import type { AddressInfo } from "node:net";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { gzipSync } from "node:zlib";
import { build } from "esbuild";
import { chromium } from "playwright-core";
import { keccak256, toBytes } from "viem";
import { afterAll, beforeAll, describe, expect, test } from "vitest";
import { getDeployment } from "../src/deployments.ts";

const sdk = join(dirname(fileURLToPath(import.meta.url)), "..");
const root = join(sdk, "..");
const fixtures = join(sdk, "test", "app");
const tsc = join(root, "node_modules", "typescript", "bin", "tsc");
const CHROMIUM = process.env.COR_CHROMIUM ?? "/usr/bin/chromium";
const DOCS = ["docs/sdk.md", "sdk/README.md", "README.md"];
// `npx tsc --init` of TypeScript 5.9.3 with noEmit. The bundler check also turns library checks on, so that the
// SDK's own declarations are checked (skipLibCheck: false), once: it is the slow part.
const DEFAULT_TSCONFIG = {
  module: "nodenext",
  target: "esnext",
  types: [],
  noUncheckedIndexedAccess: true,
  exactOptionalPropertyTypes: true,
  strict: true,
  verbatimModuleSyntax: true,
  isolatedModules: true,
  noUncheckedSideEffectImports: true,
  moduleDetection: "force",
  skipLibCheck: true,
  noEmit: true,
};

type Run = { code: number; stdout: string; stderr: string };
/** Runs a command; never rejects (the exit code and output are asserted by the caller). */
const run = (command: string, args: string[], cwd: string): Promise<Run> => {
  // npm_* variables of an enclosing `npm test` (workspace, prefix, …) must not steer the app's own npm.
  const env = Object.fromEntries(Object.entries(process.env).filter(([k]) => !k.toLowerCase().startsWith("npm_")));
  return new Promise((resolve) => {
    execFile(command, args, { cwd, env, maxBuffer: 64 * 1024 * 1024, timeout: 240_000 }, (error, stdout, stderr) =>
      resolve({ code: error ? (typeof error.code === "number" ? error.code : 1) : 0, stdout, stderr }),
    );
  });
};
const ok = (r: Run, what: string): Run => {
  if (r.code !== 0) throw new Error(`${what} failed (exit ${r.code}):\n${r.stdout}\n${r.stderr}`);
  return r;
};

/** ```ts blocks of a markdown file (indented ones inside lists too), dedented. */
export const tsSnippets = (markdown: string): string[] =>
  [...markdown.matchAll(/^( *)```ts\n([\s\S]*?)^\1```/gm)].map(([, indent, body]) =>
    body
      .split("\n")
      .map((line) => (line.startsWith(indent) ? line.slice(indent.length) : line))
      .join("\n"),
  );

let work: string;
let app: string;
let tarball: string;

const started = performance.now();
const lap = (what: string) => process.stdout.write(`${what}: ${((performance.now() - started) / 1000).toFixed(1)} s\n`);

beforeAll(async () => {
  work = mkdtempSync(join(tmpdir(), "cor-sdk-package-"));
  app = join(work, "app");
  mkdirSync(app);
  ok(await run(process.execPath, ["--conditions=cor-source", "--import", "tsx", "scripts/build.ts"], sdk), "build");
  lap("built");
  const packed = ok(await run("npm", ["pack", "--ignore-scripts", "--json", "--pack-destination", work], sdk), "pack");
  tarball = join(work, JSON.parse(packed.stdout)[0].filename);

  writeFileSync(
    join(app, "package.json"),
    JSON.stringify({
      name: "app",
      private: true,
      type: "module",
      dependencies: { "@cor-network/sdk": `file:${tarball}` },
    }),
  );
  // The SDK and its own dependencies come from the tarball (registry, cache first); the peers viem and @wagmi/core
  // (and @types/node) are the workspace's copies, linked like a hoisted install would place them.
  ok(
    await run(
      "npm",
      [
        "install",
        "--prefer-offline",
        "--legacy-peer-deps",
        "--no-audit",
        "--no-fund",
        "--ignore-scripts",
        "--no-package-lock",
      ],
      app,
    ),
    "npm install",
  );
  lap("packed and installed");
  for (const pkg of ["viem", "@wagmi/core", "@types/node"]) {
    const target = join(app, "node_modules", pkg);
    mkdirSync(dirname(target), { recursive: true });
    rmSync(target, { recursive: true, force: true }); // a copy an SDK dependency pulled in
    symlinkSync(join(root, "node_modules", pkg), target, "dir");
  }
  cpSync(fixtures, app, { recursive: true });

  const tsconfig = (name: string, options: Record<string, unknown>, files: string[]) =>
    writeFileSync(
      join(app, name),
      JSON.stringify({ compilerOptions: { ...DEFAULT_TSCONFIG, ...options }, files }, null, 2),
    );
  tsconfig("tsconfig.bundler.json", { module: "preserve", moduleResolution: "bundler", skipLibCheck: false }, [
    "browser.ts",
  ]);
  // The docs' snippets are compiled with node.ts under NodeNext (one program: the types of viem load once).
  const snippets = join(app, "snippets");
  mkdirSync(snippets);
  const files = ["node.ts", "snippet-context.d.ts"];
  for (const doc of DOCS) {
    tsSnippets(readFileSync(join(root, doc), "utf8")).forEach((code, i) => {
      const file = `snippets/${doc.replace(/[/.]/g, "_")}_${i + 1}.ts`;
      writeFileSync(join(app, file), `${code}\nexport {};\n`);
      files.push(file);
    });
  }
  expect(files.length).toBeGreaterThan(8);
  tsconfig(
    "tsconfig.nodenext.json",
    { module: "nodenext", moduleResolution: "nodenext", types: ["node"], resolveJsonModule: true },
    files,
  );
}, 600_000);

afterAll(() => {
  if (work) rmSync(work, { recursive: true, force: true });
});

describe("the packed @cor-network/sdk", () => {
  test("ships built JavaScript and declarations for every entry, no tests", () => {
    const pkg = JSON.parse(readFileSync(join(app, "node_modules/@cor-network/sdk/package.json"), "utf8"));
    expect(pkg.sideEffects).toBe(false);
    expect(pkg.peerDependencies).toMatchObject({ viem: expect.stringMatching(/^\^2\./), "@wagmi/core": "^3.6.5" });
    expect(pkg.dependencies.viem).toBeUndefined();
    for (const [entry, target] of Object.entries(pkg.exports as Record<string, Record<string, string> | string>)) {
      if (typeof target === "string") continue;
      expect(Object.keys(target)[0], entry).toBe("cor-source");
      for (const condition of ["cor-source", "types", "default"]) {
        expect(
          () => readFileSync(join(app, "node_modules/@cor-network/sdk", target[condition])),
          `${entry} ${condition}`,
        ).not.toThrow();
      }
    }
    const abis = readdirSync(join(app, "node_modules/@cor-network/sdk/dist/abis"));
    expect(abis).toEqual(expect.arrayContaining(["iCorNetworkAbi.json", "corTokenAbi.json", "corRegistryAbi.json"]));
    const listing = (dir: string): string[] =>
      readdirSync(dir, { withFileTypes: true }).flatMap((e) =>
        e.isDirectory() ? listing(join(dir, e.name)) : [join(dir, e.name)],
      );
    expect(listing(join(app, "node_modules/@cor-network/sdk")).filter((f) => /\.test\./.test(f))).toEqual([]);
  });

  test("type-checks under a default strict tsconfig: bundler (DOM, no Node types) and NodeNext (+ docs snippets)", async () => {
    const [bundler, nodenext] = await Promise.all([
      run(process.execPath, [tsc, "-p", "tsconfig.bundler.json"], app),
      run(process.execPath, [tsc, "-p", "tsconfig.nodenext.json"], app),
    ]);
    expect(bundler.stdout + bundler.stderr).toBe("");
    // Also every ```ts snippet of the docs (snippets/<doc>_<n>.ts in the error output names the failing one).
    expect(nodenext.stdout + nodenext.stderr).toBe("");
    expect(bundler.code + nodenext.code).toBe(0);
  }, 400_000);

  test("the main entry and ./wagmi bundle for the browser with no Node built-ins, run in Chromium; ./storage does not bundle", async () => {
    const bundle = (entry: string) =>
      build({
        entryPoints: [join(app, entry)],
        absWorkingDir: app,
        bundle: true,
        platform: "browser",
        format: "esm",
        minify: true,
        write: false,
        metafile: true,
        logLevel: "silent",
      });
    const result = await bundle("browser.ts");
    const inputs = Object.keys(result.metafile.inputs);
    expect(inputs.some((i) => i.includes("@cor-network/sdk/dist/wagmi/"))).toBe(true);
    expect(inputs.some((i) => i.includes("@cor-network/sdk/dist/index.js"))).toBe(true);
    // storage/types.js and storage/cid.js (errors, Kubo-identical CIDs) are browser-safe and in the main entry.
    const nodeOnly =
      /^node:|blockstore-fs|kubo-rpc-client|\/sdk\/dist\/(node|testing|storage\/(index|embedded|kubo|util))/;
    expect(inputs.filter((i) => nodeOnly.test(i))).toEqual([]);
    const code = result.outputFiles[0].text;
    expect(code).not.toMatch(/["']node:[a-z_]+["']/);
    // Node globals would bundle fine and fail at runtime in a page.
    expect(code).not.toMatch(/\bprocess\.(env|versions|platform|cwd|nextTick)\b|\brequire\(/);
    const gzip = gzipSync(result.outputFiles[0].contents).length;
    process.stdout.write(`browser bundle (main + wagmi): ${result.outputFiles[0].contents.length} B, ${gzip} B gzip\n`);

    // And it runs in a page: headless Chromium on 127.0.0.1 (a secure context: WebCrypto), the bundle as a module.
    const server = createServer((req, res) => {
      if (req.url === "/app.js") res.writeHead(200, { "content-type": "text/javascript" }).end(code);
      else
        res
          .writeHead(200, { "content-type": "text/html" })
          .end('<body></body><script type="module" src="/app.js"></script>');
    });
    await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
    const browser = await chromium.launch({
      executablePath: CHROMIUM,
      headless: true,
      args: ["--no-sandbox", "--disable-gpu"],
    });
    try {
      const page = await browser.newPage();
      const errors: string[] = [];
      page.on("pageerror", (e) => errors.push(e.message));
      await page.goto(`http://127.0.0.1:${(server.address() as AddressInfo).port}/`);
      await page.waitForFunction("document.body.textContent.startsWith('{')", undefined, { timeout: 60_000 });
      const shown = JSON.parse((await page.textContent("body")) ?? "");
      expect(errors).toEqual([]);
      expect(shown).toEqual({
        chainId: 31337,
        network: getDeployment(31337).network,
        taskId: ((1n << 32n) | 2n).toString(),
        hash: keccak256(toBytes("hello world")),
        cid: "bafkreifzjut3te2nhyekklss27nh3k72ysco7y32koao5eei66wof36n5e",
        abiEntries: expect.any(Number),
        price: (10n ** 18n).toString(),
        publicKey: 66,
        router: "function",
        read: "function",
      });
    } finally {
      await browser.close();
      server.close();
    }

    // The check can fail: the Node-only storage entry does not bundle for a browser.
    writeFileSync(
      join(app, "storage-in-browser.ts"),
      'export { createEmbeddedStore } from "@cor-network/sdk/storage";\n',
    );
    await expect(bundle("storage-in-browser.ts")).rejects.toThrow(/node:/);
  }, 300_000);

  test("runs in plain Node (ESM and require): embedded store CIDs equal Kubo's, ./node reads a file, ABIs as JSON", async () => {
    const out = ok(await run(process.execPath, ["app.mjs"], app), "node app.mjs");
    expect(JSON.parse(out.stdout)).toEqual({
      // `echo -n "hello world" | ipfs add --cid-version 1 -Q` on Kubo
      cid: "bafkreifzjut3te2nhyekklss27nh3k72ysco7y32koao5eei66wof36n5e",
      computed: "bafkreifzjut3te2nhyekklss27nh3k72ysco7y32koao5eei66wof36n5e",
      back: "hello world",
      taskId: ((3n << 32n) | 7n).toString(),
      loadedStartBlock: 7,
      abiFunctions: expect.any(Number),
    });
    expect(JSON.parse(out.stdout).abiFunctions).toBeGreaterThan(20);

    const cjs = ok(await run(process.execPath, ["app.cjs"], app), "node app.cjs");
    expect(JSON.parse(cjs.stdout)).toEqual({
      cid: "bafkreifzjut3te2nhyekklss27nh3k72ysco7y32koao5eei66wof36n5e",
      taskId: ((1n << 32n) | 1n).toString(),
      store: "function",
    });
  });
});
