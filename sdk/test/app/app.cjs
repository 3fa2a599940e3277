// CommonJS consumers: Node >= 20.19 (the package's engines) loads the ES-module package with require().
const { computeCid, taskIdOf } = require("@cor-network/sdk");
const { createContentStore } = require("@cor-network/sdk/storage");

computeCid("hello world").then((cid) => {
  process.stdout.write(`${JSON.stringify({ cid, taskId: taskIdOf(1, 1).toString(), store: typeof createContentStore })}\n`);
});
