/**
 * Deterministic plain-text rendering of OpenAI-style chat messages for models without a chat
 * template (such as stories260K), used by routers and miners for `/v1/chat/completions`.
 *
 * Format (every miner renders the same bytes for the same messages, so redundant results stay
 * comparable and the prompt hash is reproducible):
 *
 * ```
 * System: <content>
 *
 * User: <content>
 *
 * Assistant: <content>
 *
 * User: <content>
 *
 * Assistant:
 * ```
 *
 * - One block per message, in order: `<Label>: <content>`, blocks separated by one blank line.
 * - Labels (role matched case-insensitively, after trimming): `system`/`developer` → `System`,
 *   `user` → `User`, `assistant` → `Assistant`, `tool`/`function` → `Tool`; an empty role → `User`;
 *   any other role gets its first letter upper-cased (`critic` → `Critic`).
 * - Content: `\r\n` and `\r` become `\n`, then leading and trailing whitespace is trimmed. A message
 *   whose content is empty after trimming is kept as `<Label>:` (no trailing space).
 *   Array content (OpenAI content parts) keeps only the `text` parts, joined with `\n`.
 * - The prompt always ends with the generation cue `\n\nAssistant:` (or just `Assistant:` when
 *   there are no messages) with no trailing space, so the model's first token carries the space.
 *
 * The format is a protocol convention: changing it changes every chat prompt's output. The engine
 * has no stop strings, so a completion may run on into an invented `User:` turn; a router may cut
 * what it displays at the first `\n\nUser:`, but the on-chain result is the full completion.
 */

/** A text part of OpenAI multi-part message content. */
export interface ChatContentPart {
  type: string;
  text?: string;
}

export interface ChatMessage {
  role: string;
  content: string | readonly ChatContentPart[] | null | undefined;
}

/** The generation cue that ends every rendered prompt. */
export const ASSISTANT_CUE = "Assistant:";

const ROLE_LABELS: Readonly<Record<string, string>> = {
  system: "System",
  developer: "System",
  user: "User",
  assistant: "Assistant",
  tool: "Tool",
  function: "Tool",
};

function roleLabel(role: string): string {
  const r = role.trim();
  const known = ROLE_LABELS[r.toLowerCase()];
  if (known) return known;
  if (r === "") return "User";
  return r.charAt(0).toUpperCase() + r.slice(1);
}

function contentText(content: ChatMessage["content"]): string {
  if (content == null) return "";
  if (typeof content === "string") return content;
  return content
    .filter((p) => p.type === "text" && typeof p.text === "string")
    .map((p) => p.text as string)
    .join("\n");
}

function normalise(text: string): string {
  return text.replace(/\r\n?/g, "\n").trim();
}

/** Renders chat messages into the deterministic plain-text prompt documented above. */
export function renderChatPrompt(messages: readonly ChatMessage[]): string {
  const blocks = messages.map((m) => {
    const label = roleLabel(m.role);
    const text = normalise(contentText(m.content));
    return text === "" ? `${label}:` : `${label}: ${text}`;
  });
  blocks.push(ASSISTANT_CUE);
  return blocks.join("\n\n");
}
