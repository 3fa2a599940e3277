import { expect, test } from "vitest";
import { BaseError, setErrorConfig, walk } from "./base.ts";

test("BaseError prints shortMessage, meta lines, docs, details and version like viem", () => {
  const cause = new Error("socket hang up");
  const err = new BaseError("Could not reach the network.", {
    cause,
    metaMessages: ["URL: http://127.0.0.1:8545"],
    docsSlug: "errors",
  });
  expect(err.name).toBe("BaseError");
  expect(err.shortMessage).toBe("Could not reach the network.");
  expect(err.details).toBe("socket hang up");
  expect(err.retryable).toBe(false);
  expect(err.message).toBe(
    [
      "Could not reach the network.",
      "",
      "URL: http://127.0.0.1:8545",
      "",
      "Docs: docs/sdk.md#errors",
      "Details: socket hang up",
      "Version: @cor-network/sdk@0.1.0",
    ].join("\n"),
  );
});

test("walk finds an error in the cause chain, or returns the deepest", () => {
  const root = new TypeError("root");
  const middle = new BaseError("middle", { cause: root, retryable: true });
  const top = new BaseError("top", { cause: middle });
  expect(top.walk()).toBe(root);
  expect(top.walk((e) => e instanceof BaseError && e.retryable)).toBe(middle);
  expect(top.walk((e) => e instanceof RangeError)).toBeNull();
  expect(walk({ cause: { cause: "x" } })).toBe("x");
  // Details come from the cause's details when it is one of ours.
  expect(new BaseError("outer", { cause: new BaseError("inner", { details: "why" }) }).details).toBe("why");
});

test("setErrorConfig changes the docs and version lines", () => {
  setErrorConfig({ getDocsUrl: ({ docsSlug }) => `https://docs.example/sdk#${docsSlug}`, version: undefined });
  try {
    const err = new BaseError("x", { docsSlug: "errors" });
    expect(err.message).toBe("x\n\nDocs: https://docs.example/sdk#errors");
  } finally {
    setErrorConfig({
      getDocsUrl: ({ docsBaseUrl = "docs/sdk.md", docsSlug }) => `${docsBaseUrl}${docsSlug ? `#${docsSlug}` : ""}`,
      version: "@cor-network/sdk@0.1.0",
    });
  }
});
