// Fills the SDK's registry of known deployments (src/deployments.ts, between the registry markers) from the files
// script/01_DeployCore.s.sol writes: every deployments/<chainId>.json of a chain already in the registry, except
// the local anvil (31337: fixed addresses, checked by test/deployments.test.ts), replaces that chain's entry and
// marks it deployed. Run after deploying to a public chain: npm run registry -w @cor-network/sdk
import { existsSync, readFileSync, writeFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { deployments, type KnownDeployment } from "../src/deployments.ts";
import { deploymentsDir, loadDeployment } from "../src/node/deployments.ts";

const file = join(dirname(fileURLToPath(import.meta.url)), "..", "src", "deployments.ts");
const LOCAL = 31337;

const entries: Record<number, KnownDeployment> = { ...deployments };
const updated: number[] = [];
for (const id of Object.keys(entries).map(Number)) {
  const json = join(process.argv[2] ?? deploymentsDir(), `${id}.json`);
  if (id === LOCAL || !existsSync(json)) continue;
  const deployment = loadDeployment(json);
  if (deployment.chainId !== id) throw new Error(`${json} is for chain ${deployment.chainId}, not ${id}`);
  entries[id] = { ...entries[id], ...deployment, deployed: true };
  updated.push(id);
}

const quote = (v: unknown) => (typeof v === "string" ? JSON.stringify(v) : String(v));
const body = Object.entries(entries)
  .map(([id, e]) => {
    const fields = Object.entries(e).map(([k, v]) => `    ${k}: ${quote(v)},`);
    return `  ${id}: {\n${fields.join("\n")}\n  },`;
  })
  .join("\n");
const source = readFileSync(file, "utf8");
const start = source.indexOf("// <registry>\n");
const end = source.indexOf("// </registry>");
if (start < 0 || end < 0) throw new Error(`${file} lost its registry markers`);
const block = `// <registry>\nexport const deployments = {\n${body}\n} as const satisfies Record<number, KnownDeployment>;\n`;
writeFileSync(file, source.slice(0, start) + block + source.slice(end));
process.stdout.write(
  updated.length
    ? `registry: chains ${updated.join(", ")} updated from their deployment files\n`
    : "registry: no deployment file of a public registry chain found, nothing changed\n",
);
