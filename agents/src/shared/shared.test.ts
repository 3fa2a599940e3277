import pino from "pino";
import { describe, expect, it } from "vitest";
import { createSafeEmitter } from "./events.ts";
import { jsonSafe, safeStringify } from "./json.ts";
import { isJsonContentType, parseMessage, taskIdSchema, z } from "./validate.ts";

describe("safe JSON", () => {
  it("serializes bigints, maps, errors and cycles without throwing", () => {
    const cyclic: Record<string, unknown> = { a: 1n };
    cyclic.self = cyclic;
    expect(JSON.parse(safeStringify({ id: 2n ** 70n, m: new Map([["k", 1n]]), e: new Error("boom"), cyclic }))).toEqual(
      {
        id: "1180591620717411303424",
        m: { k: "1" },
        e: { name: "Error", message: "boom" },
        cyclic: { a: "1", self: "[Circular]" },
      },
    );
    expect(jsonSafe({ taskId: 5n })).toEqual({ taskId: "5" });
    expect(safeStringify(undefined)).toBe("null");
  });
});

describe("message validation", () => {
  const schema = z.object({ subscribe: taskIdSchema }).strict();
  it("rejects invalid UTF-8, non-JSON, null, arrays and wrong shapes with a reason", () => {
    expect(parseMessage(schema, Buffer.from([0x7b, 0xff, 0xfe, 0x7d]))).toMatchObject({
      ok: false,
      code: "invalid_utf8",
    });
    expect(parseMessage(schema, "{nope")).toMatchObject({ ok: false, code: "invalid_json" });
    for (const bad of [
      "null",
      "[]",
      "[1,2]",
      '"x"',
      "42",
      '{"subscribe":null}',
      '{"subscribe":"-1"}',
      '{"subscribe":"1","x":1}',
    ]) {
      const r = parseMessage(schema, bad);
      expect(r.ok, bad).toBe(false);
      expect((r as { message: string }).message.length).toBeGreaterThan(0);
    }
    expect(parseMessage(schema, `{"subscribe":"${2n ** 256n}"}`).ok).toBe(false);
    expect(parseMessage(schema, '{"subscribe":"4294967297"}')).toEqual({
      ok: true,
      value: { subscribe: "4294967297" },
    });
    expect(parseMessage(schema, '{"subscribe":12}')).toEqual({ ok: true, value: { subscribe: "12" } });
  });

  it("accepts only JSON media types in UTF-8", () => {
    expect(isJsonContentType("application/json")).toBe(true);
    expect(isJsonContentType("application/json; charset=utf-8")).toBe(true);
    expect(isJsonContentType("application/vnd.api+json")).toBe(true);
    expect(isJsonContentType("text/plain")).toBe(false);
    expect(isJsonContentType("application/x-www-form-urlencoded")).toBe(false);
    expect(isJsonContentType("application/json; charset=latin1")).toBe(false);
    expect(isJsonContentType(undefined)).toBe(false);
  });
});

describe("safe emitter", () => {
  it("a throwing or rejecting listener never reaches the emitter or the other listeners", async () => {
    const logs: string[] = [];
    const logger = pino({ level: "warn" }, { write: (s: string) => logs.push(s) });
    const events = createSafeEmitter(logger);
    const seen: number[] = [];
    const good = (n: number) => seen.push(n);
    events.on("x", () => {
      throw new TypeError("Do not know how to serialize a BigInt");
    });
    events.on("x", async () => {
      throw new Error("async boom");
    });
    events.on("x", good);
    expect(() => events.emit("x", 1)).not.toThrow();
    await new Promise((r) => setTimeout(r, 10));
    expect(seen).toEqual([1]);
    expect(logs.join("")).toContain("BigInt");
    expect(logs.join("")).toContain("async boom");
    events.off("x", good);
    events.emit("x", 2);
    expect(seen).toEqual([1]);
    let once = 0;
    events.once("y", () => once++);
    events.emit("y");
    events.emit("y");
    expect(once).toBe(1);
  });
});
