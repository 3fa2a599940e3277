// Plain Node (no TypeScript, no loader) on the installed tarball: the main entry, ./storage, ./node and a JSON ABI.
import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { computeCid, getDeployment, taskIdOf } from "@cor-network/sdk";
import abi from "@cor-network/sdk/abis/iCorNetworkAbi.json" with { type: "json" };
import { loadDeployment } from "@cor-network/sdk/node";
import { createEmbeddedStore } from "@cor-network/sdk/storage";

const dir = mkdtempSync(join(tmpdir(), "cor-sdk-app-"));
const store = await createEmbeddedStore({ directory: join(dir, "ipfs") });
const { cid } = await store.add("hello world");
const back = new TextDecoder().decode(await store.get(cid));
const file = join(dir, "31337.json");
writeFileSync(file, JSON.stringify({ ...getDeployment(31337), startBlock: "7" }));
const loaded = loadDeployment(file);
process.stdout.write(
  `${JSON.stringify({
    cid,
    computed: await computeCid("hello world"),
    back,
    taskId: taskIdOf(3, 7).toString(),
    loadedStartBlock: loaded.startBlock,
    abiFunctions: abi.filter((e) => e.type === "function").length,
  })}\n`,
);
