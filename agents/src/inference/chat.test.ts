import { describe, expect, it } from "vitest";
import { ASSISTANT_CUE, renderChatPrompt } from "./chat.ts";

describe("renderChatPrompt", () => {
  it("renders role blocks separated by blank lines and ends with the assistant cue", () => {
    const prompt = renderChatPrompt([
      { role: "system", content: "You tell short stories." },
      { role: "user", content: "Tell me about a cat." },
      { role: "assistant", content: "Once upon a time, a cat sat." },
      { role: "user", content: "And then?" },
    ]);
    expect(prompt).toBe(
      "System: You tell short stories.\n\n" +
        "User: Tell me about a cat.\n\n" +
        "Assistant: Once upon a time, a cat sat.\n\n" +
        "User: And then?\n\n" +
        "Assistant:",
    );
  });

  it("normalises line endings and surrounding whitespace, keeps inner newlines", () => {
    expect(renderChatPrompt([{ role: "user", content: "  Hi\r\nthere\rfriend \n" }])).toBe(
      "User: Hi\nthere\nfriend\n\nAssistant:",
    );
  });

  it("maps roles and handles empty and multi-part content", () => {
    expect(
      renderChatPrompt([
        { role: "developer", content: "Be brief." },
        { role: "USER", content: [{ type: "text", text: "a" }, { type: "image_url" }, { type: "text", text: "b" }] },
        { role: "tool", content: null },
        { role: "critic", content: "ok" },
      ]),
    ).toBe("System: Be brief.\n\nUser: a\nb\n\nTool:\n\nCritic: ok\n\nAssistant:");
  });

  it("is deterministic and handles no messages", () => {
    const msgs = [{ role: "user", content: "x" }];
    expect(renderChatPrompt(msgs)).toBe(renderChatPrompt(structuredClone(msgs)));
    expect(renderChatPrompt([])).toBe(ASSISTANT_CUE);
  });
});
