import { createServer, type IncomingMessage, type Server, type ServerResponse } from "node:http";

/**
 * Starts the agent's HTTP server on 127.0.0.1 with GET /health → 200 {status:"ok", ...} (503 while not ready).
 * Other requests go to `handler` (e.g. the miner's stream upgrade lives on the same server).
 */
export const startHttpServer = async (opts: {
  port: number;
  host?: string;
  health: () => Record<string, unknown> & { ready: boolean };
  handler?: (req: IncomingMessage, res: ServerResponse) => void;
}): Promise<{ server: Server; port: number; close: () => Promise<void> }> => {
  const server = createServer((req, res) => {
    if (req.url === "/health") {
      const body = opts.health();
      res.writeHead(body.ready ? 200 : 503, { "content-type": "application/json" });
      res.end(JSON.stringify({ status: body.ready ? "ok" : "starting", ...body }));
      return;
    }
    if (opts.handler) return opts.handler(req, res);
    res.writeHead(404, { "content-type": "application/json" });
    res.end(JSON.stringify({ error: { message: "Not found", type: "invalid_request_error", code: "not_found" } }));
  });
  await new Promise<void>((resolve, reject) => {
    server.once("error", reject);
    server.listen(opts.port, opts.host ?? "127.0.0.1", () => resolve());
  });
  const address = server.address();
  const port = typeof address === "object" && address ? address.port : opts.port;
  return {
    server,
    port,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections?.();
        server.close(() => resolve());
      }),
  };
};
