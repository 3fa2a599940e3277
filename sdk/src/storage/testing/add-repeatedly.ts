/**
 * Test helper run as its own process (embedded.test.ts): opens the embedded store at argv[2] and adds the same
 * content argv[4] times (deterministicBytes(argv[3] bytes, "shared")), as agents of one local network sharing a
 * store directory do with identical results. Prints the CID.
 */
import { createEmbeddedStore } from "../embedded.ts";
import { deterministicBytes } from "./deterministic.ts";

const [directory, size, times] = process.argv.slice(2);
const store = await createEmbeddedStore({ directory });
const bytes = deterministicBytes(Number(size), "shared");
let cid = "";
for (let i = 0; i < Number(times); i++) cid = (await store.add(bytes)).cid;
await store.close();
process.stdout.write(`${cid}\n`);
